package org.radam4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.PyRepr;

/**
 * What PyTorch's {@code torch.optim.Optimizer} holds for every optimizer, for {@link RAdam}: the param groups,
 * the per-param state, the six hook lists, the guard against calls from a second thread, {@code zero_grad},
 * {@code add_param_group}, {@code state_dict} and {@code load_state_dict}. The optimizer adds its defaults, how a
 * group's options are made, and its step over the groups ({@link #stepGroups}). Package-private: its hooks and
 * groups are RAdam's types, and radam4j has one optimizer; its public methods are {@link RAdam}'s API.
 */
abstract class OptimizerBase implements AutoCloseable {

    private static final HookList<OptimizerHooks.StepPreHook> GLOBAL_STEP_PRE_HOOKS = new HookList<>();
    private static final HookList<OptimizerHooks.StepPostHook> GLOBAL_STEP_POST_HOOKS = new HookList<>();

    private final HookList<OptimizerHooks.StepPreHook> stepPreHooks = new HookList<>();
    private final HookList<OptimizerHooks.StepPostHook> stepPostHooks = new HookList<>();
    private final HookList<OptimizerHooks.StateDictPreHook> stateDictPreHooks = new HookList<>();
    private final HookList<OptimizerHooks.StateDictPostHook> stateDictPostHooks = new HookList<>();
    private final HookList<OptimizerHooks.LoadStateDictPreHook> loadStateDictPreHooks = new HookList<>();
    private final HookList<OptimizerHooks.LoadStateDictPostHook> loadStateDictPostHooks = new HookList<>();

    /** The groups, in order; {@link #paramGroups()} is their read-only view. */
    final List<ParamGroup> groups = new ArrayList<>();
    private final List<ParamGroup> groupsView = new ReadOnlyGroups(groups);
    /** The state of each param that has taken a step, by {@link Tensors#identity}. */
    final Map<Long, ParamState> state = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;

    /** Holds the optimizer for one call; see {@link #enter()}. */
    interface Guard extends AutoCloseable {
        @Override
        void close();
    }

    /** The options every group starts from. */
    public abstract RAdamOptions defaults();

    /** This optimizer as its hooks see it. */
    abstract RAdam self();

    /**
     * One step over every group with autograd set as the optimizer wants, after the closure ran: checks everything
     * first, changes nothing when a check fails, and removes the states it created when libtorch fails.
     */
    abstract void stepGroups();

    /** Called after the state was replaced or freed (a path's cache of it is stale). */
    void stateReplaced() {
    }

    /**
     * Takes the optimizer for a call: refuses a call from a second thread while another runs (optimizers are not
     * thread-safe, in PyTorch either, and a silent race would corrupt state) and any call after {@link #close()}.
     * The same thread may re-enter (a hook that calls {@code stateDict()} inside {@code step()}).
     */
    private Guard enter() {
        if (!lock.tryLock()) {
            throw new IllegalStateException("this RAdam is in use by another thread: like PyTorch's optimizers it is not "
                    + "thread-safe; give each thread its own optimizer, or synchronise the calls");
        }
        if (closed) {
            lock.unlock();
            throw new IllegalStateException("this RAdam has been closed");
        }
        return lock::unlock;
    }

    /**
     * The param groups, in order: a live, read-only view whose groups' options can be changed. Adding goes through
     * {@link #addParamGroup}; removing a group is refused with an {@link UnsupportedOperationException} that says
     * so (PyTorch's list would let it happen and leave the group's state behind).
     */
    public List<ParamGroup> paramGroups() {
        requireOpen();
        return groupsView;
    }

    /**
     * What Python prints for the optimizer: {@code RAdam (}, then per group {@code Parameter Group i} and its keys
     * but {@code params}, sorted, as {@code    key: value}, then {@code )}.
     */
    @Override
    public String toString() {
        if (closed) {
            return getClass().getSimpleName() + " (closed)";
        }
        StringBuilder s = new StringBuilder(getClass().getSimpleName()).append(" (");
        for (int i = 0; i < groups.size(); i++) {
            s.append("\nParameter Group ").append(i).append('\n');
            new TreeMap<>(groups.get(i).toMap()).forEach((k, v) -> s.append("    ").append(k).append(": ")
                    .append(PyRepr.str(v)).append('\n'));
        }
        return s.append(')').toString();
    }

    /**
     * The state of a param, or {@code null} before its first step with a gradient. The tensors are the
     * optimizer's own, shared, not copied.
     */
    public ParamState state(Tensor param) {
        requireOpen();
        return state.get(Tensors.identity(param));
    }

