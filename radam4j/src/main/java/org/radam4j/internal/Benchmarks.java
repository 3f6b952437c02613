package org.radam4j.internal;

/**
 * What {@code scripts/radam4j bench} needs from the library's internals: the fused kernel's memory-bandwidth
 * probe and the instruction set it runs with.
 */
public final class Benchmarks {

    private Benchmarks() {
    }

    /** {@code null} when the fused kernel is loaded, else why not and what to do. */
    public static String fusedUnavailableReason() {
        return FusedKernel.unavailableReason();
    }

    /**
     * The memory bandwidth in GB/s for an optimizer's access pattern: the best of {@code reps} passes that read
     * four float arrays of {@code n} elements and write three of them back, with no arithmetic to speak of.
     */
    public static double memoryBandwidthGbps(long n, int threads, int reps) {
        requireKernel();
        return FusedKernel.streamGbps(n, threads, reps);
    }

    /** {@code avx2+fma} or {@code portable}. */
    public static String fusedInstructionSet() {
        requireKernel();
        return FusedKernel.isa();
    }

    private static void requireKernel() {
        if (FusedKernel.unavailableReason() != null) {
            throw new IllegalStateException(FusedKernel.unavailableReason());
        }
    }
}
