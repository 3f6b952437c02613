// radam4j's fused RAdam kernel: the interface between the JNI entry and the kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace radam4j {

enum Dtype : int { DTYPE_FLOAT32 = 0, DTYPE_FLOAT64 = 1, DTYPE_BFLOAT16 = 2, DTYPE_FLOAT16 = 3 };

// Options shared by every param of a group.
struct GroupScalars {
    double beta1, beta2, eps, weight_decay, decay_factor, lr;
    int decoupled, maximize;
    // GradScaler's step: each gradient is first multiplied by inv_scale (a float32 value), rounded to the dtype,
    // as _amp_foreach_non_finite_check_and_unscale_ computes it, without writing it back. scaled: 0, not; 1, so;
    // SCALED_EXACT, so, where scan_grads found every product a value of the dtype (no rounding to do).
    double inv_scale;
    int scaled;
    // Whether libtorch's CPU kernels fuse multiply-adds, as they do at its AVX2 and AVX512 capabilities
    // (vectorised lerp, add with alpha and addcmul call fmadd), or not, at its DEFAULT capability (a CPU without
    // AVX2 and FMA, or ATEN_CPU_CAPABILITY=default): there a * b + c, two roundings. Set from libtorch_fma().
    int fma = 1;
};

// What the kernel takes libtorch to do (see GroupScalars::fma): the Java side sets it from
// at::get_cpu_capability() before the first step; true until then.
void set_libtorch_fma(bool fused);
bool libtorch_fma();

// Per-param scalars, computed in double by Java's StepScalars (the same code as the other paths):
// update = (exp_avg / bc1) * lr, then, when rectified, * ((1 / (sqrt(exp_avg_sq) + eps)) * sqrt(bc2)) * rect.
struct ParamScalars {
    double bc1, sqrt_bc2, rect;
    int rectified;
};

// One param's four contiguous tensors of numel elements of dtype.
struct Work {
    void* param;
    const void* grad;
    void* exp_avg;
    void* exp_avg_sq;
    int64_t numel;
    int dtype;
    ParamScalars ps;
    const GroupScalars* gs;
    // bfloat16 and float16 only, or null: the step's functions of one variable, as tables indexed by the 16 bits
    // of that variable (see attach_tables in radam_fused.cpp), rounded after each op: the same bits as computing them.
    // TAB_UPDATE: exp_avg -> (exp_avg / bc1) * lr; TAB_ADAPT: exp_avg_sq -> (1 / (sqrt(exp_avg_sq) + eps)) *
    // sqrt(bc2). (Tables for the one-op functions, such as exp_avg_sq * beta2, measured slower than computing.)
    const float* tab = nullptr;
};

enum Table : int { TAB_UPDATE = 0, TAB_ADAPT = 1, TAB_COUNT = 2 };
constexpr int64_t TAB_ENTRIES = 65536;

// Fills w's tables (which must be writable, TAB_COUNT * TAB_ENTRIES floats) for the bit patterns [begin, end).
void tables_portable(const Work& w, int64_t begin, int64_t end);
void tables_avx2(const Work& w, int64_t begin, int64_t end);
void tables_avx512(const Work& w, int64_t begin, int64_t end);

// The loop over elements [begin, end) of one param: each build of the same code (see kernel.h).
void run_portable(const Work& w, int64_t begin, int64_t end);
void run_avx2(const Work& w, int64_t begin, int64_t end);
void run_avx512(const Work& w, int64_t begin, int64_t end);
void run_avx512fp16(const Work& w, int64_t begin, int64_t end);
void peer_portable(const Work& w, int64_t begin, int64_t end);
void peer_avx2(const Work& w, int64_t begin, int64_t end);
void peer_avx512(const Work& w, int64_t begin, int64_t end);
// One part of scan_grads over elements [begin, end) of w's gradient: see kernel.h's GradScan.
struct GradScan {
    bool non_finite;
    uint64_t low;  // the smallest of |bits| - 1 over the part (a zero counts as the largest), in the dtype's bits
};
GradScan scan_portable(const Work& w, int64_t begin, int64_t end);
GradScan scan_avx2(const Work& w, int64_t begin, int64_t end);
GradScan scan_avx512(const Work& w, int64_t begin, int64_t end);
void stream4_avx2(float* p, const float* g, float* m, float* v, int64_t lo, int64_t hi);

// Runs one step over every param of a group, on up to `threads` threads.
void fused_step(const std::vector<Work>& work, int threads);

// bench --peer: the same step computed as DeepSpeed's CPU Adam computes (float math, one rounding per store; see
// peer_range in kernel.h), float32 and bfloat16 only, on the variant float32 runs with. Not PyTorch's bits.
void peer_step(const std::vector<Work>& work, int threads);

constexpr int SCALED_EXACT = 2;

// GradScaler's check before a step that unscales in the kernel, reading each gradient of the work once on up to
// `threads` threads: SCAN_NON_FINITE when one holds an inf or a NaN; else SCAN_EXACT when multiplying every
// bfloat16/float16 gradient by inv_scale gives a value of the dtype (inv_scale a power of two at most 1, and no
// nonzero gradient so small that the product falls below the dtype's smallest normal), so that the kernel's
// rounding after the multiply would change nothing; else 0.
enum Scan : int { SCAN_NON_FINITE = 1, SCAN_EXACT = 2 };
int scan_grads(const std::vector<Work>& work, int threads, float inv_scale);

// Memory bandwidth in GB/s of an optimizer step's traffic without its arithmetic: read four float arrays of n
// elements and write three of them back (28 bytes per element), on `threads` threads, the best of `reps` runs.
double stream_gbps(int64_t n, int threads, int reps);

// Sets how many elements of a step must share bc1 and sqrt(bc2) for bfloat16/float16 tables to be built, whatever
// the plan says (a negative value: the plan decides again); returns the previous setting. For tests and benchmarks:
// 0 tables every such param, INT64_MAX none.
int64_t tables_from(int64_t elements);

// bfloat16 and float16: times every variant this CPU runs, with and without tables, on 2M synthetic elements (a
// few tens of milliseconds), and from then on runs each dtype with the fastest; all of them give the same bits.
// Returns the plan as apply_plans reads it, with the times as # comments.
std::string calibrate(int threads);

// Applies a plan calibrate returned (from a cache); false, changing nothing, when it is malformed or names a
// variant this CPU cannot run.
bool apply_plans(const std::string& text);

// What bfloat16 and float16 run with now, e.g. "bfloat16=avx512,computed float16=avx512,tables".
std::string plans();

// This CPU's brand string, cpuid signature, hardware threads and best variant: the key of a cached plan.
std::string cpu_id();

// The instruction set the kernel runs float32 and float64 with: "portable", "avx2+fma+f16c", "avx512" or
// "avx512+fp16" (use_isa's, else the best; bfloat16 and float16 follow the plan, see plans()).
const char* isa();

// The instruction sets this CPU can run, from the most portable to the best.
std::vector<std::string> isas();

// Runs the named variant for every dtype from now on (for tests and benchmarks), or the planned/best one again for
// nullptr; false when this CPU cannot run it (nothing changes then).
bool use_isa(const char* name);

}  // namespace radam4j
