// The AVX-512 float vectors of the fused loop (kernel.h's Simd): included by kernel_avx512.cpp and
// kernel_avx512fp16.cpp, each compiled with the instruction sets it names. bfloat16 and float16 run sixteen floats
// at a time.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace radam4j {
namespace {

struct Avx512 {
    using V = __m512;
    static constexpr int W = 16;
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static V div(V a, V b) { return _mm512_div_ps(a, b); }
    static V sqrt(V a) { return _mm512_sqrt_ps(a); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V neg(V a) { return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f)); }
    static void storeu(float* a, V x) { _mm512_storeu_ps(a, x); }
    static V gather(const float* t, __m512i i) { return _mm512_i32gather_ps(i, t, 4); }

    // float16 rounded: sixteen halves (vcvtps2ph rounds to nearest even, as PyTorch does); a block is 32 elements, two
    // vectors (one measured 3-4% slower on AMD Zen 5).
    struct Half {
        using N = __m256i;
        static constexpr int K = 2;
        static constexpr bool native = false;
        static V load1(const uint16_t* a) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a))); }
        static void load(const uint16_t* a, V* out) { out[0] = load1(a); out[1] = load1(a + 16); }
        static void store(uint16_t* a, const N* h) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(a), h[0]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + 16), h[1]);
        }
        static N narrow(V x) { return _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
        static V widen(N h) { return _mm512_cvtph_ps(h); }
        static __m512i index(N h) { return _mm512_cvtepu16_epi32(h); }
    };
    // bfloat16 rounded: float bits rounded to nearest even in the upper half of each lane, the lower half not yet
    // cleared (widen clears it; a value only stored or used as an index skips that), as float_to_bf16 in kernel.h
    // without its NaN case (see Consts). A block is 32 elements, its even ones in the first vector. narrow uses no
    // mask register: a test-and-blend version measured 8% slower on AMD Zen 5.
    struct Brain {
        using N = __m512i;
        static constexpr int K = 2;
        static constexpr bool native = false;
        static __m512i high() { return _mm512_set1_epi32(static_cast<int>(0xffff0000u)); }
        static V load1(const uint16_t* a) {
            const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)));
            return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
        }
        static void load(const uint16_t* a, V* out) {
            const __m512i x = _mm512_loadu_si512(a);
            out[0] = _mm512_castsi512_ps(_mm512_slli_epi32(x, 16));
            out[1] = _mm512_castsi512_ps(_mm512_and_si512(x, high()));
        }
        static void store(uint16_t* a, const N* b) {
            // (odd & high) | (even >> 16)
            _mm512_storeu_si512(a, _mm512_ternarylogic_epi32(b[1], high(), _mm512_srli_epi32(b[0], 16), 0xEA));
        }
        static N narrow(V x) {
            const __m512i b = _mm512_castps_si512(x);
            const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
            return _mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), lsb);
        }
        static V widen(N b) { return _mm512_castsi512_ps(_mm512_and_si512(b, high())); }
        static __m512i index(N b) { return _mm512_srli_epi32(b, 16); }
    };
};

}  // namespace
}  // namespace radam4j
