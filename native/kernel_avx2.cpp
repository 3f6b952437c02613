// The fused loop for CPUs with AVX2 and FMA (this file is compiled with -mavx2 -mfma; radam_fused.cpp calls it
// only when the CPU has both).
#include "kernel.h"

namespace radam4j {

void run_avx2(const Work& w, int64_t begin, int64_t end) { dispatch(w, begin, end); }

void stream4_avx2(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t lo,
                  int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
        const float x = g[i];
        p[i] += x;
        m[i] += x;
        v[i] += x;
    }
}

}  // namespace radam4j
