// The fused loop for CPUs with AVX-512 (F, BW, VL, DQ) and F16C (this file is compiled with those flags;
// radam_fused.cpp calls it only when the CPU has them all). bfloat16 and float16 run sixteen floats at a time.
#include <immintrin.h>

#include "kernel.h"

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

    static V load_f16(const uint16_t* a) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a))); }
    static void store_f16(uint16_t* a, V x) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(a), _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    static V round_f16(V x) { return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)); }

    static V load_bf16(const uint16_t* a) {
        const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
    }
    // float_to_bf16 in kernel.h, sixteen at a time: the bfloat16 in the upper half of each lane, the lower half zero.
    static __m512i bf16_bits(V x) {
        const __m512i b = _mm512_castps_si512(x);
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
        const __m512i rounded = _mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), lsb);
        const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        const __m512i picked = _mm512_mask_or_epi32(rounded, nan, b, _mm512_set1_epi32(0x400000));
        return _mm512_and_si512(picked, _mm512_set1_epi32(static_cast<int>(0xffff0000u)));
    }
    static V round_bf16(V x) { return _mm512_castsi512_ps(bf16_bits(x)); }
    static void store_bf16(uint16_t* a, V x) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(a), _mm512_cvtepi32_epi16(_mm512_srli_epi32(bf16_bits(x), 16)));
    }
    static void store_bf16_exact(uint16_t* a, V x) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(a), _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(x), 16)));
    }
};

}  // namespace

void run_avx512(const Work& w, int64_t begin, int64_t end) { dispatch<Avx512>(w, begin, end); }

}  // namespace radam4j
