package org.radam4j;

import org.radam4j.internal.FusedKernel;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.promote_types;

import java.util.ArrayList;
import java.util.IdentityHashMap;
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
 * double by {@link StepScalars}. {@link StepPlan} gives the params it cannot take (see {@link #takes}) to the
 * for-loop path instead, so the fused path's bits are the for-loop's wherever it runs.
 */
final class FusedRAdam {

    private static final Scalar ONE = Tensors.keep(new Scalar(1L));

    private FusedRAdam() {
    }

    /**
     * Whether the kernel takes this param (whose gradient {@code RAdam} has checked: dense, of its dtype, device
     * and shape): CPU, a supported dtype, at least one element (an empty tensor has no data pointer), all four
     * tensors contiguous, and none of the three cases where libtorch's for-loop result
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
    static boolean takes(ParamFacts pf, Tensor g, Slot slot, RAdamOptions o) {
        ScalarType t = pf.dtype();
        boolean reduced = t == ScalarType.BFloat16 || t == ScalarType.Half;
        boolean dtype = t == ScalarType.Float || t == ScalarType.Double || reduced || t == ScalarType.ComplexFloat;
        if (!dtype || (reduced && o.weightDecay() != 0 && !o.decoupledWeightDecay()) || o.beta1() == 0) {
            return false;
        }
        if (pf.dim() == 0 && o.lrIsTensor() && promote_types(t, Dtypes.of(o.lrTensor())).intern() != t) {
            return false;
        }
        return pf.cpu() && pf.numel() > 0 && pf.contiguous() && slot.contiguous && g.is_contiguous();
    }

    /** Steps the batch, every param of which {@link #takes}, one kernel call per dtype. */
    static void step(GroupTensors t, RAdamOptions o) {
        Map<ScalarType, List<Integer>> byDtype = new LinkedHashMap<>();
        for (int i = 0; i < t.size(); i++) {
            byDtype.computeIfAbsent(t.facts().get(i).dtype(), k -> new ArrayList<>()).add(i);
        }
        for (Map.Entry<ScalarType, List<Integer>> e : byDtype.entrySet()) {
            try (PointerScope scope = new PointerScope()) {
                run(t, e.getValue(), e.getKey(), o);
            }
        }
    }

    /**
     * An optimizer's cache of {@link Slot}s, one per state, reused while the state's tensors are unchanged. Owned
     * by the optimizer, cleared when its state is replaced.
     */
    static final class Slots {
        private final Map<ParamState, Slot> cache = new IdentityHashMap<>();

        /**
         * The slot of each param's state, read again where any of its tensors changed since, and whether the
         * kernel {@link #takes} the param ({@code taken}), in one pass over the batch.
         */
        Slot[] of(GroupTensors t, List<ParamState> states, RAdamOptions o, boolean[] taken) {
            Slot[] slots = new Slot[states.size()];
            boolean[] fresh = new boolean[slots.length];
            PerParam.forEach(slots.length, i -> {
                ParamState s = states.get(i);
                Slot slot = cache.get(s);
                if (slot == null || slot.mVersion != s.expAvg()._version() || slot.vVersion != s.expAvgSq()._version()
                        || slot.stepVersion != s.step()._version()) {
                    slot = new Slot(s);
                    fresh[i] = true;
                }
                slots[i] = slot;
                taken[i] = takes(t.facts().get(i), t.grads().get(i), slot, o);
            });
            for (int i = 0; i < slots.length; i++) {
                if (fresh[i]) {
                    cache.put(states.get(i), slots[i]);
                }
            }
            return slots;
        }

        void clear() {
            cache.clear();
        }
    }

    /**
     * The fused path's view of a param's state, kept in its {@link ParamState} between steps: data addresses of
     * exp_avg and exp_avg_sq, whether both are contiguous, and the step
     * counter (address, kind, value). Reading these costs JNI calls per param and step; the view is reused while
     * the three tensors' autograd versions are unchanged, which every in-place tensor operation on them (
     * {@code copy_}, {@code fill_}, {@code set_}, {@code resize_}, the other paths' updates) breaks. The kernel
     * writes the tensors without changing their versions and keeps {@link #step} up to date itself.
     */
    static final class Slot {
        final long expAvg;
        final long expAvgSq;
        final boolean contiguous;
        final long stepAddress;
        final int stepKind;
        double step;
        final long mVersion;
        final long vVersion;
        final long stepVersion;

        private Slot(ParamState s) {
            Tensor m = s.expAvg();
            Tensor v = s.expAvgSq();
            mVersion = m._version();
            vVersion = v._version();
            stepVersion = s.step()._version();
            contiguous = m.is_contiguous() && v.is_contiguous();
            if (contiguous && m.numel() > 0) {
                expAvg = m.data_ptr().address();
                expAvgSq = v.data_ptr().address();
            } else {
                expAvg = 0;
                expAvgSq = 0;
            }
            Tensor st = s.step();
            ScalarType t = st.is_cpu() && st.numel() == 1 ? Dtypes.of(st) : null;
            if (t == ScalarType.Float || t == ScalarType.Double) {
                Pointer data = st.data_ptr();
                stepAddress = data.address();
                stepKind = t == ScalarType.Float ? FusedKernel.STEP_FLOAT32 : FusedKernel.STEP_FLOAT64;
                step = t == ScalarType.Float ? new FloatPointer(data).get() : new DoublePointer(data).get();
            } else {
                stepAddress = 0;
                stepKind = FusedKernel.STEP_BY_CALLER;
            }
        }

        /** The step count after this step. */
        double next(Tensor stepTensor) {
            return switch (stepKind) {
                case FusedKernel.STEP_FLOAT32 -> (float) step + 1.0f;
                case FusedKernel.STEP_FLOAT64 -> step + 1.0;
                default -> {
                    try (Tensor next = stepTensor.add(ONE)) {
                        yield next.item_double();
                    }
                }
            };
        }

        /** Records the kernel's write of the counter, or increments a counter the kernel does not write. */
        void commit(Tensor stepTensor, double next) {
            if (stepKind == FusedKernel.STEP_BY_CALLER) {
                stepTensor.add_(ONE);
            } else {
                step = next;
            }
        }
    }

    /** Steps the params {@code idx}, all of dtype {@code type}, in one kernel call; complex64 as its float32 real view. */
    private static void run(GroupTensors t, List<Integer> idx, ScalarType type, RAdamOptions o) {
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
        double lr = o.lr();
        boolean complex = type == ScalarType.ComplexFloat;
        PerParam.forEach(n, k -> {
            int i = idx.get(k);
            Slot slot = t.slots().get(i);
            nextSteps[k] = slot.next(t.stateSteps().get(i));
            p[k] = t.params().get(i).data_ptr().address();
            g[k] = t.grads().get(i).data_ptr().address();
            m[k] = slot.expAvg;
            v[k] = slot.expAvgSq;
            numel[k] = t.facts().get(i).numel() * (complex ? 2 : 1);
            steps[k] = slot.stepAddress;
            stepKinds[k] = slot.stepKind;
        });
        StepScalars s = null;
        for (int k = 0; k < n; k++) {
            double next = nextSteps[k];
            if (s == null || s.step() != next) {
                s = StepScalars.of(o.beta1(), o.beta2(), next);
            }
            rectified[k] = s.rectified();
            bc1[k] = s.bc1();
            sqrtBc2[k] = s.sqrtBc2();
            rect[k] = s.rect();
        }
        FusedKernel.step(new FusedKernel.GroupScalars(lr, o.beta1(), o.beta2(), o.eps(), o.weightDecay(),
                        StepScalars.decayFactor(o), o.decoupledWeightDecay(), o.maximize(), t.invScale(),
                        t.scaleExact().contains(FusedKernel.dtypeCode(type))),
                new FusedKernel.ParamBatch(FusedKernel.dtypeCode(type), p, g, m, v, numel, bc1, sqrtBc2, rect, rectified, steps, stepKinds,
                        nextSteps),
                torch.get_num_threads());
        for (int k = 0; k < n; k++) {
            int i = idx.get(k);
            t.slots().get(i).commit(t.stateSteps().get(i), nextSteps[k]);
        }
    }
}
