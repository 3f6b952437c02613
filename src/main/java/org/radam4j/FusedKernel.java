package org.radam4j;

/**
 * The JNI entry of the fused kernel ({@code native/radam4j_jni.cpp}): one call steps a whole group of one
 * dtype. Loaded on first use by {@link NativeLoader}.
 */
final class FusedKernel {

    static final int FLOAT32 = 0;
    static final int FLOAT64 = 1;
    static final int BFLOAT16 = 2;
    static final int FLOAT16 = 3;

    private static final NativeLoader.Result LOADED = NativeLoader.load(NativeLoader.RESOURCE);

    private FusedKernel() {
    }

    /** {@code null} when the kernel is loaded, else why not and what to do. */
    static String unavailableReason() {
        return LOADED.failure();
    }

    static native void step(long[] params, long[] grads, long[] expAvgs, long[] expAvgSqs, long[] numels, int dtype,
            double[] bc1s, double[] sqrtBc2s, double[] rects, boolean[] rectified,
            double lr, double beta1, double beta2, double eps, double weightDecay, double decayFactor, boolean decoupled,
            boolean maximize, int threads);

    /**
     * Memory bandwidth (GB/s) of a step's traffic without its arithmetic: read four float arrays of {@code n}
     * elements, write three back (28 bytes per element), on {@code threads} threads, the best of {@code reps}.
     */
    static native double streamGbps(long n, int threads, int reps);

    /** Runs the portable build of the loop even where AVX2/FMA is available (for tests). */
    static native void usePortable(boolean portable);

    /** The instruction set the kernel chose: {@code avx2+fma} or {@code portable}. */
    static native String isa();
}
