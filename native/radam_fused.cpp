// radam4j's fused RAdam step: one pass over param, grad, exp_avg and exp_avg_sq per element.
//
// The per-param scalars (bias corrections, rect, step sizes) come from Java, computed in double by the same
// code as the other paths (StepScalars); this file only streams the tensors. float32 and float64 are computed
// in their own precision; bfloat16 and float16 are loaded into float, computed, and rounded back to nearest
// even; complex64 arrives as its float32 real view. The variant (portable, AVX2/FMA/F16C, AVX-512, AVX-512 with
// AVX512-FP16) is chosen at run time from what the CPU has, so a CPU without AVX2 runs the portable variant
// instead of faulting.

#include "radam_fused.h"

#include <cpuid.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <vector>

namespace radam4j {
namespace {

enum Isa : int { ISA_PORTABLE = 0, ISA_AVX2 = 1, ISA_AVX512 = 2, ISA_AVX512_FP16 = 3 };
const char* const kIsaNames[] = {"portable", "avx2+fma+f16c", "avx512", "avx512+fp16"};

// AVX512-FP16 (CPUID leaf 7, EDX bit 23), which GCC 12's __builtin_cpu_supports does not know.
[[maybe_unused]] bool has_avx512fp16() {
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 23)) != 0;
}

// The best instruction set this CPU runs.
int best_isa() {
    static const int best = [] {
        const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
        const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#ifdef RADAM4J_AVX512FP16
        if (avx512 && has_avx512fp16()) return ISA_AVX512_FP16;
#endif
        return avx512 ? ISA_AVX512 : avx2 ? ISA_AVX2 : ISA_PORTABLE;
    }();
    return best;
}

std::atomic<int> forced{-1};

int current_isa() {
    const int f = forced.load();
    return f >= 0 ? f : best_isa();
}

void run(int isa, const Work& w, int64_t begin, int64_t end) {
    switch (isa) {
#ifdef RADAM4J_AVX512FP16
        case ISA_AVX512_FP16: run_avx512fp16(w, begin, end); break;
#endif
        case ISA_AVX512: run_avx512(w, begin, end); break;
        case ISA_AVX2: run_avx2(w, begin, end); break;
        default: run_portable(w, begin, end); break;
    }
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

void build_tables(int isa, const Work& w, int64_t begin, int64_t end) {
    switch (isa) {
        case ISA_AVX512_FP16:
        case ISA_AVX512: tables_avx512(w, begin, end); break;
        case ISA_AVX2: tables_avx2(w, begin, end); break;
        default: tables_portable(w, begin, end); break;
    }
}

// bfloat16 and float16: the two chains of one variable in the update (see Work) are looked up in tables of their
// 65536 values rather than computed, for the params whose step shares bc1 and sqrt(bc2) with enough elements to
// pay for the tables (each costs about as much as 65536 elements computed).
constexpr int64_t kTablesFrom = 1 << 19;
std::atomic<int64_t> tables_threshold{kTablesFrom};

// What the tables depend on besides the group's options: the dtype and the bits of bc1 and sqrt(bc2).
std::tuple<int, uint64_t, uint64_t> table_key(const Work& w) {
    uint64_t bc1, sqrt_bc2;
    std::memcpy(&bc1, &w.ps.bc1, sizeof bc1);
    std::memcpy(&sqrt_bc2, &w.ps.sqrt_bc2, sizeof sqrt_bc2);
    return {w.dtype, bc1, sqrt_bc2};
}

// The tables' memory, kept from step to step by each stepping thread: a fresh half megabyte would cost its page
// faults every step.
std::vector<std::unique_ptr<float[]>>& table_storage() {
    thread_local std::vector<std::unique_ptr<float[]>> tables;
    return tables;
}

// Builds the tables each key of `work` is worth and points its works at them.
void attach_tables(std::vector<Work>& work, int isa, int threads) {
    if (isa == ISA_PORTABLE) return;  // its scalar loop computes
    std::vector<size_t> first;  // the first work of each key
    std::vector<int64_t> sizes;
    std::vector<int> key_of(work.size(), -1);
    std::map<std::tuple<int, uint64_t, uint64_t>, int> keys;
    for (size_t i = 0; i < work.size(); ++i) {
        if (work[i].dtype != DTYPE_BFLOAT16 && work[i].dtype != DTYPE_FLOAT16) continue;
        const auto found = keys.emplace(table_key(work[i]), static_cast<int>(first.size()));
        if (found.second) {
            first.push_back(i);
            sizes.push_back(0);
        }
        key_of[i] = found.first->second;
        sizes[key_of[i]] += work[i].numel;
    }
    const int64_t worth = tables_threshold.load();
    std::vector<Work> built;
    std::vector<int> slot(first.size(), -1);
    for (size_t k = 0; k < first.size(); ++k) {
        if (sizes[k] < worth || sizes[k] == 0) continue;
        if (table_storage().size() == built.size()) {
            table_storage().emplace_back(new float[TAB_COUNT * TAB_ENTRIES]);
        }
        slot[k] = static_cast<int>(built.size());
        built.push_back(work[first[k]]);
        built.back().tab = table_storage()[slot[k]].get();
    }
    if (built.empty()) return;
    constexpr int64_t kPart = 8192;
    const int64_t parts = TAB_ENTRIES / kPart;
    pool().run(threads, parts * static_cast<int64_t>(built.size()), [&](int64_t c) {
        build_tables(isa, built[c / parts], (c % parts) * kPart, (c % parts + 1) * kPart);
    });
    for (size_t i = 0; i < work.size(); ++i) {
        if (key_of[i] >= 0 && slot[key_of[i]] >= 0) work[i].tab = built[slot[key_of[i]]].tab;
    }
}

}  // namespace

