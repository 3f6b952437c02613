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
#include <system_error>
#include <thread>
#include <vector>

namespace radam4j {
namespace {

std::atomic<bool> force_portable{false};

bool has_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes && !force_portable.load();
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
        int helpers = static_cast<int>(std::min<int64_t>(std::min<int64_t>(threads - 1, chunks - 1),
                                                         static_cast<int64_t>(workers_.size())));
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
    // Starts workers up to n; when the system refuses a thread, runs with the workers it has.
    void ensure(int n) {
        try {
            while (static_cast<int>(workers_.size()) < n) {
                workers_.emplace_back([this] { loop(); });
            }
        } catch (const std::system_error&) {
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

void use_portable(bool portable) { force_portable.store(portable); }

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
