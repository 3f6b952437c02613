package org.radam4j;

import org.radam4j.internal.FusedKernel;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.promote_types;
import static org.bytedeco.pytorch.global.torch.view_as_real;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
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

    private static final Scalar ONE = Tensors.keep(new Scalar(1L));

    private FusedRAdam() {
    }

    /**
     * Whether the kernel takes this param: CPU, a supported dtype, at least one element (an empty tensor has no
     * data pointer), all four tensors contiguous, and none of the three cases where libtorch's for-loop result
     * depends on more than the element's values:
     * <ul>
     * <li>bfloat16 and float16 with coupled weight decay: libtorch's {@code grad.add(param, alpha=wd)} rounds
     * {@code wd * param} to the dtype in its scalar loop (the last elements of each thread's chunk) but not in
     * its vectorised one;
     * <li>a 0-dim param with a tensor lr of a wider dtype: 0-dim operands promote each other, so PyTorch
     * computes that param's update in lr's dtype;
     * <li>{@code beta1 = 0}: {@code lerp} with weight 1 gives a zero whose sign differs between libtorch's scalar
     * and vectorised loops.
     * </ul>
     * Those params take the for-loop path, so the fused path's bits stay the for-loop's.
     */
    static boolean takes(Tensor p, Tensor g, Tensor m, Tensor v, RAdamOptions o) {
        ScalarType t = Dtypes.of(p);
        boolean reduced = t == ScalarType.BFloat16 || t == ScalarType.Half;
        boolean dtype = t == ScalarType.Float || t == ScalarType.Double || reduced || t == ScalarType.ComplexFloat;
        if (!dtype || (reduced && o.weightDecay() != 0 && !o.decoupledWeightDecay()) || o.beta1() == 0) {
            return false;
        }
        if (p.dim() == 0 && o.lrIsTensor() && promote_types(t, Dtypes.of(o.lrTensor())).intern() != t) {
            return false;
        }
        return p.is_cpu() && p.numel() > 0 && p.is_contiguous() && g.is_contiguous() && m.is_contiguous()
                && v.is_contiguous() && !g.is_sparse();
    }

    static void step(GroupTensors t, RAdamOptions o) {
        List<Integer> fallback = new ArrayList<>();
        Map<Integer, List<Integer>> byDtype = new LinkedHashMap<>();
        for (int i = 0; i < t.size(); i++) {
            if (takes(t.params().get(i), t.grads().get(i), t.expAvgs().get(i), t.expAvgSqs().get(i), o)) {
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

    /** One step counter's next value and who writes it: the kernel for CPU float32/float64 counters. */
    private record Counter(long address, int kind, double next) {
        static Counter of(Tensor step) {
            if (step.is_cpu() && step.numel() == 1) {
                ScalarType t = Dtypes.of(step);
                if (t == ScalarType.Float) {
                    Pointer data = step.data_ptr();
                    return new Counter(data.address(), FusedKernel.STEP_FLOAT32, new FloatPointer(data).get() + 1.0f);
                }
                if (t == ScalarType.Double) {
                    Pointer data = step.data_ptr();
                    return new Counter(data.address(), FusedKernel.STEP_FLOAT64, new DoublePointer(data).get() + 1.0);
                }
            }
            try (Tensor next = step.add(ONE)) {
                return new Counter(0, FusedKernel.STEP_BY_CALLER, next.item_double());
            }
        }

        void commit(Tensor step) {
            if (kind == FusedKernel.STEP_BY_CALLER) {
                step.add_(ONE);
            }
        }
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
        long[] steps = new long[n];
        int[] stepKinds = new int[n];
        double[] nextSteps = new double[n];
        Counter[] counters = new Counter[n];
        double lr = o.lr();
        StepScalars s = null;
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
            Counter c = Counter.of(t.stateSteps().get(i));
            counters[k] = c;
            if (s == null || s.step() != c.next()) {
                s = StepScalars.of(o.beta1(), o.beta2(), c.next());
            }
            p[k] = param.data_ptr().address();
            g[k] = grad.data_ptr().address();
            m[k] = expAvg.data_ptr().address();
            v[k] = expAvgSq.data_ptr().address();
            numel[k] = param.numel();
            rectified[k] = s.rectified();
            bc1[k] = s.bc1();
            sqrtBc2[k] = s.sqrtBc2();
            rect[k] = s.rect();
            steps[k] = c.address();
            stepKinds[k] = c.kind();
            nextSteps[k] = c.next();
        }
        FusedKernel.step(new FusedKernel.GroupScalars(lr, o.beta1(), o.beta2(), o.eps(), o.weightDecay(),
                        ForLoopRAdam.decayFactor(o), o.decoupledWeightDecay(), o.maximize()),
                new FusedKernel.ParamBatch(dtype, p, g, m, v, numel, bc1, sqrtBc2, rect, rectified, steps, stepKinds,
                        nextSteps),
                torch.get_num_threads());
        for (int k = 0; k < n; k++) {
            counters[k].commit(t.stateSteps().get(idx.get(k)));
        }
    }
}