int64_t tables_from(int64_t elements) { return tables_threshold.exchange(elements < 0 ? kTablesFrom : elements); }

const char* isa() { return kIsaNames[current_isa()]; }

bool use_isa(const char* name) {
    if (name == nullptr) {
        forced.store(-1);
        return true;
    }
    for (int i = 0; i <= best_isa(); ++i) {
        if (std::strcmp(name, kIsaNames[i]) == 0) {
            forced.store(i);
            return true;
        }
    }
    return false;
}

std::vector<std::string> isas() {
    return std::vector<std::string>(kIsaNames, kIsaNames + best_isa() + 1);
}

namespace {

// Calls f(work index, begin, end) over the work's elements in chunks of about kChunk elements on up to `threads`
// threads: a large param is cut into several chunks, small params share one, so that many small params cost one
// task each chunk rather than one each.
template <typename F>
void each_chunk(const std::vector<Work>& work, int threads, F&& f) {
    constexpr int64_t kChunk = 1 << 16;
    struct Segment {
        size_t work;
        int64_t begin, end;
    };
    std::vector<Segment> segments;
    std::vector<size_t> starts{0};
    int64_t filled = 0;
    for (size_t i = 0; i < work.size(); ++i) {
        for (int64_t b = 0; b < work[i].numel;) {
            const int64_t e = std::min(work[i].numel, b + (kChunk - filled));
            segments.push_back({i, b, e});
            filled += e - b;
            b = e;
            if (filled == kChunk) {
                starts.push_back(segments.size());
                filled = 0;
            }
        }
    }
    if (starts.back() != segments.size()) starts.push_back(segments.size());
    pool().run(threads, static_cast<int64_t>(starts.size() - 1), [&](int64_t c) {
        for (size_t s = starts[c]; s < starts[c + 1]; ++s) {
            f(segments[s].work, segments[s].begin, segments[s].end);
        }
    });
}

// Whether any of n values, each `Bits` wide, has the exponent bits `mask` all set: an inf or a NaN.
template <typename Bits>
bool any_non_finite(const void* data, int64_t begin, int64_t end, Bits mask) {
    const Bits* __restrict x = static_cast<const Bits*>(data);
    Bits found = 0;
    for (int64_t i = begin; i < end; ++i) {
        found |= static_cast<Bits>((x[i] & mask) == mask);
    }
    return found != 0;
}

}  // namespace

void fused_step(const std::vector<Work>& given, int threads) {
    const int isa = current_isa();
    std::vector<Work> work(given);
    attach_tables(work, isa, threads);
    each_chunk(work, threads, [&](size_t i, int64_t b, int64_t e) { run(isa, work[i], b, e); });
}

bool non_finite_grads(const std::vector<Work>& work, int threads) {
    std::atomic<bool> found{false};
    each_chunk(work, threads, [&](size_t i, int64_t b, int64_t e) {
        if (found.load(std::memory_order_relaxed)) return;
        const Work& w = work[i];
        bool f = false;
        switch (w.dtype) {
            case DTYPE_FLOAT32: f = any_non_finite<uint32_t>(w.grad, b, e, 0x7F800000u); break;
            case DTYPE_FLOAT64: f = any_non_finite<uint64_t>(w.grad, b, e, 0x7FF0000000000000ull); break;
            case DTYPE_BFLOAT16: f = any_non_finite<uint16_t>(w.grad, b, e, 0x7F80u); break;
            case DTYPE_FLOAT16: f = any_non_finite<uint16_t>(w.grad, b, e, 0x7C00u); break;
        }
        if (f) found.store(true, std::memory_order_relaxed);
    });
    return found.load();
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
    const bool avx2 = current_isa() >= ISA_AVX2;
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
