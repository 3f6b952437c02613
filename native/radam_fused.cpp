// radam4j's fused RAdam step: one pass over param, grad, exp_avg and exp_avg_sq per element.
//
// The per-param scalars (bias corrections, rect, step sizes) come from Java, computed in double by the same
// code as the other paths (StepScalars); this file only streams the tensors. float32 and float64 are computed
// in their own precision; bfloat16 and float16 are loaded into float, computed, and rounded back to nearest
// even; complex64 arrives as its float32 real view. The AVX2/FMA variant is chosen at run time, so an x86-64
// CPU without AVX2 runs the portable variant instead of faulting.

#include "radam_fused.h"

#include <atomic>
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
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
    }
    uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>((bits + rounding) >> 16);
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

template <bool Reduced, typename T, typename Load, typename Store>
inline void step_range(T* p, const T* g, T* m, T* v, int64_t begin, int64_t end, const ParamScalars& ps,
                       const GroupScalars& gs, Load load, Store store) {
    using C = decltype(load(p[0]));
    const C omb1 = static_cast<C>(1.0 - gs.beta1);
    const C b2 = static_cast<C>(gs.beta2);
    const C omb2 = static_cast<C>(1.0 - gs.beta2);
    const C eps = static_cast<C>(gs.eps);
    const C wd = static_cast<C>(gs.weight_decay);
    const C decay = static_cast<C>(gs.decay_factor);
    const C rect_step = static_cast<C>(ps.rect_step);
    const C unrect_step = static_cast<C>(ps.unrect_step);
    const bool maximize = gs.maximize != 0;
    const bool l2 = gs.weight_decay != 0 && gs.decoupled == 0;
    const bool decoupled = gs.weight_decay != 0 && gs.decoupled != 0;
    const bool rectified = ps.rectified != 0;
    const C bc1 = static_cast<C>(ps.bc1);
    const C sqrt_bc2 = static_cast<C>(ps.sqrt_bc2);
    const C rect = static_cast<C>(ps.rect);
    const C lr = static_cast<C>(gs.lr);
    // round(x): what storing x in the param's dtype keeps. PyTorch rounds to the dtype after every op; doing the
    // same at the points where it stores (grad after weight decay, each moment update) keeps bfloat16 and
    // float16 within their tolerance of PyTorch.
    auto round = [&](C x) { return load(store(x)); };
    for (int64_t i = begin; i < end; ++i) {
        C param = load(p[i]);
        C grad = load(g[i]);
        if (maximize) grad = -grad;
        if (decoupled) param = round(param * decay);
        if (l2) {
            // libtorch's reduced-precision add(other, alpha) rounds alpha and alpha * other to the dtype too.
            grad = Reduced ? round(grad + round(round(wd) * param)) : grad + wd * param;
        }
        C ea = round(load(m[i]) + omb1 * (grad - load(m[i])));
        C eas = round(round(load(v[i]) * b2) + omb2 * grad * grad);
        m[i] = store(ea);
        v[i] = store(eas);
        if (Reduced) {
            C scaled = round(round(ea / bc1) * lr);
            if (rectified) {
                C adaptive = round(round(C(1) / round(round(std::sqrt(eas)) + eps)) * sqrt_bc2);
                scaled = round(round(scaled * adaptive) * rect);
            }
            p[i] = store(param - scaled);
        } else {
            C update = rectified ? ea * (rect_step / (std::sqrt(eas) + eps)) : ea * unrect_step;
            p[i] = store(param - update);
        }
    }
}

template <typename T>
inline T identity(T x) { return x; }

void run_portable(const Work& w, int64_t begin, int64_t end) {
    switch (w.dtype) {
        case DTYPE_FLOAT32:
            step_range<false>(static_cast<float*>(w.param), static_cast<const float*>(w.grad), static_cast<float*>(w.exp_avg),
                       static_cast<float*>(w.exp_avg_sq), begin, end, w.ps, *w.gs, identity<float>, identity<float>);
            break;
        case DTYPE_FLOAT64:
            step_range<false>(static_cast<double*>(w.param), static_cast<const double*>(w.grad), static_cast<double*>(w.exp_avg),
                       static_cast<double*>(w.exp_avg_sq), begin, end, w.ps, *w.gs, identity<double>, identity<double>);
            break;
        case DTYPE_BFLOAT16:
            step_range<true>(static_cast<uint16_t*>(w.param), static_cast<const uint16_t*>(w.grad),
                       static_cast<uint16_t*>(w.exp_avg), static_cast<uint16_t*>(w.exp_avg_sq), begin, end, w.ps, *w.gs,
                       bf16_to_float, float_to_bf16);
            break;
        case DTYPE_FLOAT16:
            step_range<true>(static_cast<uint16_t*>(w.param), static_cast<const uint16_t*>(w.grad),
                       static_cast<uint16_t*>(w.exp_avg), static_cast<uint16_t*>(w.exp_avg_sq), begin, end, w.ps, *w.gs,
                       half_to_float, float_to_half);
            break;
    }
}

__attribute__((target("avx2,fma"))) void run_avx2(const Work& w, int64_t begin, int64_t end) {
    switch (w.dtype) {
        case DTYPE_FLOAT32:
            step_range<false>(static_cast<float*>(w.param), static_cast<const float*>(w.grad), static_cast<float*>(w.exp_avg),
                       static_cast<float*>(w.exp_avg_sq), begin, end, w.ps, *w.gs, identity<float>, identity<float>);
            break;
        case DTYPE_FLOAT64:
            step_range<false>(static_cast<double*>(w.param), static_cast<const double*>(w.grad), static_cast<double*>(w.exp_avg),
                       static_cast<double*>(w.exp_avg_sq), begin, end, w.ps, *w.gs, identity<double>, identity<double>);
            break;
        default:
            run_portable(w, begin, end);
    }
}

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

}  // namespace radam4j
