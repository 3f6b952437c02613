package org.radam4j.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.ParamGroup;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.internal.Handles;
import org.radam4j.io.TorchFiles;

/**
 * PyTorch's {@code ZeroRedundancyOptimizer} around RAdam (ZeRO stage 1): each rank keeps RAdam state only for
 * its partition of the params, steps that partition on the configured path (for-loop, foreach or fused), and
 * then every param is broadcast from the rank that owns it, so all ranks hold the same params. Call it after the
 * gradients were averaged ({@link GradAverager}).
 *
 * <p>After each step, every rank's partition is broadcast from its owner: with
 * {@code parametersAsBucketView} (PyTorch's {@code parameters_as_bucket_view=True}), each owner's params of one
 * dtype are views of one contiguous bucket (their storage is moved there when the optimizer is built), and the
 * buckets are broadcast all at once, asynchronously, then waited for; without it, each owner's params go in
 * c10d's coalesced broadcast (packed into flat buckets of up to 25 MiB, broadcast, unpacked), one owner after the
 * other. Either way it is a few collectives per step, not one per param.
 *
 * <p>The partition is PyTorch's: group by group, params sorted by size (largest first) go to the rank with the
 * fewest elements so far. {@link #consolidateStateDict(int)} gathers the partitions' states on one rank, whose
 * {@link #stateDict()} is then a plain RAdam state dict over all params, in PyTorch's layout (a plain
 * {@link RAdam}, or Python's, loads it). {@link #loadStateDict} takes such a full state dict, from any world
 * size.
 */
public final class ZeroRedundancyRAdam implements AutoCloseable {

    private final DistGroup group;
    private final List<Tensor> params = new ArrayList<>();
    private final List<Integer> owner = new ArrayList<>();
    /** The full groups (options and the global indices of their params). */
    private final List<ParamGroupSpec> specs;
    private final List<List<Integer>> groupIndices = new ArrayList<>();
    /** The global indices of this rank's params, in the local optimizer's order, and their local groups. */
    private final List<Integer> local = new ArrayList<>();
    private final List<Integer> localGroupOf = new ArrayList<>();
    private final RAdam optimizer;
    private final RAdamOptions defaults;
    private List<byte[]> consolidated;
    private int consolidatedOn = -1;
    /** With bucket views: the buckets and the rank each is broadcast from. */
    private final List<Tensor> buckets = new ArrayList<>();
    private final List<Integer> bucketRoots = new ArrayList<>();

    /** Over one group of params. */
    public ZeroRedundancyRAdam(DistGroup group, List<Tensor> params, RAdamOptions defaults) {
        this(group, defaults, List.of(ParamGroupSpec.of(params)));
    }

    /** Over several groups, each with its own option overrides. */
    public ZeroRedundancyRAdam(DistGroup group, RAdamOptions defaults, List<ParamGroupSpec> groups) {
        this(group, defaults, groups, false);
    }

    /**
     * As {@link #ZeroRedundancyRAdam(DistGroup, RAdamOptions, List)}; with {@code parametersAsBucketView}, the
     * params become views of one bucket per owner and dtype (as PyTorch's {@code parameters_as_bucket_view=True}).
     */
    public ZeroRedundancyRAdam(DistGroup group, RAdamOptions defaults, List<ParamGroupSpec> groups, boolean parametersAsBucketView) {
        this.group = group;
        this.defaults = defaults;
        this.specs = List.copyOf(groups);
        long[] sizes = new long[group.size()];
        List<ParamGroupSpec> localSpecs = new ArrayList<>();
        for (ParamGroupSpec spec : groups) {
            List<Integer> idx = new ArrayList<>();
            for (Tensor p : spec.params()) {
                idx.add(params.size());
                params.add(p);
                owner.add(-1);
            }
            groupIndices.add(idx);
            List<Integer> sorted = new ArrayList<>(idx);
            sorted.sort((a, b) -> Long.compare(params.get(b).numel(), params.get(a).numel()));
            for (int i : sorted) {
                int r = 0;
                for (int k = 1; k < sizes.length; k++) {
                    if (sizes[k] < sizes[r]) {
                        r = k;
                    }
                }
                owner.set(i, r);
                sizes[r] += params.get(i).numel();
            }
            List<Tensor> mine = new ArrayList<>();
            for (int i : sorted) {
                if (owner.get(i) == group.rank()) {
                    mine.add(params.get(i));
                    local.add(i);
                    localGroupOf.add(groupIndices.size() - 1);
                }
            }
            if (!mine.isEmpty()) {
                ParamGroupSpec s = ParamGroupSpec.of(mine);
                spec.options().forEach(s::set);
                localSpecs.add(s);
            }
        }
        if (parametersAsBucketView) {
            buildBuckets();
        }
        this.optimizer = localSpecs.isEmpty() ? null : new RAdam(localSpecs, defaults);
    }

