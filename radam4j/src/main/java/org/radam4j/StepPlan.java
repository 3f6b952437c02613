package org.radam4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

/**
 * One {@code step()} planned before any tensor changes: per group, the params that have a gradient, every check
 * PyTorch makes (with its messages), the group's state lined up (created where missing, as PyTorch's
 * {@code _init_group}), and the batches each path runs. A fused group is split here, once: the params the kernel
 * takes form a fused batch, the others a for-loop batch, so no path hands params to another. In a GradScaler step
 * ({@code invScale != 0}) the fused batches read their gradients unscaled and the others are marked for unscaling.
 */
final class StepPlan implements AutoCloseable {

    /**
     * Params of one group that one path steps, with the group's options; {@code unscale}: in a GradScaler step, a
     * for-loop batch of a fused group whose gradients must be unscaled in place first (the kernel unscales its own).
     */
    record Batch(StepPath.Kind kind, RAdamOptions options, GroupTensors tensors, boolean unscale) {
    }

    private record Collected(RAdamOptions options, StepPath.Kind kind, List<Tensor> params, List<Tensor> grads,
            List<ParamFacts> facts) {
    }

    private final List<Batch> batches = new ArrayList<>();
    private final List<Tensor> grads = new ArrayList<>();
    private final List<Long> created = new ArrayList<>();
    private final Map<Long, ParamState> state;

    private StepPlan(Map<Long, ParamState> state) {
        this.state = state;
    }

    /**
     * Checks every group, then lines up the state and makes the batches.
     *
     * @throws IllegalStateException when a check fails; nothing has changed then
     */
    static StepPlan of(List<ParamGroup> groups, Map<Long, ParamState> state, FusedRAdam.Slots slots, double invScale,
            java.util.Set<Integer> scaleExact) {
        StepPlan plan = new StepPlan(state);
        try {
            List<Collected> collected = new ArrayList<>(groups.size());
            for (int gi = 0; gi < groups.size(); gi++) {
                collected.add(plan.collect(gi, groups.get(gi)));
            }
            for (Collected c : collected) {
                if (!c.params().isEmpty()) {
                    plan.batch(c, slots, invScale, scaleExact);
                }
            }
            return plan;
        } catch (RuntimeException e) {
            plan.rollBack();
            plan.close();
            throw e;
        }
    }

    List<Batch> batches() {
        return batches;
    }

    /** Removes and frees the states this plan created. */
    void rollBack() {
        for (Long key : created) {
            ParamState s = state.remove(key);
            if (s != null) {
                s.close();
            }
        }
        created.clear();
    }

    /** Frees the plan's handles of the gradients. */
    @Override
    public void close() {
        grads.forEach(Tensor::close);
        grads.clear();
    }

    private Collected collect(int gi, ParamGroup group) {
        RAdamOptions o = group.options();
        List<Tensor> all = group.params();
        int n = all.size();
        Tensor[] gs = new Tensor[n];
        ParamFacts[] fs = new ParamFacts[n];
        String[] errors = new String[n];
        boolean inferenceMode = InferenceMode.is_enabled();
        PerParam.forEach(n, i -> {
            Tensor p = all.get(i);
            Tensor g = Tensors.gradOf(p);
            gs[i] = g;
            if (g == null) {
                return;
            }
            if (g.is_sparse()) {
                errors[i] = "RAdam does not support sparse gradients";
                return;
            }
            ParamFacts pf = ParamFacts.of(p);
            fs[i] = pf;
            String mismatch = Tensors.gradMismatch(p, pf, g);
            errors[i] = mismatch != null ? "the gradient of param " + i + " in param group " + gi + " " + mismatch
                    : Tensors.inPlaceRefusal(p, pf, o.differentiable(), inferenceMode);
        });
        List<Tensor> params = new ArrayList<>();
        List<Tensor> groupGrads = new ArrayList<>();
        List<ParamFacts> facts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (gs[i] != null) {
                grads.add(gs[i]);
            }
        }
        for (int i = 0; i < n; i++) {
            if (gs[i] == null) {
                continue;
            }
            if (errors[i] != null) {
                throw new IllegalStateException(errors[i]);
            }
            groupGrads.add(gs[i]);
            params.add(all.get(i));
            facts.add(fs[i]);
        }
        StepPath.Kind kind = StepPath.Kind.FORLOOP;
        if (!params.isEmpty()) {
            kind = StepPath.choose(o, params);
            StepPath.check(kind, o, params);
        }
        return new Collected(o, kind, params, groupGrads, facts);
    }

    private void batch(Collected c, FusedRAdam.Slots slots, double invScale, java.util.Set<Integer> scaleExact) {
        int n = c.params().size();
        List<ParamState> states = new ArrayList<>(n);
        for (Tensor p : c.params()) {
            states.add(state.computeIfAbsent(Tensors.identity(p), k -> {
                created.add(k);
                return RAdam.newState(p, c.options());
            }));
        }
        GroupTensors all = GroupTensors.of(c.params(), c.grads(), c.facts(), states);
        if (c.kind() != StepPath.Kind.FUSED) {
            batches.add(new Batch(c.kind(), c.options(), all, invScale != 0));
            return;
        }
        boolean[] taken = new boolean[n];
        FusedRAdam.Slot[] fused = slots.of(all, states, c.options(), taken);
        List<Integer> forLoop = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!taken[i]) {
                forLoop.add(i);
            }
        }
        if (forLoop.isEmpty()) {
            batches.add(new Batch(StepPath.Kind.FUSED, c.options(), all.withSlots(fused).scaledBy(invScale, scaleExact), false));
            return;
        }
        List<Integer> kernel = new ArrayList<>(n - forLoop.size());
        for (int i = 0; i < n; i++) {
            if (taken[i]) {
                kernel.add(i);
            }
        }
        batches.add(new Batch(StepPath.Kind.FORLOOP, c.options(), all.pick(forLoop, null), invScale != 0));
        if (!kernel.isEmpty()) {
            batches.add(new Batch(StepPath.Kind.FUSED, c.options(), all.pick(kernel, fused).scaledBy(invScale, scaleExact), false));
        }
    }
}
