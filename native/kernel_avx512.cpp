// The fused loop for CPUs with AVX-512 (F, BW, VL, DQ) and F16C (this file is compiled with those flags;
// radam_fused.cpp calls it only when the CPU has them all).
#include "kernel.h"
#include "simd_avx512.h"

namespace radam4j {

void run_avx512(const Work& w, int64_t begin, int64_t end) { dispatch<Avx512>(w, begin, end); }
void tables_avx512(const Work& w, int64_t begin, int64_t end) { tables<Avx512>(w, begin, end); }
void peer_avx512(const Work& w, int64_t begin, int64_t end) { peer(w, begin, end); }
GradScan scan_avx512(const Work& w, int64_t begin, int64_t end) { return scan(w, begin, end); }

}  // namespace radam4j
