package org.radam4j.internal;

/**
 * The JNI entry of the fused kernel ({@code native/radam4j_jni.cpp}): one call steps a batch of params of one
 * dtype. The native functions take primitives and arrays only; {@code javac -h} writes their C declarations (and
 * the constants below as macros) into the header that {@code radam4j_jni.cpp} includes, so a signature that
 * differs between the two sides fails the build. The native side turns every C++ exception into a Java one.
 * Loaded on first use by {@link NativeLoader}.
 */
public final class FusedKernel {

    public static final int FLOAT32 = 0;
    public static final int FLOAT64 = 1;
    public static final int BFLOAT16 = 2;
    public static final int FLOAT16 = 3;

    /** {@link ParamBatch#stepKinds()}: the caller increments this step counter itself after the call. */
    public static final int STEP_BY_CALLER = 0;
    /** {@link ParamBatch#stepKinds()}: a CPU float32 counter the kernel sets to the next step after the loop. */
    public static final int STEP_FLOAT32 = 1;
    /** {@link ParamBatch#stepKinds()}: a CPU float64 counter the kernel sets to the next step after the loop. */
    public static final int STEP_FLOAT64 = 2;

    private static final NativeLoader.Result LOADED = NativeLoader.library();

    private FusedKernel() {
    }

    /**
     * The options shared by every param of a group (C++ {@code GroupScalars}).
     *
     * @param decayFactor {@code 1 - lr * weightDecay}, the decoupled decay's factor
     * @param invScale GradScaler's inverse scale (a float32 value): each gradient is read times it, rounded to its
     *     dtype, as {@code _amp_foreach_non_finite_check_and_unscale_} would leave it (the gradient itself is not
     *     written); 0: gradients are read as they are
     * @param invScaleExact {@link #scan} returned {@link #SCAN_EXACT} for these gradients and {@code invScale}: the
     *     rounding after the multiply is left out, as it would change nothing
     */
    public record GroupScalars(double lr, double beta1, double beta2, double eps, double weightDecay, double decayFactor,
            boolean decoupled, boolean maximize, double invScale, boolean invScaleExact) {

        /** A group without GradScaler's inverse scale, or with one whose rounding the kernel does. */
        public GroupScalars(double lr, double beta1, double beta2, double eps, double weightDecay, double decayFactor,
                boolean decoupled, boolean maximize, double invScale) {
            this(lr, beta1, beta2, eps, weightDecay, decayFactor, decoupled, maximize, invScale, false);
        }
    }

    /**
     * Params of one dtype, element {@code i} of each array for param {@code i}: data addresses of the four
     * contiguous tensors, element counts, the step scalars computed by {@code StepScalars} (C++ {@code Work}), and
     * each step counter's address, kind ({@code STEP_*}) and next value. The kernel writes the counters only once
     * every element is stepped, so a call that fails changes nothing.
     */
    public record ParamBatch(int dtype, long[] params, long[] grads, long[] expAvgs, long[] expAvgSqs, long[] numels,
            double[] bc1s, double[] sqrtBc2s, double[] rects, boolean[] rectified, long[] steps, int[] stepKinds,
            double[] nextSteps) {
    }

    /** The kernel's code for a dtype it steps (complex64 as its float32 real view), or -1. */
    public static int dtypeCode(org.bytedeco.pytorch.global.torch.ScalarType t) {
        return switch (t) {
            case Float, ComplexFloat -> FLOAT32;
            case Double -> FLOAT64;
            case BFloat16 -> BFLOAT16;
            case Half -> FLOAT16;
            default -> -1;
        };
    }

    /** {@code null} when the kernel is loaded, else why not and what to do. */
    public static String unavailableReason() {
        return LOADED.failure();
    }

    /**
     * Steps every param of the batch on up to {@code threads} threads.
     *
     * @throws IllegalArgumentException on a malformed batch (null or mismatched arrays, null data, unknown dtype)
     * @throws IllegalStateException on a native failure
     */
    public static void step(GroupScalars group, ParamBatch batch, int threads) {
        if (group == null || batch == null) {
            throw new IllegalArgumentException("FusedKernel.step: null group or batch");
        }
        if (batch.dtype() == BFLOAT16 || batch.dtype() == FLOAT16) {
            KernelPlans.ensure(threads);
        }
        LibtorchCapability.apply();
        step0(group.lr(), group.beta1(), group.beta2(), group.eps(), group.weightDecay(), group.decayFactor(),
                group.decoupled(), group.maximize(), group.invScale(), group.invScaleExact(), batch.dtype(), batch.params(), batch.grads(), batch.expAvgs(),
                batch.expAvgSqs(), batch.numels(), batch.bc1s(), batch.sqrtBc2s(), batch.rects(), batch.rectified(),
                batch.steps(), batch.stepKinds(), batch.nextSteps(), threads);
    }

    /**
     * {@code bench --peer}: the same step as DeepSpeed's CPU Adam computes Adam (float math, one rounding per store,
     * no weight decay or maximize), float32 and bfloat16 only. Its results are not PyTorch's bits; it is there to
     * show what exactness costs.
     */
    public static void peerStep(GroupScalars group, ParamBatch batch, int threads) {
        peerStep0(group.lr(), group.beta1(), group.beta2(), group.eps(), group.weightDecay(), group.decayFactor(),
                group.decoupled(), group.maximize(), group.invScale(), group.invScaleExact(), batch.dtype(), batch.params(), batch.grads(), batch.expAvgs(),
                batch.expAvgSqs(), batch.numels(), batch.bc1s(), batch.sqrtBc2s(), batch.rects(), batch.rectified(),
                batch.steps(), batch.stepKinds(), batch.nextSteps(), threads);
    }

