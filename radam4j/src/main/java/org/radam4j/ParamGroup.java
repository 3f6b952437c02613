package org.radam4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Logger;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.PyRepr;

/**
 * One of an optimizer's param groups, live: PyTorch's {@code optimizer.param_groups[i]}. The params and their
 * names are fixed; the options can be read and replaced between steps (a scheduler sets {@link #setLr}), and
 * keys that are not RAdam options are kept in {@link #extras()}, as Python keeps unknown keys in the dict.
 *
 * <p>Unlike a Python dict, new options are validated when set, with the constructor's checks.
 */
public final class ParamGroup {

    private final List<Tensor> params;
    private volatile List<String> paramNames;
    private volatile RAdamOptions options;
    private final Map<String, Object> extras;
    private volatile List<String> keyOrder;

    /**
     * @param keyOrder the group's keys other than params and param_names, in Python's dict order: the keys the
     *     caller gave, then the defaults' (a key missing here goes last)
     */
    ParamGroup(List<Tensor> params, List<String> paramNames, RAdamOptions options, Map<String, Object> extras,
            List<String> keyOrder) {
        this.params = List.copyOf(params);
        this.paramNames = paramNames == null ? null : List.copyOf(paramNames);
        this.options = options;
        this.extras = Collections.synchronizedMap(new LinkedHashMap<>(extras));
        this.keyOrder = List.copyOf(keyOrder);
    }

    /** Replaces everything but the params at once, as {@code load_state_dict} does. */
    void replace(List<String> paramNames, RAdamOptions options, Map<String, Object> extras, List<String> keyOrder) {
        this.paramNames = paramNames == null ? null : List.copyOf(paramNames);
        this.options = options;
        synchronized (this.extras) {
            this.extras.clear();
            this.extras.putAll(extras);
        }
        this.keyOrder = List.copyOf(keyOrder);
    }

    /**
     * The group as PyTorch's {@code state_dict()} packs it, without {@code params}: {@code param_names} first
     * (named groups), then the options and extra keys in the group's dict order.
     */
    Map<String, Object> toMap() {
        Map<String, Object> opts = options.toMap();
        Map<String, Object> m = new LinkedHashMap<>();
        if (paramNames != null) {
            m.put("param_names", paramNames);
        }
        List<String> order = new java.util.ArrayList<>(keyOrder);
        for (String k : RAdamOptions.KEYS) {
            if (!order.contains(k)) {
                order.add(k);
            }
        }
        for (String k : opts.keySet()) {
            if (!order.contains(k)) {
                order.add(k);
            }
        }
        synchronized (extras) {
            for (String k : extras.keySet()) {
                if (!order.contains(k)) {
                    order.add(k);
                }
            }
            for (String k : order) {
                if (opts.containsKey(k)) {
                    m.put(k, opts.get(k));
                } else if (extras.containsKey(k)) {
                    m.put(k, extras.get(k));
                }
            }
        }
        return m;
    }

    /** The params, in order (read-only). */
    public List<Tensor> params() {
        return params;
    }

    /** The names of the params ({@code param_names}), or {@code null} for an unnamed group. */
    public List<String> paramNames() {
        return paramNames;
    }

    public boolean isNamed() {
        return paramNames != null;
    }

    public RAdamOptions options() {
        return options;
    }

    /** Replaces this group's options from the next step on. */
    public void setOptions(RAdamOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** The learning rate (a tensor lr is read as a double). */
    public double lr() {
        return options.lr();
    }

    /**
     * Sets a double learning rate, as {@code param_groups[i]["lr"] = lr} does in Python: a tensor lr is replaced
     * by the double. To keep a tensor lr the same tensor, use {@link #fillLr}.
     */
    public void setLr(double lr) {
        setOptions(options.withLr(lr));
    }

    /**
     * Sets the learning rate as PyTorch's schedulers do: a tensor lr is filled in place ({@code lr.fill_(value)}),
     * so it stays the same tensor (what capturable steps and CUDA graphs read); a double lr is replaced. Like
     * Python's assignment, and unlike {@link #setLr}, it does not check the value's range.
     */
    public void fillLr(double lr) {
        Tensor t = options.lrTensor();
        if (t == null) {
            setOptions(options.withScheduledLr(lr));
            return;
        }
        try (org.bytedeco.pytorch.Scalar s = new org.bytedeco.pytorch.Scalar(lr)) {
            t.fill_(s);
        }
    }

    /** Sets {@code betas[0]}, keeping {@code betas[1]}: what PyTorch's CyclicLR and OneCycleLR cycle for Adam-like optimizers. */
    public void setBeta1(double beta1) {
        setOptions(options.toBuilder().betas(beta1, options.beta2()).build());
    }

    /** Keys of the group that are not RAdam options, kept as given (mutable). */
    public Map<String, Object> extras() {
        return extras;
    }

    /** As Python prints {@code optimizer.param_groups[i]}: {@code {'params': [tensor(...)], 'lr': 0.001, ...}}. */
    @Override
    public String toString() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("params", params);
        m.putAll(toMap());
        return PyRepr.repr(m);
    }

    private static final Logger LOG = Logger.getLogger(RAdam.class.getName());

    static final String DUPLICATE_WARNING = "optimizer contains a parameter group with duplicate parameters; in future, "
            + "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information";

    /**
     * PyTorch's {@code add_param_group} checks and the group they make: options missing from {@code spec} come from
     * {@code defaults}, keys that are not options go to {@link #extras()}; {@code existing} are the optimizer's
     * groups. Changes nothing when a check fails.
     */
    static ParamGroup create(ParamGroupSpec spec, RAdamOptions defaults, List<ParamGroup> existing) {
        boolean differentiable = defaults.differentiable();
        for (Tensor p : spec.params()) {
            if (!differentiable && !(p.is_leaf() || p.retains_grad())) {
                throw new IllegalArgumentException("can't optimize a non-leaf Tensor");
            }
        }
        RAdamOptions options = RAdamOptions.fromMap(spec.options(), defaults);
        Map<String, Object> extras = new LinkedHashMap<>();
        spec.options().forEach((k, v) -> {
            if (!RAdamOptions.isOption(k)) {
                extras.put(k, v);
            }
        });

        Map<Long, Boolean> seen = new HashMap<>();
        boolean duplicates = false;
        for (Tensor p : spec.params()) {
            duplicates |= seen.put(Tensors.identity(p), Boolean.TRUE) != null;
        }
        if (duplicates) {
            LOG.warning(DUPLICATE_WARNING);
        }
        boolean named = spec.names() != null;
        boolean overlap = false;
        for (ParamGroup g : existing) {
            for (Tensor p : g.params()) {
                overlap |= seen.containsKey(Tensors.identity(p));
            }
            if (named != g.isNamed()) {
                throw new IllegalArgumentException("all optimizer param groups should be with/without names. "
                        + "cannot add param group " + (named ? "with names" : "without names") + " to the optimizer");
            }
        }
        if (overlap) {
            throw new IllegalArgumentException("some parameters appear in more than one parameter group");
        }
        List<Tensor> owned = new ArrayList<>(spec.params().size());
        for (Tensor p : spec.params()) {
            owned.add(Tensors.keep(new Tensor(p)));
        }
        List<String> keyOrder = new ArrayList<>(spec.options().keySet());
        for (String k : RAdamOptions.KEYS) {
            if (!keyOrder.contains(k)) {
                keyOrder.add(k);
            }
        }
        return new ParamGroup(owned, spec.names(), options, extras, keyOrder);
    }
}
