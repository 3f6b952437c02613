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
#include <sstream>
#include <stdexcept>
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

// bfloat16 and float16: what calibrate measured fastest on this machine. plan_isa: the variant (-1: not measured,
// best_isa()); plan_tables[variant]: whether tables won there (-1: not measured, tables are used).
int reduced(int dtype) { return dtype == DTYPE_BFLOAT16 ? 0 : dtype == DTYPE_FLOAT16 ? 1 : -1; }
std::atomic<int> plan_isa[2] = {{-1}, {-1}};
std::atomic<int> plan_tables[2][4] = {{{-1}, {-1}, {-1}, {-1}}, {{-1}, {-1}, {-1}, {-1}}};

int isa_for(int dtype) {
    const int f = forced.load();
    if (f >= 0) return f;
    const int r = reduced(dtype);
    const int planned = r >= 0 ? plan_isa[r].load() : -1;
    return planned >= 0 ? planned : best_isa();
}

int current_isa() { return isa_for(DTYPE_FLOAT32); }

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
// tables_from's setting: negative, the plan decides with kTablesFrom; else tables from that many elements on.
std::atomic<int64_t> tables_override{-1};

// How many elements of one key make tables worth it for this dtype on this variant (INT64_MAX: never).
int64_t tables_worth(int dtype, int isa) {
    const int64_t o = tables_override.load();
    if (o >= 0) return o;
    const int r = reduced(dtype);
    return r >= 0 && plan_tables[r][isa].load() == 0 ? INT64_MAX : kTablesFrom;
}

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
void attach_tables(std::vector<Work>& work, int isa, int64_t worth, int threads) {
    if (worth == INT64_MAX) return;
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

namespace {
std::atomic<bool> libtorch_fuses{true};
}  // namespace

void set_libtorch_fma(bool fused) { libtorch_fuses.store(fused); }
bool libtorch_fma() { return libtorch_fuses.load(); }

int64_t tables_from(int64_t elements) { return tables_override.exchange(elements < 0 ? -1 : elements); }

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
    // A variant's first part alone ("avx2" for "avx2+fma+f16c"), unless a variant is named exactly that.
    const size_t n = std::strlen(name);
    for (int i = 0; i <= best_isa(); ++i) {
        if (n > 0 && std::strncmp(name, kIsaNames[i], n) == 0 && kIsaNames[i][n] == '+') {
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

}  // namespace

namespace {

// One step of work (one dtype) with this variant, looking up tables for keys of at least `worth` elements.
void step_with(const std::vector<Work>& given, int isa, int64_t worth, int threads) {
    std::vector<Work> work(given);
    attach_tables(work, isa, worth, threads);
    each_chunk(work, threads, [&](size_t i, int64_t b, int64_t e) { run(isa, work[i], b, e); });
}

}  // namespace

void fused_step(const std::vector<Work>& work, int threads) {
    if (work.empty()) return;
    const int dtype = work[0].dtype;
    for (const Work& w : work) {
        if (w.dtype != dtype) throw std::invalid_argument("fused_step: one dtype per call");
    }
    const int isa = isa_for(dtype);
    step_with(work, isa, tables_worth(dtype, isa), threads);
}

void peer_step(const std::vector<Work>& work, int threads) {
    for (const Work& w : work) {
        if (w.dtype != DTYPE_FLOAT32 && w.dtype != DTYPE_BFLOAT16) {
            throw std::invalid_argument("bench --peer: float32 and bfloat16 only");
        }
    }
    const int isa = current_isa();
    each_chunk(work, threads, [&](size_t i, int64_t b, int64_t e) {
        if (isa >= ISA_AVX512) {
            peer_avx512(work[i], b, e);
        } else if (isa == ISA_AVX2) {
            peer_avx2(work[i], b, e);
        } else {
            peer_portable(work[i], b, e);
        }
    });
}

namespace {

// Whether g * inv needs no rounding to the dtype for every gradient g of the scan: inv = 2^-k with k >= 0 (a float
// whose significand is 1), so that the product keeps g's significand, and `low` (the smallest |g| - 1) shows every
// nonzero |g| at least 2^k times the dtype's smallest normal, so that the product is a normal value of the dtype.
bool scale_exact(int dtype, float inv, uint64_t low) {
    uint32_t bits;
    std::memcpy(&bits, &inv, 4);
    const uint32_t exponent = bits >> 23;
    if ((bits & 0x7fffffu) != 0 || exponent == 0 || exponent > 127) return false;
    const uint64_t k = 127 - exponent;
    const int mantissa_bits = dtype == DTYPE_BFLOAT16 ? 7 : dtype == DTYPE_FLOAT16 ? 10 : -1;
    const uint64_t max_exponent = dtype == DTYPE_BFLOAT16 ? 254 : 30;
    if (mantissa_bits < 0 || k + 1 > max_exponent) return false;
    const uint64_t smallest = (k + 1) << mantissa_bits;  // the bits of 2^k times the smallest normal
    return low >= smallest - 1;
}

}  // namespace

int scan_grads(const std::vector<Work>& work, int threads, float inv_scale) {
    std::atomic<bool> found{false};
    std::mutex merge;
    uint64_t low = ~uint64_t(0);
    const int isa = current_isa();
    each_chunk(work, threads, [&](size_t i, int64_t b, int64_t e) {
        if (found.load(std::memory_order_relaxed)) return;
        const GradScan s = isa >= ISA_AVX512 ? scan_avx512(work[i], b, e)
                           : isa == ISA_AVX2 ? scan_avx2(work[i], b, e)
                                             : scan_portable(work[i], b, e);
        if (s.non_finite) {
            found.store(true, std::memory_order_relaxed);
            return;
        }
        std::lock_guard<std::mutex> lock(merge);
        low = std::min(low, s.low);
    });
    if (found.load()) return SCAN_NON_FINITE;
    return !work.empty() && scale_exact(work[0].dtype, inv_scale, low) ? SCAN_EXACT : 0;
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

namespace {

const char* const kReducedNames[] = {"bfloat16", "float16"};

// Synthetic params of realistic magnitudes (param about 1, grad 1e-2, exp_avg 1e-3, exp_avg_sq 1e-5), as 16-bit
// patterns of the dtype: a random sign and mantissa with an exponent near the magnitude.
std::vector<uint16_t> patterns(int dtype, int64_t n, int exponent_bf16, uint64_t seed) {
    std::vector<uint16_t> out(static_cast<size_t>(n));
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (auto& o : out) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const uint32_t r = static_cast<uint32_t>(x >> 32);
        if (dtype == DTYPE_BFLOAT16) {
            const uint32_t e = static_cast<uint32_t>(exponent_bf16 - static_cast<int>(r >> 30));
            o = static_cast<uint16_t>(((r & 1u) << 15) | (e << 7) | ((r >> 8) & 0x7fu));
        } else {
            const int e = std::max(1, exponent_bf16 - 112 - static_cast<int>(r >> 30));  // float16's bias is 15
            o = static_cast<uint16_t>(((r & 1u) << 15) | (static_cast<uint32_t>(e) << 10) | ((r >> 8) & 0x3ffu));
        }
    }
    return out;
}

}  // namespace

std::string calibrate(int threads) {
    static std::mutex calibrating;
    std::lock_guard<std::mutex> lock(calibrating);
    constexpr int64_t kElements = 1 << 21;
    constexpr int kReps = 5;
    const GroupScalars gs{0.9, 0.999, 1e-8, 0.0, 1.0, 1e-3, 0, 0, 1.0, 0};
    std::ostringstream out;
    for (int dtype : {DTYPE_BFLOAT16, DTYPE_FLOAT16}) {
        const int r = reduced(dtype);
        std::vector<uint16_t> p = patterns(dtype, kElements, 126, 1), g = patterns(dtype, kElements, 120, 2),
                              m = patterns(dtype, kElements, 117, 3), v = patterns(dtype, kElements, 110, 4);
        Work w{};
        w.param = p.data();
        w.grad = g.data();
        w.exp_avg = m.data();
        w.exp_avg_sq = v.data();
        w.numel = kElements;
        w.dtype = dtype;
        w.ps = ParamScalars{0.2, 0.1, 0.5, 1};
        w.gs = &gs;
        const std::vector<Work> work{w};
        double best = INFINITY;
        int best_isa_found = best_isa();
        for (int isa = best_isa() > ISA_PORTABLE ? ISA_AVX2 : ISA_PORTABLE; isa <= best_isa(); ++isa) {
            double ms[2] = {INFINITY, INFINITY};
            for (int tables = 0; tables < 2; ++tables) {
                const int64_t worth = tables ? 0 : INT64_MAX;
                step_with(work, isa, worth, threads);
                for (int rep = 0; rep < kReps; ++rep) {
                    const auto t0 = std::chrono::steady_clock::now();
                    step_with(work, isa, worth, threads);
                    ms[tables] = std::min(ms[tables], std::chrono::duration<double, std::milli>(
                                                          std::chrono::steady_clock::now() - t0).count());
                }
            }
            const int tables = ms[1] < ms[0] ? 1 : 0;
            plan_tables[r][isa].store(tables);
            out << "# " << kReducedNames[r] << " " << kIsaNames[isa] << ": computed " << ms[0] << " ms, tables "
                << ms[1] << " ms (" << kElements << " elements)\n";
            out << kReducedNames[r] << ".tables." << kIsaNames[isa] << "=" << tables << "\n";
            if (ms[tables] < best) {
                best = ms[tables];
                best_isa_found = isa;
            }
        }
        plan_isa[r].store(best_isa_found);
        out << kReducedNames[r] << ".isa=" << kIsaNames[best_isa_found] << "\n";
    }
    return out.str();
}

bool apply_plans(const std::string& text) {
    int isas[2] = {-1, -1};
    int tables[2][4] = {{-1, -1, -1, -1}, {-1, -1, -1, -1}};
    std::istringstream in(text);
    std::string line;
    auto isa_named = [](const std::string& name) {
        for (int i = 0; i <= best_isa(); ++i) {
            if (name == kIsaNames[i]) return i;
        }
        return -1;
    };
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const size_t eq = line.find('=');
        const size_t dot = line.find('.');
        if (eq == std::string::npos || dot == std::string::npos || dot > eq) return false;
        const std::string dtype = line.substr(0, dot), key = line.substr(dot + 1, eq - dot - 1), value = line.substr(eq + 1);
        const int r = dtype == "bfloat16" ? 0 : dtype == "float16" ? 1 : -1;
        if (r < 0) return false;
        if (key == "isa") {
            if ((isas[r] = isa_named(value)) < 0) return false;
        } else if (key.rfind("tables.", 0) == 0) {
            const int isa = isa_named(key.substr(7));
            if (isa < 0 || (value != "0" && value != "1")) return false;
            tables[r][isa] = value == "1";
        } else {
            return false;
        }
    }
    if (isas[0] < 0 || isas[1] < 0) return false;
    for (int r = 0; r < 2; ++r) {
        plan_isa[r].store(isas[r]);
        for (int i = 0; i < 4; ++i) plan_tables[r][i].store(tables[r][i]);
    }
    return true;
}

std::string plans() {
    std::ostringstream out;
    for (int dtype : {DTYPE_BFLOAT16, DTYPE_FLOAT16}) {
        const int isa = isa_for(dtype);
        out << kReducedNames[reduced(dtype)] << "=" << kIsaNames[isa]
            << (tables_worth(dtype, isa) == INT64_MAX ? ",computed" : ",tables") << (dtype == DTYPE_BFLOAT16 ? " " : "");
    }
    return out.str();
}

std::string cpu_id() {
    unsigned regs[12] = {};
    char brand[49] = {};
    for (unsigned leaf = 0; leaf < 3; ++leaf) {
        if (!__get_cpuid(0x80000002u + leaf, &regs[0], &regs[1], &regs[2], &regs[3])) break;
        std::memcpy(brand + 16 * leaf, regs, 16);
    }
    unsigned a = 0, b, c, d;
    __get_cpuid(1, &a, &b, &c, &d);
    std::ostringstream out;
    std::string name(brand);
    name.erase(0, name.find_first_not_of(' '));
    out << name << " (cpuid " << std::hex << a << ", " << std::dec << std::thread::hardware_concurrency()
        << " threads, variants up to " << kIsaNames[best_isa()] << ")";
    return out.str();
}

}  // namespace radam4j