    /** One bucket per (owner, dtype, device) of the trainable params; each param's storage becomes a view of it. */
    private void buildBuckets() {
        Map<String, List<Integer>> byKey = new LinkedHashMap<>();
        for (int r = 0; r < group.size(); r++) {
            for (int i : localOf(r)) {
                Tensor p = params.get(i);
                if (p.requires_grad()) {
                    byKey.computeIfAbsent(r + "/" + p.scalar_type() + "/" + p.device().str().getString(), k -> new ArrayList<>()).add(i);
                }
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (List<Integer> members : byKey.values()) {
                long total = 0;
                for (int i : members) {
                    total += params.get(i).numel();
                }
                Tensor first = params.get(members.get(0));
                Tensor bucket = Handles.keep(torch.empty(new long[] {total}, first.options(), new org.bytedeco.pytorch.MemoryFormatOptional()));
                long at = 0;
                for (int i : members) {
                    Tensor p = params.get(i);
                    long n = p.numel();
                    Tensor view = bucket.narrow(0, at, n).view(p.sizes());
                    view.copy_(p);
                    p.set_data(view);
                    at += n;
                }
                buckets.add(bucket);
                bucketRoots.add(owner.get(members.get(0)));
            }
        }
    }

    /** The rank that owns (steps and keeps the state of) param {@code i}, in the order the params were given. */
    public int owner(int i) {
        return owner.get(i);
    }

    /** This rank's RAdam over its partition, or {@code null} when it owns no param. */
    public RAdam localOptimizer() {
        return optimizer;
    }

    /** Bytes of RAdam state this rank holds (its exp_avg, exp_avg_sq and step tensors). */
    public long stateBytes() {
        long n = 0;
        if (optimizer != null) {
            for (ParamGroup g : optimizer.paramGroups()) {
                for (Tensor p : g.params()) {
                    var s = optimizer.state(p);
                    if (s != null) {
                        n += s.expAvg().nbytes() + s.expAvgSq().nbytes() + s.step().nbytes();
                    }
                }
            }
        }
        return n;
    }

    /** Steps this rank's partition, then brings every param to every rank from its owner. */
    public void step() {
        if (optimizer != null) {
            optimizer.step();
        }
        syncParams();
        consolidated = null;
        consolidatedOn = -1;
    }

    /** Brings every param to every rank from its owner. */
    private void syncParams() {
        if (group.size() == 1) {
            return;
        }
        if (!buckets.isEmpty()) {
            group.broadcastAll(buckets, bucketRoots);
            return;
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (int r = 0; r < group.size(); r++) {
                List<Tensor> mine = new ArrayList<>();
                for (int i : localOf(r)) {
                    mine.add(params.get(i));
                }
                if (!mine.isEmpty()) {
                    group.broadcastCoalesced(mine, r);
                }
            }
        }
    }

    /** {@code zero_grad(set_to_none)} on every param. */
    public void zeroGrad() {
        for (Tensor p : params) {
            p.mutable_grad().put(new Tensor());
        }
    }

    /** Gathers every rank's partition state on rank {@code to} (every rank must call it). */
    public void consolidateStateDict(int to) {
        byte[] mine;
        try {
            mine = TorchFiles.toBytes(optimizer == null ? Map.of() : optimizer.stateDict(), "archive");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<byte[]> all = new ArrayList<>();
        for (int r = 0; r < group.size(); r++) {
            byte[] b = group.broadcastBytes(r == group.rank() ? mine : null, r);
            all.add(group.rank() == to ? b : null);
        }
        consolidated = group.rank() == to ? all : null;
        consolidatedOn = to;
    }

    /**
     * The full state dict, PyTorch's RAdam layout over all params (each group's keys in a plain RAdam's order:
     * the ones the group set, then the defaults): on the rank {@link #consolidateStateDict} was
     * given, after it.
     *
     * @throws IllegalStateException PyTorch's message when this rank holds no consolidated state
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> stateDict() {
        if (consolidated == null) {
            throw new IllegalStateException("Optimizer state has not been consolidated on this rank. Please call "
                    + "`consolidate_state_dict(to=" + group.rank() + ")` on all ranks beforehand if you meant to save "
                    + "the global state.");
        }
        Map<Object, Object> state = new java.util.TreeMap<>();
        Map<String, Object> firstGroups = null;
        for (int r = 0; r < group.size(); r++) {
            Map<String, Object> sd;
            try {
                sd = (Map<String, Object>) TorchFiles.load(consolidated.get(r));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (sd.isEmpty()) {
                continue;
            }
            List<Integer> theirs = localOf(r);
            for (Map.Entry<Object, Object> e : ((Map<Object, Object>) sd.get("state")).entrySet()) {
                int localIndex = ((Number) e.getKey()).intValue();
                state.put(theirs.get(localIndex), e.getValue());
            }
        }
        List<Object> groups = new ArrayList<>();
        for (int gi = 0; gi < specs.size(); gi++) {
            Map<String, Object> all = RAdamOptions.fromMap(specs.get(gi).options(), defaults).toMap();
            Map<String, Object> m = new LinkedHashMap<>();
            for (String k : specs.get(gi).options().keySet()) {
                if (all.containsKey(k)) {
                    m.put(k, all.get(k));
                }
            }
            all.forEach(m::putIfAbsent);
            m.put("params", new ArrayList<>(groupIndices.get(gi)));
            groups.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", state);
        out.put("param_groups", groups);
        return out;
    }

    /** The global indices of rank {@code r}'s params in its local optimizer's order. */
    private List<Integer> localOf(int r) {
        List<Integer> out = new ArrayList<>();
        for (List<Integer> idx : groupIndices) {
            List<Integer> sorted = new ArrayList<>(idx);
            sorted.sort((a, b) -> Long.compare(params.get(b).numel(), params.get(a).numel()));
            for (int i : sorted) {
                if (owner.get(i) == r) {
                    out.add(i);
                }
            }
        }
        return out;
    }

    /**
     * Loads a full RAdam state dict (from {@link #stateDict()}, from a plain RAdam or from Python, of any world
     * size): each rank takes the states of the params it owns.
     */
    @SuppressWarnings("unchecked")
    public void loadStateDict(Map<String, ?> full) {
        if (optimizer == null) {
            return;
        }
        Map<Object, Object> state = (Map<Object, Object>) full.get("state");
        List<Object> fullGroups = (List<Object>) full.get("param_groups");
        Map<Object, Object> localState = new LinkedHashMap<>();
        for (int k = 0; k < local.size(); k++) {
            Object s = state.get((long) local.get(k));
            if (s == null) {
                s = state.get(local.get(k));
            }
            if (s != null) {
                localState.put((long) k, s);
            }
        }
        List<Object> localGroups = new ArrayList<>();
        int k = 0;
        for (int gi = 0; gi < specs.size(); gi++) {
            List<Object> idx = new ArrayList<>();
            for (int j = 0; j < local.size(); j++) {
                if (localGroupOf.get(j) == gi) {
                    idx.add((long) k++);
                }
            }
            if (!idx.isEmpty()) {
                Map<String, Object> g = new LinkedHashMap<>((Map<String, Object>) fullGroups.get(gi));
                g.put("params", idx);
                localGroups.add(g);
            }
        }
        Map<String, Object> sd = new LinkedHashMap<>();
        sd.put("state", localState);
        sd.put("param_groups", localGroups);
        optimizer.loadStateDict(sd);
    }

    @Override
    public void close() {
        if (optimizer != null) {
            optimizer.close();
        }
    }
}
