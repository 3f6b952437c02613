// The fused RAdam loop itself, as templates, included by kernel_portable.cpp, kernel_avx2.cpp, kernel_avx512.cpp
// and kernel_avx512fp16.cpp: the same source compiled for any x86-64, for AVX2/FMA/F16C, for AVX-512 and for
// AVX-512 with AVX512-FP16, so that each build vectorises for its instruction set (the anonymous namespace gives
// each file its own copy). float32 and float64 are vectorised by the compiler; bfloat16 and float16 by
// vector_range through the build's Simd type, and table_range fills the per-step tables (radam_fused.h's Work).
//
// float32 and float64 follow PyTorch's for-loop op for op, with fused multiply-adds exactly where libtorch's
// vectorised kernels use them (lerp, add with alpha, addcmul) and nowhere else (the build turns contraction
// off), so the result equals the for-loop path bit for bit. bfloat16 and float16 are computed in float and
// rounded after every op where PyTorch rounds, which also matches the for-loop bit for bit.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

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

// float16 to float, exact for every pattern (subnormals renormalised by one exact float subtraction; a NaN's
// payload kept), without a library call: the portable variant and the scalar tails run it for every operand.
inline float half_to_float(uint16_t h) {
    constexpr uint32_t shifted_exp = 0x7c00u << 13;
    uint32_t o = (h & 0x7fffu) << 13;
    const uint32_t exp = o & shifted_exp;
    o += (127u - 15u) << 23;
    float f;
    if (exp == shifted_exp) {
        o += (128u - 16u) << 23;  // inf and NaN
        std::memcpy(&f, &o, 4);
    } else if (exp == 0) {
        o += 1u << 23;  // zero and subnormals: 2^-14 + m * 2^-24, minus 2^-14
        std::memcpy(&f, &o, 4);
        f -= 6.103515625e-05f;
    } else {
        std::memcpy(&f, &o, 4);
    }
    return (h & 0x8000u) ? -f : f;
}

