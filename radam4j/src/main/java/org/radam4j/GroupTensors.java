package org.radam4j;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * The tensors of one batch of a param group (params that have a gradient), lined up by index as PyTorch's
 * {@code _init_group} lines them up for its functional {@code radam(...)}, with each param's {@link ParamFacts}
 * and, for a fused batch, the kernel's view of each state ({@link FusedRAdam.Slot}; empty for the other paths) and
 * GradScaler's inverse scale for the kernel to apply as it reads the gradients (0: none), with the kernel dtype codes
 * whose gradients its check found exactly unscaled by it ({@code scaleExact}: the kernel leaves out the rounding).
 */
record GroupTensors(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
        List<Tensor> stateSteps, List<ParamFacts> facts, List<FusedRAdam.Slot> slots, double invScale,
        java.util.Set<Integer> scaleExact) {

    /** The batch of {@code params} with their states, in order. */
    static GroupTensors of(List<Tensor> params, List<Tensor> grads, List<ParamFacts> facts, List<ParamState> states) {
        List<Tensor> m = new ArrayList<>(states.size());
        List<Tensor> v = new ArrayList<>(states.size());
        List<Tensor> s = new ArrayList<>(states.size());
        for (ParamState st : states) {
            m.add(st.expAvg());
            v.add(st.expAvgSq());
            s.add(st.step());
        }
        return new GroupTensors(params, grads, m, v, s, facts, List.of(), 0, java.util.Set.of());
    }

    /** The group's tensors with their facts read now (tests, replays that drive a path directly). */
    static GroupTensors of(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
            List<Tensor> stateSteps) {
        List<ParamFacts> facts = new ArrayList<>();
        for (Tensor p : params) {
            facts.add(ParamFacts.of(p));
        }
        return new GroupTensors(params, grads, expAvgs, expAvgSqs, stateSteps, facts, List.of(), 0, java.util.Set.of());
    }

    /** The params {@code idx} of this batch, with the fused path's {@code slots} of the whole batch, or none. */
    GroupTensors pick(List<Integer> idx, FusedRAdam.Slot[] slots) {
        List<Tensor> p = new ArrayList<>(idx.size());
        List<Tensor> g = new ArrayList<>(idx.size());
        List<Tensor> m = new ArrayList<>(idx.size());
        List<Tensor> v = new ArrayList<>(idx.size());
        List<Tensor> s = new ArrayList<>(idx.size());
        List<ParamFacts> f = new ArrayList<>(idx.size());
        List<FusedRAdam.Slot> sl = new ArrayList<>(slots == null ? 0 : idx.size());
        for (int i : idx) {
            p.add(params.get(i));
            g.add(grads.get(i));
            m.add(expAvgs.get(i));
            v.add(expAvgSqs.get(i));
            s.add(stateSteps.get(i));
            f.add(facts.get(i));
            if (slots != null) {
                sl.add(slots[i]);
            }
        }
        return new GroupTensors(p, g, m, v, s, f, sl, invScale, scaleExact);
    }

    /** This batch, every param of it, with the fused path's {@code slots}. */
    GroupTensors withSlots(FusedRAdam.Slot[] slots) {
        return new GroupTensors(params, grads, expAvgs, expAvgSqs, stateSteps, facts, java.util.Arrays.asList(slots), invScale,
                scaleExact);
    }

    /**
     * This batch with its gradients to be read times {@code invScale} by the fused kernel (GradScaler's step), the
     * rounding left out for the dtype codes in {@code exact}.
     */
    GroupTensors scaledBy(double invScale, java.util.Set<Integer> exact) {
        return new GroupTensors(params, grads, expAvgs, expAvgSqs, stateSteps, facts, slots, invScale, exact);
    }

    int size() {
        return params.size();
    }
}
