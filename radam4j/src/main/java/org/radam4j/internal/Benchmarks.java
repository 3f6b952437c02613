package org.radam4j.internal;

import java.util.List;

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

    /**
     * The variant of the fused kernel in use: {@code portable}, {@code avx2+fma+f16c}, {@code avx512} or
     * {@code avx512+fp16}.
     */
    public static String fusedInstructionSet() {
        requireKernel();
        return FusedKernel.isa();
    }

    /** The variants this CPU runs, from the most portable to the best. */
    public static List<String> fusedInstructionSets() {
        requireKernel();
        return List.of(FusedKernel.isas());
    }

    /** Runs the named variant from now on; {@code false} (nothing changed) when this CPU cannot run it. */
    public static boolean useFusedInstructionSet(String name) {
        requireKernel();
        return FusedKernel.useIsa(name);
    }

    private static void requireKernel() {
        if (FusedKernel.unavailableReason() != null) {
            throw new IllegalStateException(FusedKernel.unavailableReason());
        }
    }
}
