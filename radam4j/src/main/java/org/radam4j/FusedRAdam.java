package org.radam4j;

import org.radam4j.internal.FusedKernel;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.view_as_real;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The fused path (radam4j's own; PyTorch has no fused RAdam): one native pass per param over its four tensors,
 * multithreaded over {@code torch.get_num_threads()} threads, with the per-param step sizes computed here in
 * double by {@link StepScalars}. Params it cannot take, those not on the CPU or whose param, gradient and state
 * are not all contiguous, are stepped by the for-loop path instead, each on its own.
 */
final class FusedRAdam {

    private FusedRAdam() {
    }

    /**
     * Whether the kernel takes this param: CPU, a supported dtype, at least one element (an empty tensor has no
     * data pointer), and all four tensors contiguous.
     */
    static boolean takes(Tensor p, Tensor g, Tensor m, Tensor v) {
        ScalarType t = Dtypes.of(p);
        boolean dtype = t == ScalarType.Float || t == ScalarType.Double || t == ScalarType.BFloat16 || t == ScalarType.Half
                || t == ScalarType.ComplexFloat;
        return dtype && p.is_cpu() && p.numel() > 0 && p.is_contiguous() && g.is_contiguous() && m.is_contiguous()
                && v.is_contiguous() && !g.is_sparse();
    }

    static void step(GroupTensors t, RAdamOptions o) {
        List<Integer> fallback = new ArrayList<>();
        Map<Integer, List<Integer>> byDtype = new LinkedHashMap<>();
        for (int i = 0; i < t.size(); i++) {
            if (takes(t.params().get(i), t.grads().get(i), t.expAvgs().get(i), t.expAvgSqs().get(i))) {
                byDtype.computeIfAbsent(code(t.params().get(i)), k -> new ArrayList<>()).add(i);
            } else {
                fallback.add(i);
            }
        }
        if (!fallback.isEmpty()) {
            ForLoopRAdam.step(pick(t, fallback), o);
        }
        for (Map.Entry<Integer, List<Integer>> e : byDtype.entrySet()) {
            try (PointerScope scope = new PointerScope()) {
                run(t, e.getValue(), e.getKey(), o);
            }
        }
    }

    private static GroupTensors pick(GroupTensors t, List<Integer> idx) {
        List<Tensor> p = new ArrayList<>(), g = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>(),
                s = new ArrayList<>();
        for (int i : idx) {
            p.add(t.params().get(i));
            g.add(t.grads().get(i));
            m.add(t.expAvgs().get(i));
            v.add(t.expAvgSqs().get(i));
            s.add(t.stateSteps().get(i));
        }
        return new GroupTensors(p, g, m, v, s);
    }

    /**
     * {@code step += 1}, returning the new count: written straight into a CPU float32 counter (what
     * {@code add_(1)} computes, without an op dispatch per param), through the op otherwise.
     */
    private static double increment(Tensor step) {
        if (step.is_cpu() && Dtypes.of(step) == ScalarType.Float && step.numel() == 1) {
            try (FloatPointer f = new FloatPointer(step.data_ptr())) {
                float next = f.get(0) + 1.0f;
                f.put(0, next);
                return next;
            }
        }
        step.add_(new Scalar(1L));
        return step.item_double();
    }

    private static int code(Tensor p) {
        return switch (Dtypes.of(p)) {
            case Double -> FusedKernel.FLOAT64;
            case BFloat16 -> FusedKernel.BFLOAT16;
            case Half -> FusedKernel.FLOAT16;
            default -> FusedKernel.FLOAT32;
        };
    }

    private static void run(GroupTensors t, List<Integer> idx, int dtype, RAdamOptions o) {
        int n = idx.size();
        long[] p = new long[n];
        long[] g = new long[n];
        long[] m = new long[n];
        long[] v = new long[n];
        long[] numel = new long[n];
        boolean[] rectified = new boolean[n];
        double[] bc1 = new double[n];
        double[] sqrtBc2 = new double[n];
        double[] rect = new double[n];
        double lr = o.lr();
        for (int k = 0; k < n; k++) {
            int i = idx.get(k);
            Tensor param = t.params().get(i);
            Tensor grad = t.grads().get(i);
            Tensor expAvg = t.expAvgs().get(i);
            Tensor expAvgSq = t.expAvgSqs().get(i);
            if (param.is_complex()) {
                param = view_as_real(param);
                grad = view_as_real(grad);
                expAvg = view_as_real(expAvg);
                expAvgSq = view_as_real(expAvgSq);
            }
            StepScalars s = StepScalars.of(o.beta1(), o.beta2(), increment(t.stateSteps().get(i)));
            p[k] = param.data_ptr().address();
            g[k] = grad.data_ptr().address();
            m[k] = expAvg.data_ptr().address();
            v[k] = expAvgSq.data_ptr().address();
            numel[k] = param.numel();
            rectified[k] = s.rectified();
            bc1[k] = s.bc1();
            sqrtBc2[k] = s.sqrtBc2();
            rect[k] = s.rect();
        }
        FusedKernel.step(new FusedKernel.GroupScalars(lr, o.beta1(), o.beta2(), o.eps(), o.weightDecay(),
                        1 - lr * o.weightDecay(), o.decoupledWeightDecay(), o.maximize()),
                new FusedKernel.ParamBatch(dtype, p, g, m, v, numel, bc1, sqrtBc2, rect, rectified), torch.get_num_threads());
    }
}
