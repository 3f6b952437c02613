package org.radam4j.internal;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

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

    /**
     * What bfloat16 and float16 run with on this CPU ({@link FusedKernel#plans()}), after the calibration or cached
     * plan a first step of theirs would apply.
     */
    public static String fusedPlans(int threads) {
        requireKernel();
        KernelPlans.ensure(threads);
        return FusedKernel.plans();
    }

    /** The CPU's brand string, cpuid signature, hardware threads and best variant. */
    public static String cpuId() {
        requireKernel();
        return FusedKernel.cpuId();
    }

    /**
     * {@code bench --peer}: a step of {@link FusedKernel#peerStep} (DeepSpeed's way: float math, one rounding per
     * store) over these contiguous float32 or bfloat16 params and their gradients, with zeroed state and the
     * rectified update of step 10 at lr 1e-3, betas (0.9, 0.999), eps 1e-8. Its state tensors live in the
     * caller's {@code PointerScope}.
     */
    public static Runnable peerStep(List<Tensor> params, int threads) {
        requireKernel();
        int n = params.size();
        long[] p = new long[n], g = new long[n], m = new long[n], v = new long[n], numels = new long[n];
        double beta1 = 0.9, beta2 = 0.999;
        int step = 10;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double rhoInf = 2 / (1 - beta2) - 1, rhoT = rhoInf - 2 * step * Math.pow(beta2, step) / bc2;
        double rect = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        double[] bc1s = new double[n], sqrtBc2s = new double[n], rects = new double[n], nextSteps = new double[n];
        boolean[] rectified = new boolean[n];
        int[] kinds = new int[n];
        List<Tensor> keep = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Tensor param = params.get(i);
            if (!param.is_contiguous() || !param.grad().defined() || !param.grad().is_contiguous()) {
                throw new IllegalArgumentException("bench --peer: contiguous params with contiguous gradients only");
            }
            Tensor ea = torch.zeros_like(param);
            Tensor eas = torch.zeros_like(param);
            keep.add(ea);
            keep.add(eas);
            p[i] = param.data_ptr().address();
            g[i] = param.grad().data_ptr().address();
            m[i] = ea.data_ptr().address();
            v[i] = eas.data_ptr().address();
            numels[i] = param.numel();
            bc1s[i] = bc1;
            sqrtBc2s[i] = Math.sqrt(bc2);
            rects[i] = rect;
            rectified[i] = true;
            kinds[i] = FusedKernel.STEP_BY_CALLER;
        }
        int dtype = FusedKernel.dtypeCode(Dtypes.of(params.get(0)));
        FusedKernel.GroupScalars group = new FusedKernel.GroupScalars(1e-3, beta1, beta2, 1e-8, 0, 1, false, false, 0);
        FusedKernel.ParamBatch batch = new FusedKernel.ParamBatch(dtype, p, g, m, v, numels, bc1s, sqrtBc2s, rects,
                rectified, new long[n], kinds, nextSteps);
        return () -> {
            if (keep.isEmpty()) {
                throw new IllegalStateException("unreachable: the state is kept");
            }
            FusedKernel.peerStep(group, batch, threads);
        };
    }

    /**
     * {@code bench --impl fused_check}: the inf/NaN scan a GradScaler step on a fused RAdam makes before the kernel
     * runs ({@link FusedKernel#scan}: reads every gradient once, writes nothing), over these params' contiguous
     * gradients of one dtype.
     */
    public static Runnable nonFiniteCheck(List<Tensor> params, int threads) {
        requireKernel();
        int n = params.size();
        long[] g = new long[n];
        long[] numels = new long[n];
        for (int i = 0; i < n; i++) {
            Tensor grad = params.get(i).grad();
            if (!grad.defined() || !grad.is_contiguous() || !grad.is_cpu()) {
                throw new IllegalArgumentException("bench fused_check: contiguous CPU gradients only");
            }
            g[i] = grad.data_ptr().address();
            numels[i] = grad.numel();
        }
        int dtype = FusedKernel.dtypeCode(Dtypes.of(params.get(0)));
        return () -> {
            if (FusedKernel.scan(dtype, g, numels, threads, 1.0f) == FusedKernel.SCAN_NON_FINITE) {
                throw new IllegalStateException("bench fused_check: a gradient is not finite");
            }
        };
    }

    private static void requireKernel() {
        if (FusedKernel.unavailableReason() != null) {
            throw new IllegalStateException(FusedKernel.unavailableReason());
        }
    }
}
