// radam4j's fused RAdam step: one pass over param, grad, exp_avg and exp_avg_sq per element.
//
// The per-param scalars (bias corrections, rect, step sizes) come from Java, computed in double by the same
// code as the other paths (StepScalars); this file only streams the tensors. float32 and float64 are computed
// in their own precision; bfloat16 and float16 are loaded into float, computed, and rounded back to nearest
// even; complex64 arrives as its float32 real view. The AVX2/FMA variant is chosen at run time, so an x86-64
// CPU without AVX2 runs the portable variant instead of faulting.

#include "radam_fused.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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
    const C rect_step = static_cast<C>(ps.rect_step);
    const C unrect_step = static_cast<C>(ps.unrect_step);
    const C bc1 = static_cast<C>(ps.bc1);
    const C sqrt_bc2 = static_cast<C>(ps.sqrt_bc2);
    const C rect = static_cast<C>(ps.rect);
    const C lr = static_cast<C>(gs.lr);
    auto r = [](C x) { return reduced ? Conv::load(Conv::store(x)) : x; };
    // libtorch's reduced-precision add(other, alpha) rounds alpha and alpha * other to the dtype too.
    const C wd_r = r(wd);
    for (int64_t i = begin; i < end; ++i) {
        C param = Conv::load(p[i]);
        C grad = Conv::load(g[i]);
        if (Maximize) grad = -grad;
        if (Decoupled) param = r(param * decay);
        if (L2) grad = reduced ? r(grad + r(wd_r * param)) : grad + wd * param;
        const C m0 = Conv::load(m[i]);
        const C ea = r(m0 + omb1 * (grad - m0));
        const C eas = r(r(Conv::load(v[i]) * b2) + omb2 * grad * grad);
        m[i] = Conv::store(ea);
        v[i] = Conv::store(eas);
        C update;
        if (reduced) {
            update = r(r(ea / bc1) * lr);
            if (Rectified) {
                const C adaptive = r(r(C(1) / r(r(std::sqrt(eas)) + eps)) * sqrt_bc2);
                update = r(r(update * adaptive) * rect);
            }
        } else {
            update = Rectified ? ea * (rect_step / (std::sqrt(eas) + eps)) : ea * unrect_step;
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

void run_portable(const Work& w, int64_t begin, int64_t end) { dispatch(w, begin, end); }

__attribute__((target("avx2,fma"))) void run_avx2(const Work& w, int64_t begin, int64_t end) { dispatch(w, begin, end); }

bool has_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}

// A small pool of worker threads that lives for the process; each call splits its work into chunks.
class Pool {
public:
    void run(int threads, int64_t chunks, const std::function<void(int64_t)>& body) {
        if (threads <= 1 || chunks <= 1) {
            for (int64_t c = 0; c < chunks; ++c) body(c);
            return;
        }
        std::unique_lock<std::mutex> call(call_mutex_);
        ensure(threads - 1);
        std::atomic<int64_t> next{0};
        std::atomic<int> done{0};
        int helpers = std::min<int64_t>(threads - 1, chunks - 1);
        auto task = [&]() {
            for (int64_t c; (c = next.fetch_add(1)) < chunks;) body(c);
        };
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = [&]() {
                task();
                done.fetch_add(1);
            };
            pending_ = helpers;
            ++generation_;
        }
        wake_.notify_all();
        task();
        std::unique_lock<std::mutex> lock(mutex_);
        finished_.wait(lock, [&] { return done.load() == helpers; });
        job_ = nullptr;
    }

    ~Pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (auto& t : workers_) t.detach();
    }

private:
    void ensure(int n) {
        while (static_cast<int>(workers_.size()) < n) {
            workers_.emplace_back([this] { loop(); });
        }
    }

    void loop() {
        uint64_t seen = 0;
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || (generation_ != seen && pending_ > 0); });
                if (stop_) return;
                seen = generation_;
                --pending_;
                job = job_;
            }
            job();
            std::lock_guard<std::mutex> lock(mutex_);
            finished_.notify_all();
        }
    }

    std::mutex call_mutex_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable finished_;
    std::vector<std::thread> workers_;
    std::function<void()> job_;
    int pending_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
};

Pool& pool() {
    static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction at exit
    return *p;
}

}  // namespace

const char* isa() { return has_avx2() ? "avx2+fma" : "portable"; }

void fused_step(const std::vector<Work>& work, int threads) {
    constexpr int64_t kChunk = 1 << 16;
    struct Chunk {
        size_t work;
        int64_t begin, end;
    };
    std::vector<Chunk> chunks;
    for (size_t i = 0; i < work.size(); ++i) {
        for (int64_t b = 0; b < work[i].numel; b += kChunk) {
            chunks.push_back({i, b, std::min(work[i].numel, b + kChunk)});
        }
    }
    const bool avx2 = has_avx2();
    pool().run(threads, static_cast<int64_t>(chunks.size()), [&](int64_t c) {
        const Chunk& ch = chunks[c];
        if (avx2) {
            run_avx2(work[ch.work], ch.begin, ch.end);
        } else {
            run_portable(work[ch.work], ch.begin, ch.end);
        }
    });
}

namespace {

// The traffic of an optimizer step without its arithmetic: read four arrays, write three of them back.
__attribute__((target("avx2,fma"))) void stream4_avx2(float* __restrict p, const float* __restrict g,
                                                     float* __restrict m, float* __restrict v, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
        const float x = g[i];
        p[i] += x;
        m[i] += x;
        v[i] += x;
    }
}

void stream4_portable(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                      int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
        const float x = g[i];
        p[i] += x;
        m[i] += x;
        v[i] += x;
    }
}

}  // namespace

double stream_gbps(int64_t n, int threads, int reps) {
    std::vector<float> p(n, 1.0f), g(n, 1e-3f), m(n, 0.0f), v(n, 0.0f);
    constexpr int64_t kChunk = 1 << 16;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    const bool avx2 = has_avx2();
    double best = 0;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        pool().run(threads, chunks, [&](int64_t ch) {
            const int64_t lo = ch * kChunk;
            const int64_t hi = std::min(n, lo + kChunk);
            if (avx2) {
                stream4_avx2(p.data(), g.data(), m.data(), v.data(), lo, hi);
            } else {
                stream4_portable(p.data(), g.data(), m.data(), v.data(), lo, hi);
            }
        });
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, 28.0 * static_cast<double>(n) / s / 1e9);
    }
    return best + (p[n / 2] < 0 ? 1e-12 : 0);
}

}  // namespace radam4j
