// radam4j's fused RAdam kernel: the interface between the JNI entry and the kernel.
#pragma once

#include <cstdint>
#include <vector>

namespace radam4j {

enum Dtype : int { DTYPE_FLOAT32 = 0, DTYPE_FLOAT64 = 1, DTYPE_BFLOAT16 = 2, DTYPE_FLOAT16 = 3 };

// Options shared by every param of a group.
struct GroupScalars {
    double beta1, beta2, eps, weight_decay, decay_factor, lr;
    int decoupled, maximize;
};

// Per-param step sizes, computed in double by Java's StepScalars:
// rectified:   update = exp_avg * (rect_step / (sqrt(exp_avg_sq) + eps)), rect_step = lr * rect * sqrt(bc2) / bc1
// unrectified: update = exp_avg * unrect_step,                             unrect_step = lr / bc1
// bfloat16 and float16 instead follow the for-loop's ops one by one, rounding after each as PyTorch does, from
// bc1, sqrt(bc2) and rect.
struct ParamScalars {
    double rect_step, unrect_step, bc1, sqrt_bc2, rect;
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
};

// Runs one step over every param of a group, on up to `threads` threads.
void fused_step(const std::vector<Work>& work, int threads);

// Memory bandwidth in GB/s of an optimizer step's traffic without its arithmetic: read four float arrays of n
// elements and write three of them back (28 bytes per element), on `threads` threads, the best of `reps` runs.
double stream_gbps(int64_t n, int threads, int reps);

// The instruction set the kernel runs with: "avx2+fma" or "portable".
const char* isa();

}  // namespace radam4j