// float to float16, rounded to nearest even as c10::Half does (a NaN becomes the quiet NaN 0x7e00 with its sign),
// subnormals through one float addition that rounds at the subnormal step; no library call.
inline uint16_t float_to_half(float x) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const uint32_t abs = bits & 0x7fffffffu;
    if (abs >= 0x47800000u) {  // 65536 and up, inf, NaN
        return static_cast<uint16_t>(sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u));
    }
    if (abs < 0x38800000u) {  // below 2^-14: subnormal or zero in float16
        constexpr uint32_t magic_bits = ((127u - 15u) + (23u - 10u) + 1u) << 23;  // 0.5: its ulp is 2^-24
        float a, magic;
        std::memcpy(&a, &abs, 4);
        std::memcpy(&magic, &magic_bits, 4);
        a += magic;
        uint32_t r;
        std::memcpy(&r, &a, 4);
        return static_cast<uint16_t>(sign | (r - magic_bits));
    }
    const uint32_t odd = (abs >> 13) & 1u;
    return static_cast<uint16_t>(sign | ((abs + (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu + odd) >> 13));
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

// a * b + c as libtorch computes it (GroupScalars::fma): one rounding at its AVX2/AVX512 capabilities, two at DEFAULT.
// (The build turns contraction off, so a * b + c stays two operations.)
template <bool Fma, typename C>
inline C madd(C a, C b, C c) {
    if constexpr (Fma) {
        return std::fma(a, b, c);
    } else {
        return a * b + c;
    }
}

template <bool Fma, typename Simd, typename V>
inline V vmadd(V a, V b, V c) {
    if constexpr (Fma) {
        return Simd::fma(a, b, c);
    } else {
        return Simd::add(Simd::mul(a, b), c);
    }
}

// The constants of one param's loop, in the compute type, made the same way for the scalar and vector loops.
template <typename Conv>
struct Consts {
    using C = typename Conv::Compute;
    C omb1, b2, omb2, eps, wd, wd_r, decay, bc1, sqrt_bc2, rect, lr, lerp_coeff, inv;
    bool lerp_small;
    static C round(C x) { return Conv::reduced ? Conv::load(Conv::store(x)) : x; }
    explicit Consts(const Work& w) {
        const GroupScalars& gs = *w.gs;
        omb1 = static_cast<C>(1.0 - gs.beta1);
        b2 = static_cast<C>(gs.beta2);
        omb2 = static_cast<C>(1.0 - gs.beta2);
        // libtorch's add (a ufunc kernel) takes its scalar operand and alpha in the tensor's dtype: eps and the
        // weight decay are rounded to bfloat16 / float16 before use (mul, div, lerp and addcmul keep them in float).
        eps = round(static_cast<C>(gs.eps));
        wd = static_cast<C>(gs.weight_decay);
        wd_r = round(wd);
        decay = static_cast<C>(gs.decay_factor);
        bc1 = static_cast<C>(w.ps.bc1);
        sqrt_bc2 = static_cast<C>(w.ps.sqrt_bc2);
        rect = static_cast<C>(w.ps.rect);
        lr = static_cast<C>(gs.lr);
        inv = static_cast<C>(static_cast<float>(gs.inv_scale));
        // PyTorch's lerp: start + w * (end - start) for w < 0.5, else end + (w - 1) * (end - start), each one fma.
        // A NaN constant as the default NaN: then every NaN in the vector loops has the low 16 bits of its float
        // zero, as loaded bfloat16 values do, so rounding to bfloat16 needs no NaN case (NaN stays NaN).
        if (Conv::reduced) {
            for (C* c : {&omb1, &b2, &omb2, &eps, &wd, &wd_r, &decay, &bc1, &sqrt_bc2, &rect, &lr, &inv}) {
                if (*c != *c) *c = std::numeric_limits<C>::quiet_NaN();
            }
        }
        lerp_small = omb1 < C(0.5);
        lerp_coeff = lerp_small ? omb1 : omb1 - C(1);
    }
};

// The vector loop for bfloat16 and float16 over [begin, end) in blocks of D::K float vectors; returns where it
// stopped, the scalar loop below does the rest. Simd (kernel_avx2.cpp, simd_avx512.h) gives float vectors and their
// IEEE operations, and per dtype (Simd::Brain, Simd::Half) a value rounded to the dtype (N), kept as the dtype's
// bits so that storing it or indexing a table with it costs no second conversion, and how a block is loaded and
// stored (bfloat16: a block's even and odd elements as two vectors, which takes one op each way). Every op and
// rounding is the scalar loop's, so are the bits; with tables (w.tab), a function of one variable is looked up.
template <typename Simd, typename Conv, bool Fma, int Scaled, bool Maximize, bool Decoupled, bool L2, bool Rectified>
inline int64_t vector_range(const Work& w, const Consts<Conv>& k, int64_t begin, int64_t end) {
    using V = typename Simd::V;
    using D = std::conditional_t<std::is_same<Conv, BF16>::value, typename Simd::Brain, typename Simd::Half>;
    using N = typename D::N;
    constexpr int K = D::K;
    constexpr bool native = D::native;  // D::sub subtracts in the dtype itself
    uint16_t* __restrict p = static_cast<uint16_t*>(w.param);
    const uint16_t* __restrict g = static_cast<const uint16_t*>(w.grad);
    uint16_t* __restrict m = static_cast<uint16_t*>(w.exp_avg);
    uint16_t* __restrict v = static_cast<uint16_t*>(w.exp_avg_sq);
    auto r = [](V x) { return D::widen(D::narrow(x)); };
    const V omb2 = Simd::set1(k.omb2), b2 = Simd::set1(k.b2), eps = Simd::set1(k.eps), wd_r = Simd::set1(k.wd_r),
            decay = Simd::set1(k.decay), bc1 = Simd::set1(k.bc1), sqrt_bc2 = Simd::set1(k.sqrt_bc2),
            rect = Simd::set1(k.rect), lr = Simd::set1(k.lr), lerp_coeff = Simd::set1(k.lerp_coeff),
            one = Simd::set1(1.0f), inv = Simd::set1(k.inv);
    const float* tab = w.tab;
    const bool bc1_one = k.bc1 == 1.0f, sqrt_bc2_one = k.sqrt_bc2 == 1.0f, rect_one = k.rect == 1.0f;
    auto look = [&](Table t, N x) { return Simd::gather(tab + t * TAB_ENTRIES, D::index(x)); };
    int64_t i = begin;
    for (; i + K * Simd::W <= end; i += K * Simd::W) {
        // With D::native the param stays in the dtype (see the last op), unless L2 needs it in float.
        V param[K], grad[K], m0[K], v0[K];
        N param_n[K], ea[K], eas[K];
        if constexpr (native) {
            D::load_n(p + i, param_n);
        } else {
            D::load(p + i, param);
        }
        D::load(g + i, grad);
        D::load(m + i, m0);
        D::load(v + i, v0);
        for (int j = 0; j < K; ++j) {
            if constexpr (native) {
                if (Decoupled) param_n[j] = D::narrow(Simd::mul(D::widen(param_n[j]), decay));
                if (L2) param[j] = D::widen(param_n[j]);
            } else {
                if (Decoupled) param[j] = r(Simd::mul(param[j], decay));
            }
            if (Scaled == 1) grad[j] = r(Simd::mul(grad[j], inv));
            if (Scaled == SCALED_EXACT) grad[j] = Simd::mul(grad[j], inv);  // a value of the dtype: see scan_grads
            if (Maximize) grad[j] = Simd::neg(grad[j]);
            if (L2) grad[j] = r(Simd::add(grad[j], r(Simd::mul(wd_r, param[j]))));
            ea[j] = D::narrow(vmadd<Fma, Simd>(lerp_coeff, Simd::sub(grad[j], m0[j]), k.lerp_small ? m0[j] : grad[j]));
            eas[j] = D::narrow(vmadd<Fma, Simd>(Simd::mul(omb2, grad[j]), grad[j], r(Simd::mul(v0[j], b2))));
            // A multiply or divide by a step scalar that is 1 (bias corrections and rect late in training) gives
            // the rounded operand back: left out, with its rounding.
            V update;  // rounded to the dtype, but for the product by rect, which the last op rounds
            if (tab) {
                update = look(TAB_UPDATE, ea[j]);
            } else if (bc1_one) {
                update = r(Simd::mul(D::widen(ea[j]), lr));
            } else {
                update = r(Simd::mul(r(Simd::div(D::widen(ea[j]), bc1)), lr));
            }
            if (Rectified) {
                V adaptive;
                if (tab) {
                    adaptive = look(TAB_ADAPT, eas[j]);
                } else {
                    adaptive = r(Simd::div(one, r(Simd::add(r(Simd::sqrt(D::widen(eas[j]))), eps))));
                    if (!sqrt_bc2_one) adaptive = r(Simd::mul(adaptive, sqrt_bc2));
                }
                update = r(Simd::mul(update, adaptive));
                if (!rect_one) update = Simd::mul(update, rect);
            }
            if constexpr (native) {
                param_n[j] = D::sub(param_n[j], D::narrow(update));
            } else {
                if (Rectified && !rect_one) update = r(update);
                param_n[j] = D::narrow(Simd::sub(param[j], update));
            }
        }
        D::store(m + i, ea);
        D::store(v + i, eas);
        D::store(p + i, param_n);
    }
    return i;
}

// The two chains of one variable, for the 16-bit patterns [begin, end): the same ops and roundings as range.
template <typename Simd, typename Conv>
inline void table_range(const Work& w, int64_t begin, int64_t end) {
    using C = typename Conv::Compute;
    const Consts<Conv> k(w);
    float* tu = const_cast<float*>(w.tab) + TAB_UPDATE * TAB_ENTRIES;
    float* ta = const_cast<float*>(w.tab) + TAB_ADAPT * TAB_ENTRIES;
    int64_t i = begin;
    if constexpr (!std::is_void<Simd>::value) {
        using V = typename Simd::V;
        using D = std::conditional_t<std::is_same<Conv, BF16>::value, typename Simd::Brain, typename Simd::Half>;
        auto r = [](V x) { return D::widen(D::narrow(x)); };
        const V eps = Simd::set1(k.eps), bc1 = Simd::set1(k.bc1), sqrt_bc2 = Simd::set1(k.sqrt_bc2),
                lr = Simd::set1(k.lr), one = Simd::set1(1.0f);
        uint16_t bits[Simd::W];
        for (; i + Simd::W <= end; i += Simd::W) {
            for (int j = 0; j < Simd::W; ++j) bits[j] = static_cast<uint16_t>(i + j);
            const V x = D::load1(bits);
            Simd::storeu(tu + i, r(Simd::mul(r(Simd::div(x, bc1)), lr)));
            Simd::storeu(ta + i, r(Simd::mul(r(Simd::div(one, r(Simd::add(r(Simd::sqrt(x)), eps)))), sqrt_bc2)));
        }
    }
    auto r = [](C x) { return Consts<Conv>::round(x); };
    for (; i < end; ++i) {
        const C x = Conv::load(static_cast<uint16_t>(i));
        tu[i] = r(r(x / k.bc1) * k.lr);
        ta[i] = r(r(C(1) / r(r(std::sqrt(x)) + k.eps)) * k.sqrt_bc2);
    }
}

template <typename Simd>
inline void tables(const Work& w, int64_t begin, int64_t end) {
    if (w.dtype == DTYPE_BFLOAT16) table_range<Simd, BF16>(w, begin, end);
    if (w.dtype == DTYPE_FLOAT16) table_range<Simd, F16>(w, begin, end);
}

// One loop per dtype and combination of options, with no branch inside, so that it vectorises: bfloat16 and
// float16 through Simd's vectors first when there is one (Simd = void: scalar only).
template <typename Simd, typename Conv, bool Fma, int Scaled, bool Maximize, bool Decoupled, bool L2, bool Rectified>
inline void range(const Work& w, int64_t begin, int64_t end) {
    using T = typename Conv::Storage;
    using C = typename Conv::Compute;
    constexpr bool reduced = Conv::reduced;
    const Consts<Conv> k(w);
    if constexpr (reduced && !std::is_void<Simd>::value) {
        begin = vector_range<Simd, Conv, Fma, Scaled, Maximize, Decoupled, L2, Rectified>(w, k, begin, end);
    }
    T* __restrict p = static_cast<T*>(w.param);
    const T* __restrict g = static_cast<const T*>(w.grad);
    T* __restrict m = static_cast<T*>(w.exp_avg);
    T* __restrict v = static_cast<T*>(w.exp_avg_sq);
    const C omb2 = k.omb2, b2 = k.b2, eps = k.eps, wd = k.wd, wd_r = k.wd_r, decay = k.decay, bc1 = k.bc1,
            sqrt_bc2 = k.sqrt_bc2, rect = k.rect, lr = k.lr, lerp_coeff = k.lerp_coeff;
    const bool lerp_small = k.lerp_small;
    const float* tab = w.tab;
    auto r = [](C x) { return Consts<Conv>::round(x); };
    for (int64_t i = begin; i < end; ++i) {
        C param = Conv::load(p[i]);
        C grad = Conv::load(g[i]);
        if (Scaled) grad = r(grad * k.inv);
        if (Maximize) grad = -grad;
        if (Decoupled) param = r(param * decay);
        if (L2) grad = reduced ? r(grad + r(wd_r * param)) : madd<Fma>(wd, param, grad);
        const C m0 = Conv::load(m[i]);
        const C ea = r(madd<Fma>(lerp_coeff, grad - m0, lerp_small ? m0 : grad));
        const C eas = reduced ? r(madd<Fma>(omb2 * grad, grad, r(Conv::load(v[i]) * b2)))
                              : madd<Fma>(omb2 * grad, grad, Conv::load(v[i]) * b2);
        const T ea_t = Conv::store(ea);
        const T eas_t = Conv::store(eas);
        m[i] = ea_t;
        v[i] = eas_t;
        C update;
        C adaptive = C(0);
        if constexpr (reduced) {
            // With tables (w.tab), the two chains of one variable are looked up by the stored bits.
            if (tab) {
                update = tab[TAB_UPDATE * TAB_ENTRIES + ea_t];
                if (Rectified) adaptive = tab[TAB_ADAPT * TAB_ENTRIES + eas_t];
            } else {
                update = r(r(ea / bc1) * lr);
                if (Rectified) adaptive = r(r(C(1) / r(r(std::sqrt(eas)) + eps)) * sqrt_bc2);
            }
        } else {
            update = r(r(ea / bc1) * lr);
            if (Rectified) adaptive = r(r(C(1) / r(r(std::sqrt(eas)) + eps)) * sqrt_bc2);
        }
        if (Rectified) update = r(r(update * adaptive) * rect);
        p[i] = Conv::store(param - update);
    }
}

template <typename Simd, typename Conv, bool Fma, int Scaled, bool Maximize, bool Decoupled, bool L2>
inline void by_rect(const Work& w, int64_t b, int64_t e) {
    if (w.ps.rectified) {
        range<Simd, Conv, Fma, Scaled, Maximize, Decoupled, L2, true>(w, b, e);
    } else {
        range<Simd, Conv, Fma, Scaled, Maximize, Decoupled, L2, false>(w, b, e);
    }
}

// Whether rounding param * decay to bfloat16 / float16 gives param back for every param: when the factor is within
// 2^-10 (bfloat16) or 2^-13 (float16) below 1, param * decay moves a value by less than a quarter of its spacing to the
// next value below (half of it at a power of two, and below the smallest normal the spacing is fixed), so the decoupled
// decay's op changes no bit and is left out. (The usual case: lr * weight_decay is about 1e-5.)
template <typename Conv>
inline bool decay_keeps_param(double decay_factor) {
    if constexpr (!Conv::reduced) {
        return false;
    } else {
        const float d = static_cast<float>(decay_factor);
        const float limit = std::is_same<Conv, BF16>::value ? 0x1p-10f : 0x1p-13f;
        return d <= 1.0f && 1.0f - d <= limit;
    }
}

template <typename Simd, typename Conv, bool Fma, int Scaled>
inline void by_decay(const Work& w, int64_t b, int64_t e) {
    const GroupScalars& gs = *w.gs;
    const bool dec = gs.weight_decay != 0 && gs.decoupled != 0 && !decay_keeps_param<Conv>(gs.decay_factor);
    const bool l2 = gs.weight_decay != 0 && gs.decoupled == 0;
    if (gs.maximize) {
        if (dec) by_rect<Simd, Conv, Fma, Scaled, true, true, false>(w, b, e);
        else if (l2) by_rect<Simd, Conv, Fma, Scaled, true, false, true>(w, b, e);
        else by_rect<Simd, Conv, Fma, Scaled, true, false, false>(w, b, e);
    } else {
        if (dec) by_rect<Simd, Conv, Fma, Scaled, false, true, false>(w, b, e);
        else if (l2) by_rect<Simd, Conv, Fma, Scaled, false, false, true>(w, b, e);
        else by_rect<Simd, Conv, Fma, Scaled, false, false, false>(w, b, e);
    }
}

template <typename Simd, typename Conv, bool Fma>
inline void by_scaled(const Work& w, int64_t b, int64_t e) {
    if constexpr (Conv::reduced) {
        if (w.gs->scaled == SCALED_EXACT) {
            by_decay<Simd, Conv, Fma, SCALED_EXACT>(w, b, e);
            return;
        }
    }
    if (w.gs->scaled) {
        by_decay<Simd, Conv, Fma, 1>(w, b, e);
    } else {
        by_decay<Simd, Conv, Fma, 0>(w, b, e);
    }
}

template <typename Simd, typename Conv>
inline void by_options(const Work& w, int64_t b, int64_t e) {
    if (w.gs->fma) {
        by_scaled<Simd, Conv, true>(w, b, e);
    } else {
        by_scaled<Simd, Conv, false>(w, b, e);
    }
}

// bench --peer: the step computed the way DeepSpeed's CPU Adam computes Adam, for comparison only: float math
// throughout and one rounding per store, so bfloat16 results are not PyTorch's bits. Same update as range's
// rectified branch (no weight decay, no maximize), left to the compiler to vectorise.
template <typename Conv>
inline void peer_range(const Work& w, int64_t begin, int64_t end) {
    using T = typename Conv::Storage;
    using C = typename Conv::Compute;
    const GroupScalars& gs = *w.gs;
    const C b1 = static_cast<C>(gs.beta1), omb1 = static_cast<C>(1.0 - gs.beta1), b2 = static_cast<C>(gs.beta2),
            omb2 = static_cast<C>(1.0 - gs.beta2), eps = static_cast<C>(gs.eps),
            step_size = static_cast<C>(gs.lr / w.ps.bc1), adapt = static_cast<C>(w.ps.sqrt_bc2 * w.ps.rect);
    T* __restrict p = static_cast<T*>(w.param);
    const T* __restrict g = static_cast<const T*>(w.grad);
    T* __restrict m = static_cast<T*>(w.exp_avg);
    T* __restrict v = static_cast<T*>(w.exp_avg_sq);
    for (int64_t i = begin; i < end; ++i) {
        const C grad = Conv::load(g[i]);
        const C ea = std::fma(grad, omb1, Conv::load(m[i]) * b1);
        const C eas = std::fma(grad * grad, omb2, Conv::load(v[i]) * b2);
        m[i] = Conv::store(ea);
        v[i] = Conv::store(eas);
        p[i] = Conv::store(Conv::load(p[i]) - step_size * ea * (adapt / (std::sqrt(eas) + eps)));
    }
}

inline void peer(const Work& w, int64_t begin, int64_t end) {
    if (w.dtype == DTYPE_FLOAT32) peer_range<F32>(w, begin, end);
    if (w.dtype == DTYPE_BFLOAT16) peer_range<BF16>(w, begin, end);
}

// GradScaler's check of x[begin, end): whether any is an inf or a NaN (its bits without the sign at least `inf`'s),
// and the smallest nonzero magnitude, as the minimum of |bits| - 1 (unsigned: a zero wraps to the largest). An
// unsigned max and min over blocks of 4096, which the build vectorises for its instruction set, so the read runs at
// memory speed; the first block that holds a non-finite value ends the scan.
template <typename Bits>
inline GradScan scan_bits(const void* data, int64_t begin, int64_t end, Bits abs_mask, Bits inf) {
    const Bits* __restrict x = static_cast<const Bits*>(data);
    constexpr int64_t kBlock = 4096;
    Bits low = static_cast<Bits>(~Bits(0));
    for (int64_t b = begin; b < end; b += kBlock) {
        const int64_t e = b + kBlock < end ? b + kBlock : end;
        Bits top = 0;
        Bits small = static_cast<Bits>(~Bits(0));
        for (int64_t i = b; i < e; ++i) {
            const Bits a = x[i] & abs_mask;
            const Bits a1 = static_cast<Bits>(a - 1);
            top = a > top ? a : top;
            small = a1 < small ? a1 : small;
        }
        if (top >= inf) return GradScan{true, 0};
        low = small < low ? small : low;
    }
    return GradScan{false, low};
}

inline GradScan scan(const Work& w, int64_t begin, int64_t end) {
    switch (w.dtype) {
        case DTYPE_FLOAT32: return scan_bits<uint32_t>(w.grad, begin, end, 0x7FFFFFFFu, 0x7F800000u);
        case DTYPE_FLOAT64:
            return scan_bits<uint64_t>(w.grad, begin, end, 0x7FFFFFFFFFFFFFFFull, 0x7FF0000000000000ull);
        case DTYPE_BFLOAT16: return scan_bits<uint16_t>(w.grad, begin, end, 0x7FFFu, 0x7F80u);
        case DTYPE_FLOAT16: return scan_bits<uint16_t>(w.grad, begin, end, 0x7FFFu, 0x7C00u);
    }
    return GradScan{false, 0};
}

template <typename Simd>
inline void dispatch(const Work& w, int64_t begin, int64_t end) {
    switch (w.dtype) {
        case DTYPE_FLOAT32: by_options<Simd, F32>(w, begin, end); break;
        case DTYPE_FLOAT64: by_options<Simd, F64>(w, begin, end); break;
        case DTYPE_BFLOAT16: by_options<Simd, BF16>(w, begin, end); break;
        case DTYPE_FLOAT16: by_options<Simd, F16>(w, begin, end); break;
    }
}

}  // namespace
}  // namespace radam4j
