// The fused RAdam loop itself, as templates, included by kernel_portable.cpp and kernel_avx2.cpp: the same
// source compiled twice, for any x86-64 and with AVX2/FMA, so that each build vectorises for its instruction
// set (the anonymous namespace gives each file its own copy).
//
// float32 and float64 follow PyTorch's for-loop op for op, with fused multiply-adds exactly where libtorch's
// vectorised kernels use them (lerp, add with alpha, addcmul) and nowhere else (the build turns contraction
// off), so the result equals the for-loop path bit for bit. bfloat16 and float16 are computed in float and
// rounded after every op where PyTorch rounds, which also matches the for-loop bit for bit.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "radam_fused.h"

namespace radam4j {
namespace {

inline float bf16_to_float(uint16_t h) {
    uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint16_t float_to_bf16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    const uint32_t quiet_nan = (bits >> 16) | 0x40u;
    return static_cast<uint16_t>((bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);  // branch-free select
}

inline float half_to_float(uint16_t h) {
    uint32_t sign = (h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {
            float f = std::ldexp(static_cast<float>(mant), -24);
            std::memcpy(&bits, &f, 4);
            bits |= sign;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint16_t float_to_half(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    uint32_t sign = (bits >> 16) & 0x8000u;
    uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u) {
        return static_cast<uint16_t>(sign | 0x7e00u);
    }
    if (abs >= 0x47800000u) {  // overflows to infinity (65520 and up round to inf)
        if (abs >= 0x477ff000u) {
            return static_cast<uint16_t>(sign | 0x7c00u);
        }
    }
    if (abs < 0x38800000u) {  // subnormal or zero in half
        float a;
        std::memcpy(&a, &abs, 4);
        float scaled = a * 16777216.0f;  // 2^24: half subnormal steps become integers
        uint32_t m = static_cast<uint32_t>(std::nearbyint(scaled));
        return static_cast<uint16_t>(sign | m);
    }
    uint32_t mant = abs & 0x7fffffu;
    uint32_t exp = (abs >> 23) - 112;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) {
        h += 1;
    }
    return static_cast<uint16_t>(sign | h);
}

// How each storage type is loaded into its compute type and stored back. For float32 and float64 the rounding
// to storage is the identity; for bfloat16 and float16 the kernel rounds where PyTorch's for-loop rounds (after
// every op), so the fused result matches the for-loop's bits.
struct F32 {
    using Storage = float;
    using Compute = float;
    static constexpr bool reduced = false;
    static float load(float x) { return x; }
    static float store(float x) { return x; }
};
struct F64 {
    using Storage = double;
    using Compute = double;
    static constexpr bool reduced = false;
    static double load(double x) { return x; }
    static double store(double x) { return x; }
};
struct BF16 {
    using Storage = uint16_t;
    using Compute = float;
    static constexpr bool reduced = true;
    static float load(uint16_t x) { return bf16_to_float(x); }
    static uint16_t store(float x) { return float_to_bf16(x); }
};
struct F16 {
    using Storage = uint16_t;
    using Compute = float;
    static constexpr bool reduced = true;
    static float load(uint16_t x) { return half_to_float(x); }
    static uint16_t store(float x) { return float_to_half(x); }
};

// One loop per dtype and combination of options, with no branch inside, so that it vectorises.
template <typename Conv, bool Maximize, bool Decoupled, bool L2, bool Rectified>
inline void range(const Work& w, int64_t begin, int64_t end) {
    using T = typename Conv::Storage;
    using C = typename Conv::Compute;
    constexpr bool reduced = Conv::reduced;
    T* __restrict p = static_cast<T*>(w.param);
    const T* __restrict g = static_cast<const T*>(w.grad);
    T* __restrict m = static_cast<T*>(w.exp_avg);
    T* __restrict v = static_cast<T*>(w.exp_avg_sq);
    const GroupScalars& gs = *w.gs;
    const ParamScalars& ps = w.ps;
    const C omb1 = static_cast<C>(1.0 - gs.beta1);
    const C b2 = static_cast<C>(gs.beta2);
    const C omb2 = static_cast<C>(1.0 - gs.beta2);
    const C eps = static_cast<C>(gs.eps);
    const C wd = static_cast<C>(gs.weight_decay);
    const C decay = static_cast<C>(gs.decay_factor);
    const C bc1 = static_cast<C>(ps.bc1);
    const C sqrt_bc2 = static_cast<C>(ps.sqrt_bc2);
    const C rect = static_cast<C>(ps.rect);
    const C lr = static_cast<C>(gs.lr);
    auto r = [](C x) { return reduced ? Conv::load(Conv::store(x)) : x; };
    // libtorch's reduced-precision add(other, alpha) rounds alpha and alpha * other to the dtype too.
    const C wd_r = r(wd);
    // PyTorch's lerp: start + w * (end - start) for w < 0.5, else end + (w - 1) * (end - start), each one fma.
    const bool lerp_small = omb1 < C(0.5);
    const C lerp_coeff = lerp_small ? omb1 : omb1 - C(1);
    for (int64_t i = begin; i < end; ++i) {
        C param = Conv::load(p[i]);
        C grad = Conv::load(g[i]);
        if (Maximize) grad = -grad;
        if (Decoupled) param = r(param * decay);
        if (L2) grad = reduced ? r(grad + r(wd_r * param)) : std::fma(wd, param, grad);
        const C m0 = Conv::load(m[i]);
        const C ea = r(std::fma(lerp_coeff, grad - m0, lerp_small ? m0 : grad));
        const C eas = reduced ? r(r(Conv::load(v[i]) * b2) + omb2 * grad * grad)
                              : std::fma(omb2 * grad, grad, Conv::load(v[i]) * b2);
        m[i] = Conv::store(ea);
        v[i] = Conv::store(eas);
        C update = r(r(ea / bc1) * lr);
        if (Rectified) {
            const C adaptive = r(r(C(1) / r(r(std::sqrt(eas)) + eps)) * sqrt_bc2);
            update = r(r(update * adaptive) * rect);
        }
        p[i] = Conv::store(param - update);
    }
}

template <typename Conv, bool Maximize, bool Decoupled, bool L2>
inline void by_rect(const Work& w, int64_t b, int64_t e) {
    if (w.ps.rectified) {
        range<Conv, Maximize, Decoupled, L2, true>(w, b, e);
    } else {
        range<Conv, Maximize, Decoupled, L2, false>(w, b, e);
    }
}

template <typename Conv>
inline void by_options(const Work& w, int64_t b, int64_t e) {
    const GroupScalars& gs = *w.gs;
    const bool dec = gs.weight_decay != 0 && gs.decoupled != 0;
    const bool l2 = gs.weight_decay != 0 && gs.decoupled == 0;
    if (gs.maximize) {
        if (dec) by_rect<Conv, true, true, false>(w, b, e);
        else if (l2) by_rect<Conv, true, false, true>(w, b, e);
        else by_rect<Conv, true, false, false>(w, b, e);
    } else {
        if (dec) by_rect<Conv, false, true, false>(w, b, e);
        else if (l2) by_rect<Conv, false, false, true>(w, b, e);
        else by_rect<Conv, false, false, false>(w, b, e);
    }
}

inline void dispatch(const Work& w, int64_t begin, int64_t end) {
    switch (w.dtype) {
        case DTYPE_FLOAT32: by_options<F32>(w, begin, end); break;
        case DTYPE_FLOAT64: by_options<F64>(w, begin, end); break;
        case DTYPE_BFLOAT16: by_options<BF16>(w, begin, end); break;
        case DTYPE_FLOAT16: by_options<F16>(w, begin, end); break;
    }
}

}  // namespace
}  // namespace radam4j
