package org.radam4j.lr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.function.DoubleSupplier;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.ParamGroup;
import org.radam4j.RAdam;

/**
 * PyTorch's {@code torch.optim.lr_scheduler.LRScheduler}, the base of the epoch-style schedulers: each
 * {@link #step()} advances {@code last_epoch} and sets every param group's lr from the scheduler's formula.
 * PyTorch 2.x's semantics, as follows:
 * <ul>
 * <li>Construction with {@code lastEpoch = -1} stores each group's lr as {@code initial_lr} in the group
 * ({@link ParamGroup#extras()}) where it is absent. With another {@code lastEpoch}, {@code initial_lr} must be
 * there already (resuming). Construction then takes the initial step.
 * <li>Formulas are PyTorch's chainable forms, in IEEE double, with the C library's {@code cos} and {@code pow} as
 * CPython uses them, so the lrs follow Python's float for float.
 * <li>A group whose lr is a tensor keeps it: the scheduler fills it in place ({@link ParamGroup#fillLr}).
 * Where PyTorch 2.x computes a chainable form in the tensor's dtype, this computes it in double from the
 * tensor's value.
 * <li>{@link #stateDict()} and {@link #loadStateDict(Map)} use PyTorch's layout (the scheduler's
 * {@code __dict__} without the optimizer): the maps that {@code TorchFiles} saves load into Python's scheduler
 * of the same class, and the other way round. Loading a map with a value of the wrong type throws an
 * {@link IllegalArgumentException} naming the key and changes nothing; keys this scheduler does not know
 * (PyTorch 1.13's {@code verbose}, for one) are ignored.
 * </ul>
 *
 * <p>A scheduler of one's own, as in Python: extend this class, call {@link #initialStep()} at the end of the
 * constructor, once the own fields are set (that is when Python's {@code super().__init__} takes the initial step),
 * compute each group's lr in {@link #getLr()} from {@link #lastEpoch}, {@link #baseLrs} and {@link #currentLrs()},
 * and name the own fields under Python's attribute names, in {@link #fields()} (or in {@link #saveFields} and
 * {@link #loadFields}), so that the state dict round-trips.
 */
public abstract class LRScheduler {

    protected final RAdam optimizer;
    protected List<Double> baseLrs;
    protected long lastEpoch;
    protected long stepCount;
    /** PyTorch 2.x's {@code _is_initial}: true during the step the constructor takes. */
    protected boolean isInitial;
    protected List<Double> lastLr;
    private final boolean epochState;
    private GroupSnapshot before;