    private static native void peerStep0(double lr, double beta1, double beta2, double eps, double weightDecay,
            double decayFactor, boolean decoupled, boolean maximize, double invScale, boolean invScaleExact, int dtype,
            long[] params, long[] grads,
            long[] expAvgs, long[] expAvgSqs, long[] numels, double[] bc1s, double[] sqrtBc2s, double[] rects,
            boolean[] rectified, long[] steps, int[] stepKinds, double[] nextSteps, int threads);

    private static native void step0(double lr, double beta1, double beta2, double eps, double weightDecay,
            double decayFactor, boolean decoupled, boolean maximize, double invScale, boolean invScaleExact, int dtype,
            long[] params, long[] grads,
            long[] expAvgs, long[] expAvgSqs, long[] numels, double[] bc1s, double[] sqrtBc2s, double[] rects,
            boolean[] rectified, long[] steps, int[] stepKinds, double[] nextSteps, int threads);

    /** {@link #scan}: a gradient holds an inf or a NaN. */
    public static final int SCAN_NON_FINITE = 1;
    /**
     * {@link #scan}: all finite, and each bfloat16/float16 gradient times {@code invScale} is a value of its dtype
     * ({@code invScale} a power of two at most 1, no nonzero gradient small enough for the product to fall below the
     * dtype's smallest normal): a step may then leave out the rounding after the multiply ({@code invScaleExact}).
     */
    public static final int SCAN_EXACT = 2;

    /**
     * GradScaler's check before a step that unscales in the kernel, over the contiguous gradients of dtype
     * {@code dtype} ({@code grads[i]}: data address, {@code numels[i]} elements), reading each once (libtorch's
     * unscale op would also write it), on up to {@code threads} threads: {@link #SCAN_NON_FINITE},
     * {@link #SCAN_EXACT}, or 0 (finite, the multiply by {@code invScale} needs its rounding).
     *
     * @throws IllegalArgumentException on null or mismatched arrays, a null address or an unknown dtype
     */
    public static int scan(int dtype, long[] grads, long[] numels, int threads, float invScale) {
        return scan0(dtype, grads, numels, threads, invScale);
    }

    private static native int scan0(int dtype, long[] grads, long[] numels, int threads, float invScale);

    /**
     * Memory bandwidth (GB/s) of a step's traffic without its arithmetic: read four float arrays of {@code n}
     * elements, write three back (28 bytes per element), on {@code threads} threads, the best of {@code reps}.
     */
    public static native double streamGbps(long n, int threads, int reps);

    /**
     * bfloat16 and float16 look up two functions of one variable in per-step tables of their 65,536 values once at
     * least this many elements of a step share them, whatever the plan says ({@code 0}: always, for tests;
     * {@code Long.MAX_VALUE}: never); negative: the plan decides again (tables from 524,288 elements where they won the
     * calibration). Returns the previous setting. The bits are the same either way.
     */
    public static native long tablesFrom(long elements);

    /**
     * Whether libtorch's CPU kernels fuse multiply-adds (its AVX2 and AVX512 capabilities: lerp, add with alpha and
     * addcmul call fmadd) or not (DEFAULT: a CPU without AVX2 and FMA, or {@code ATEN_CPU_CAPABILITY=default});
     * the kernel then does the same, so that its bits stay the for-loop's.
     */
    private static native void libtorchFma0(boolean fused);

    /** libtorch's capability, read once, given to the kernel before its first step. */
    private static final class LibtorchCapability {
        private static volatile boolean applied;

        static void apply() {
            if (!applied) {
                synchronized (LibtorchCapability.class) {
                    if (!applied) {
                        libtorchFma0(fuses(org.bytedeco.pytorch.global.torch.get_cpu_capability().getString()));
                        applied = true;
                    }
                }
            }
        }
    }

    /** Whether libtorch at capability {@code name} (as {@code torch.backends.cpu.get_cpu_capability()}) fuses. */
    public static boolean fuses(String name) {
        return !"DEFAULT".equalsIgnoreCase(name.trim());
    }

    /**
     * Runs the named variant of the loop (its full name, or the part before the first {@code +}: {@code avx2}) for
     * every dtype from now on ({@code null}: the plan's, else the best this CPU
     * has), for tests and benchmarks; {@code false}, changing nothing, when this CPU cannot run it.
     */
    public static native boolean useIsa(String name);

    /**
     * The variants this CPU can run, from the most portable to the best: {@code portable}, {@code avx2+fma+f16c},
     * {@code avx512}, {@code avx512+fp16}.
     */
    public static native String[] isas();

    /** The variant float32 and float64 run with now ({@link #plans()} for bfloat16 and float16). */
    public static native String isa();

    /**
     * bfloat16 and float16: times every variant this CPU runs, with and without lookup tables, on 2M synthetic
     * elements, and runs each dtype with the fastest from then on (every variant gives the same bits). Returns the
     * plan as {@link #applyPlans} reads it, with the times as {@code #} comments. {@link KernelPlans} calls this once
     * per CPU and library build and caches the plan.
     */
    public static String calibrate(int threads) {
        return calibrate0(threads);
    }

    private static native String calibrate0(int threads);

    /** Applies a plan {@link #calibrate} returned; {@code false}, changing nothing, when malformed or not for this CPU. */
    public static boolean applyPlans(String plan) {
        return applyPlans0(plan);
    }

    private static native boolean applyPlans0(String plan);

    /** What bfloat16 and float16 run with now, e.g. {@code bfloat16=avx512,computed float16=avx512,tables}. */
    public static native String plans();

    /** This CPU's brand string, cpuid signature, hardware threads and best variant: the key of a cached plan. */
    public static native String cpuId();
}
