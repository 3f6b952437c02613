// The fused loop for CPUs with AVX-512 and AVX512-FP16 (this file is compiled with those flags; radam_fused.cpp
// calls it only when the CPU has them): kernel_avx512.cpp's loop, except that float16's last op, param - update,
// runs on the halves themselves. Both operands are float16 there, and subtracting in float then rounding to
// float16 gives the correctly rounded difference (24 >= 2 * 11 + 2 bits), which vsubph gives directly; float16
// instructions keep subnormals whatever MXCSR says.
#include "kernel.h"
#include "simd_avx512.h"

namespace radam4j {
namespace {

struct Avx512Fp16 : Avx512 {
    struct Half : Avx512::Half {
        static constexpr bool native = true;
        static void load_n(const uint16_t* a, N* out) { out[0] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)); }
        static N sub(N a, N b) { return _mm256_castph_si256(_mm256_sub_ph(_mm256_castsi256_ph(a), _mm256_castsi256_ph(b))); }
    };
};

}  // namespace

void run_avx512fp16(const Work& w, int64_t begin, int64_t end) { dispatch<Avx512Fp16>(w, begin, end); }

}  // namespace radam4j