    /** Python's {@code LRScheduler.__init__} up to the initial step. */
    protected LRScheduler(RAdam optimizer, long lastEpoch) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.before = new GroupSnapshot(optimizer);
        try {
            List<ParamGroup> groups = optimizer.paramGroups();
            if (lastEpoch == -1) {
                for (ParamGroup g : groups) {
                    g.extras().putIfAbsent("initial_lr", g.lr());
                }
            } else {
                for (int i = 0; i < groups.size(); i++) {
                    if (!groups.get(i).extras().containsKey("initial_lr")) {
                        throw new IllegalArgumentException("param 'initial_lr' is not specified in param_groups[" + i
                                + "] when resuming scheduler with last_epoch >= 0.\nThis typically happens when:\n1. You're "
                                + "trying to resume training from a checkpoint but haven't properly loaded the optimizer state\n"
                                + "2. You're using last_epoch >= 0 for a fresh training run (not recommended)");
                    }
                }
            }
            List<Double> base = new ArrayList<>();
            for (ParamGroup g : groups) {
                base.add(StateValues.toReal(g.extras().get("initial_lr"), "initial_lr"));
            }
            this.baseLrs = base;
            this.lastEpoch = lastEpoch;
        } catch (RuntimeException e) {
            before.restore();
            throw e;
        }
        this.epochState = true;
    }

    /** For schedulers that do not start like the others (ChainedScheduler, SequentialLR, ReduceLROnPlateau). */
    LRScheduler(RAdam optimizer) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.epochState = false;
    }

    /** Python's {@code _initial_step}: resets the step count and takes the first step. */
    protected final void initialStep() {
        stepCount = 0;
        isInitial = true;
        try {
            step();
        } catch (RuntimeException e) {
            if (before != null) {
                before.restore();
            }
            throw e;
        } finally {
            isInitial = false;
            before = null;
        }
    }

    /** The lr of each group for the current {@code last_epoch}, in PyTorch's chainable form. */
    protected abstract List<Double> getLr();

    /** PyTorch's {@code _get_closed_form_lr}, used when stepping to an explicit epoch; {@code null} if none. */
    protected List<Double> closedFormLr() {
        return null;
    }

    /** One step: {@code last_epoch += 1} and every group's lr set from the formula. */
    public void step() {
        stepCount++;
        updateLr(null);
    }

    /** Python's {@code _update_lr(epoch)}: the next epoch ({@code null}) or the given one, by the closed form. */
    void updateLr(Long epoch) {
        List<Double> values;
        if (epoch == null) {
            lastEpoch++;
            values = getLr();
        } else {
            lastEpoch = epoch;
            List<Double> closed = closedFormLr();
            values = closed != null ? closed : getLr();
        }
        setLrs(values);
    }

    /** Sets each group's lr (in place for a tensor lr) and records them as the last lrs. */
    final void setLrs(List<Double> values) {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size() && i < values.size(); i++) {
            groups.get(i).fillLr(values.get(i));
        }
        lastLr = currentLrs();
    }

    /** Each group's lr now. */
    protected final List<Double> currentLrs() {
        List<Double> out = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) {
            out.add(g.lr());
        }
        return out;
    }

    /** PyTorch's {@code get_last_lr()}: the lrs the last step set. */
    public List<Double> getLastLr() {
        return lastLr == null ? null : Collections.unmodifiableList(lastLr);
    }

    /** PyTorch's {@code last_epoch}. */
    public long lastEpoch() {
        return lastEpoch;
    }

    /** The optimizer this scheduler sets the lrs of. */
    public RAdam optimizer() {
        return optimizer;
    }

    /** The group lrs this scheduler started from ({@code base_lrs}). */
    public List<Double> baseLrs() {
        return baseLrs == null ? null : Collections.unmodifiableList(baseLrs);
    }

    /** PyTorch's {@code state_dict()}: the scheduler's own fields first, then the base class's, as Python's {@code __dict__}. */
    public Map<String, Object> stateDict() {
        Map<String, Object> m = new LinkedHashMap<>();
        saveFields(m);
        if (!hasEpochState()) {
            return m;
        }
        m.put("base_lrs", baseLrs == null ? null : new ArrayList<>(baseLrs));
        m.put("last_epoch", lastEpoch);
        m.put("_step_count", stepCount);
        m.put("_is_initial", false);
        m.put("_get_lr_called_within_step", false);
        m.put("_last_lr", lastLr == null ? null : new ArrayList<>(lastLr));
        return m;
    }

    /**
     * PyTorch's {@code load_state_dict()}: takes the values the map has, keeps the others.
     *
     * @throws IllegalArgumentException on a value of the wrong type; nothing has changed then
     */
    public void loadStateDict(Map<String, ?> stateDict) {
        Map<String, Object> before = stateDict();
        try {
            apply(new StateValues(stateDict));
        } catch (RuntimeException e) {
            apply(new StateValues(before));
            throw e;
        }
    }

    private void apply(StateValues v) {
        loadFields(v);
        baseLrs = v.reals("base_lrs", baseLrs);
        lastEpoch = v.integer("last_epoch", lastEpoch);
        stepCount = v.integer("_step_count", stepCount);
        lastLr = v.reals("_last_lr", lastLr);
    }

    /**
     * Whether the state dict holds the epoch-style base fields ({@code base_lrs}, {@code _step_count}, ...):
     * not for the schedulers whose Python class does not set them (ReduceLROnPlateau, ChainedScheduler,
     * SequentialLR: those built with the other constructor), which put what they have in {@link #saveFields}.
     */
    final boolean hasEpochState() {
        return epochState;
    }

    /** The state dicts of wrapped schedulers, in order ({@code _schedulers}). */
    static List<Object> states(List<LRScheduler> schedulers) {
        List<Object> states = new ArrayList<>();
        for (LRScheduler s : schedulers) {
            states.add(s.stateDict());
        }
        return states;
    }

    /**
     * One of a scheduler's own fields under its Python attribute name: its value for the state dict, and how to
     * take it back from one.
     *
     * @param name the Python attribute name
     * @param value the value as the state dict holds it
     * @param load sets the field from a state dict (an absent key keeps the value)
     */
    protected record Field(String name, Supplier<Object> value, Consumer<StateValues> load) {

        /** A float field. */
        public static Field real(String name, DoubleSupplier get, DoubleConsumer set) {
            return new Field(name, get::getAsDouble, v -> set.accept(v.real(name, get.getAsDouble())));
        }

        /** An int field. */
        public static Field integer(String name, LongSupplier get, LongConsumer set) {
            return new Field(name, get::getAsLong, v -> set.accept(v.integer(name, get.getAsLong())));
        }
    }

    /** The subclass's own fields in Python's order, which {@link #saveFields} and {@link #loadFields} use by default. */
    protected List<Field> fields() {
        return List.of();
    }

    /** Puts the subclass's own fields, under Python's names, in Python's order (by default, {@link #fields()}). */
    protected void saveFields(Map<String, Object> m) {
        for (Field f : fields()) {
            m.put(f.name(), f.value().get());
        }
    }

    /** Takes the subclass's own fields from a state dict, absent keys keeping their value (by default, {@link #fields()}). */
    protected void loadFields(StateValues v) {
        for (Field f : fields()) {
            f.load().accept(v);
        }
    }

    /** {@code f(base_lr)} for each group's base lr: the closed forms' shape. */
    protected final List<Double> fromBaseLrs(DoubleUnaryOperator f) {
        List<Double> out = new ArrayList<>(baseLrs.size());
        for (double base : baseLrs) {
            out.add(f.applyAsDouble(base));
        }
        return out;
    }

    /** The lr of group {@code i} now. */
    protected final double groupLr(int i) {
        return optimizer.paramGroups().get(i).lr();
    }

    /** The number of param groups. */
    protected final int groupCount() {
        return optimizer.paramGroups().size();
    }

    /** Each group's lr times {@code factor}. */
    protected final List<Double> scaled(double factor) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < groupCount(); i++) {
            out.add(groupLr(i) * factor);
        }
        return out;
    }

    /** A tensor lr's value, a number's value (for {@code initial_lr} and such kept in a group). */
    static double value(Object v) {
        return v instanceof Tensor t ? t.item_double() : ((Number) v).doubleValue();
    }

    /** PyTorch's {@code _format_param} for a list: one value per group. */
    static List<Double> perGroup(String name, RAdam optimizer, List<Double> values) {
        int groups = optimizer.paramGroups().size();
        if (values.size() != groups) {
            throw new IllegalArgumentException(name + " must have the same length as optimizer.param_groups. " + name
                    + " has " + values.size() + " values, param_groups has " + groups + ".");
        }
        return new ArrayList<>(values);
    }

    /** PyTorch's {@code _format_param} for one value: that value for every group. */
    static List<Double> perGroup(RAdam optimizer, double value) {
        return new ArrayList<>(Collections.nCopies(optimizer.paramGroups().size(), value));
    }
}