    /**
     * PyTorch's {@code add_param_group}: options missing from {@code spec} come from the defaults; keys that are
     * not options are kept in {@link ParamGroup#extras()}. Nothing changes if a check fails.
     *
     * @throws IllegalArgumentException {@code can't optimize a non-leaf Tensor} (unless differentiable),
     *     {@code some parameters appear in more than one parameter group}, {@code all optimizer param groups
     *     should be with/without names. cannot add param group ...}, or an invalid option
     */
    public void addParamGroup(ParamGroupSpec spec) {
        try (Guard g = enter()) {
            addParamGroupUnguarded(spec);
        }
    }

    private void addParamGroupUnguarded(ParamGroupSpec spec) {
        groups.add(ParamGroup.create(spec, defaults(), groups));
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this RAdam has been closed");
        }
    }

    /** {@link #step(Supplier)} without a closure. */
    public void step() {
        step(null);
    }

    /**
     * One optimization step over every group. The closure, if any, runs first with autograd enabled (it usually
     * zeroes the gradients, runs the model and calls {@code backward()}); its result is returned. The step runs
     * with autograd off unless the optimizer is {@code differentiable}.
     *
     * <p>Every check runs before any tensor changes: a sparse gradient ({@code RAdam does not support sparse
     * gradients}), a gradient whose shape, dtype or device differs from its param's, a param libtorch would not
     * update in place (with libtorch's message: a leaf that requires grad in a {@code differentiable} step, an
     * inference tensor, an expanded tensor), {@code capturable} on an unsupported device. Where PyTorch fails
     * half-way through such a step, leaving some params and counts advanced, this fails before and changes
     * nothing. Any other libtorch failure during the step arrives as an {@link IllegalStateException} with
     * libtorch's message and without its C++ frames; the states this step created are removed.
     *
     * @throws IllegalStateException for the checks above, and PyTorch's {@code Attempting CUDA graph capture of
     *     step() ... but param_groups' capturable is False.} when a CUDA graph capture is under way
     */
    public <T> T step(Supplier<T> closure) {
        try (Guard g = enter()) {
            return stepUnguarded(closure);
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T stepUnguarded(Supplier<T> closure) {
        Supplier<?> args = closure;
        for (OptimizerHooks.StepPreHook h : GLOBAL_STEP_PRE_HOOKS.snapshot()) {
            Supplier<?> replaced = h.beforeStep(self(), args);
            args = replaced != null ? replaced : args;
        }
        for (OptimizerHooks.StepPreHook h : stepPreHooks.snapshot()) {
            Supplier<?> replaced = h.beforeStep(self(), args);
            args = replaced != null ? replaced : args;
        }
        T loss = stepWithoutHooks((Supplier<T>) args);
        for (OptimizerHooks.StepPostHook h : stepPostHooks.snapshot()) {
            h.afterStep(self(), args);
        }
        for (OptimizerHooks.StepPostHook h : GLOBAL_STEP_POST_HOOKS.snapshot()) {
            h.afterStep(self(), args);
        }
        return loss;
    }

    private <T> T stepWithoutHooks(Supplier<T> closure) {
        beforeClosure();
        T loss = null;
        if (closure != null) {
            try (AutoGradMode enabled = new AutoGradMode(true)) {
                loss = closure.get();
            }
        }
        stepGroups();
        return loss;
    }

    /** What the optimizer checks before the closure runs (RAdam: a CUDA graph capture). */
    void beforeClosure() {
    }

    /** {@code zeroGrad(true)}: PyTorch's default, every gradient becomes undefined (None). */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /**
     * PyTorch's {@code zero_grad(set_to_none)}: with {@code true} each gradient becomes undefined; with
     * {@code false} each is detached from its graph (or stops requiring grad) and zeroed in place.
     */
    public void zeroGrad(boolean setToNone) {
        try (Guard g = enter()) {
            zeroGradUnguarded(setToNone);
        }
    }

    private void zeroGradUnguarded(boolean setToNone) {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                Tensors.zeroGrad(p, setToNone);
            }
        }
    }

    /**
     * PyTorch's {@code state_dict()}: {@code {"state": {index: {"step", "exp_avg", "exp_avg_sq"}}, "param_groups":
     * [{...options..., "params": [indices]}]}} with params numbered across groups as PyTorch numbers them and
     * keys in PyTorch's order. The tensors share storage with the optimizer's state, as in PyTorch (they are new
     * Java handles, which the caller may close): clone them to keep a snapshot.
     */
    public Map<String, Object> stateDict() {
        try (Guard g = enter()) {
            return stateDictUnguarded();
        }
    }

    private Map<String, Object> stateDictUnguarded() {
        for (OptimizerHooks.StateDictPreHook h : stateDictPreHooks.snapshot()) {
            h.beforeStateDict(self());
        }
        Map<String, Object> sd = StateDicts.pack(groups, state);
        for (OptimizerHooks.StateDictPostHook h : stateDictPostHooks.snapshot()) {
            Map<String, Object> replaced = h.afterStateDict(self(), sd);
            sd = replaced != null ? replaced : sd;
        }
        return sd;
    }

    /**
     * PyTorch's {@code load_state_dict(state_dict)}: group count and sizes must match; state tensors are copied
     * to the param's device and (floating params) dtype, {@code step} stays as saved unless the group is
     * capturable; the saved options win; a numeric {@code step} becomes a tensor of PyTorch's {@code _get_scalar_dtype()} (float32, float64 under a float64 default dtype); options missing from an
     * older state dict take PyTorch's defaults. Unlike PyTorch, which checks no shapes and shares the given
     * tensors, this validates every value first (shapes, types, option ranges) and copies the tensors: on an
     * error the optimizer is exactly as it was.
     *
     * @throws IllegalArgumentException with PyTorch's messages ({@code loaded state dict has a different number
     *     of parameter groups}, ...) or one naming the offending key
     */
    public void loadStateDict(Map<String, ?> stateDict) {
        try (Guard g = enter()) {
            loadStateDictUnguarded(stateDict);
        }
    }

    private void loadStateDictUnguarded(Map<String, ?> stateDict) {
        Map<String, ?> sd = stateDict == null ? null : new LinkedHashMap<>(stateDict);
        for (OptimizerHooks.LoadStateDictPreHook h : loadStateDictPreHooks.snapshot()) {
            Map<String, ?> replaced = h.beforeLoadStateDict(self(), sd);
            sd = replaced != null ? replaced : sd;
        }
        StateDicts.Loaded loaded = StateDicts.unpack(sd, groups, defaults());
        for (StateDicts.GroupUpdate u : loaded.groups()) {
            u.group().replace(u.names(), u.options(), u.extras(), u.keyOrder());
        }
        state.values().forEach(ParamState::close);
        state.clear();
        loaded.state().values().forEach(ParamState::keep);
        state.putAll(loaded.state());
        stateReplaced();
        for (OptimizerHooks.LoadStateDictPostHook h : loadStateDictPostHooks.snapshot()) {
            h.afterLoadStateDict(self());
        }
    }

    /**
     * Frees the optimizer's native memory now: its state tensors and its own handles of the params (the params
     * themselves, and their gradients, belong to the caller and stay). Calling it again does nothing; any other
     * call afterwards throws {@link IllegalStateException}. Tensors from {@link #stateDict()} are separate handles
     * and stay valid.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try (Guard g = enter()) {
            closed = true;
            state.values().forEach(ParamState::close);
            state.clear();
            stateReplaced();
            for (ParamGroup group : groups) {
                group.params().forEach(Tensor::close);
            }
        }
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /** PyTorch's {@code register_step_pre_hook}: runs before every {@code step()} of this optimizer. */
    public RemovableHandle registerStepPreHook(OptimizerHooks.StepPreHook hook) {
        return stepPreHooks.add(hook, false);
    }

    /** PyTorch's {@code register_step_post_hook}: runs after every {@code step()} of this optimizer. */
    public RemovableHandle registerStepPostHook(OptimizerHooks.StepPostHook hook) {
        return stepPostHooks.add(hook, false);
    }

    /** PyTorch's {@code register_optimizer_step_pre_hook}: runs before the step of every RAdam, first of all. */
    public static RemovableHandle registerGlobalStepPreHook(OptimizerHooks.StepPreHook hook) {
        return GLOBAL_STEP_PRE_HOOKS.add(hook, false);
    }

    /** PyTorch's {@code register_optimizer_step_post_hook}: runs after the step of every RAdam, last of all. */
    public static RemovableHandle registerGlobalStepPostHook(OptimizerHooks.StepPostHook hook) {
        return GLOBAL_STEP_POST_HOOKS.add(hook, false);
    }

    /** PyTorch's {@code register_state_dict_pre_hook}; {@code prepend} runs it before those already registered. */
    public RemovableHandle registerStateDictPreHook(OptimizerHooks.StateDictPreHook hook, boolean prepend) {
        return stateDictPreHooks.add(hook, prepend);
    }

    /** PyTorch's {@code register_state_dict_post_hook}; {@code prepend} runs it before those already registered. */
    public RemovableHandle registerStateDictPostHook(OptimizerHooks.StateDictPostHook hook, boolean prepend) {
        return stateDictPostHooks.add(hook, prepend);
    }

    /** PyTorch's {@code register_load_state_dict_pre_hook}; {@code prepend} runs it before the others. */
    public RemovableHandle registerLoadStateDictPreHook(OptimizerHooks.LoadStateDictPreHook hook, boolean prepend) {
        return loadStateDictPreHooks.add(hook, prepend);
    }

    /** PyTorch's {@code register_load_state_dict_post_hook}; {@code prepend} runs it before the others. */
    public RemovableHandle registerLoadStateDictPostHook(OptimizerHooks.LoadStateDictPostHook hook, boolean prepend) {
        return loadStateDictPostHooks.add(hook, prepend);
    }
}
