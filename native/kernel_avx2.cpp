// The fused loop for CPUs with AVX2, FMA and F16C (this file is compiled with -mavx2 -mfma -mf16c; radam_fused.cpp
// calls it only when the CPU has all three). bfloat16 and float16 run eight floats at a time.
#include <immintrin.h>

#include "kernel.h"

namespace radam4j {
namespace {

struct Avx2 {
    using V = __m256;
    static constexpr int W = 8;
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V div(V a, V b) { return _mm256_div_ps(a, b); }
    static V sqrt(V a) { return _mm256_sqrt_ps(a); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V neg(V a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }

    static void storeu(float* a, V x) { _mm256_storeu_ps(a, x); }
    static V gather(const float* t, __m256i i) { return _mm256_i32gather_ps(t, i, 4); }

    // float16 rounded: eight halves (vcvtps2ph rounds to nearest even, as PyTorch does); a block is 8 elements.
    struct Half {
        using N = __m128i;
        static constexpr int K = 1;
        static constexpr bool native = false;
        static V load1(const uint16_t* a) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a))); }
        static void load(const uint16_t* a, V* out) { out[0] = load1(a); }
        static void store(uint16_t* a, const N* h) { _mm_storeu_si128(reinterpret_cast<__m128i*>(a), h[0]); }
        static N narrow(V x) { return _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
        static V widen(N h) { return _mm256_cvtph_ps(h); }
        static __m256i index(N h) { return _mm256_cvtepu16_epi32(h); }
    };
    // bfloat16 rounded: float bits rounded to nearest even in the upper half of each lane, the lower half not yet
    // cleared (widen clears it; a value only stored or used as an index skips that), as float_to_bf16 in kernel.h
    // without its NaN case (see Consts). A block is 16 elements, its even ones in the first vector.
    struct Brain {
        using N = __m256i;
        static constexpr int K = 2;
        static constexpr bool native = false;
        static __m256i high() { return _mm256_set1_epi32(static_cast<int>(0xffff0000u)); }
        static V load1(const uint16_t* a) {
            const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)));
            return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
        }
        static void load(const uint16_t* a, V* out) {
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a));
            out[0] = _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
            out[1] = _mm256_castsi256_ps(_mm256_and_si256(x, high()));
        }
        static void store(uint16_t* a, const N* b) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(a),
                                _mm256_or_si256(_mm256_and_si256(b[1], high()), _mm256_srli_epi32(b[0], 16)));
        }
        static N narrow(V x) {
            const __m256i b = _mm256_castps_si256(x);
            const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
            return _mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), lsb);
        }
        static V widen(N b) { return _mm256_castsi256_ps(_mm256_and_si256(b, high())); }
        static __m256i index(N b) { return _mm256_srli_epi32(b, 16); }
    };
};

}  // namespace

void run_avx2(const Work& w, int64_t begin, int64_t end) { dispatch<Avx2>(w, begin, end); }
void tables_avx2(const Work& w, int64_t begin, int64_t end) { tables<Avx2>(w, begin, end); }
void peer_avx2(const Work& w, int64_t begin, int64_t end) { peer(w, begin, end); }
GradScan scan_avx2(const Work& w, int64_t begin, int64_t end) { return scan(w, begin, end); }

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
