package org.radam4j;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.logging.Logger;

import org.radam4j.internal.LibtorchErrors;
import org.radam4j.internal.PyRepr;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.named_parameter_list;
import org.bytedeco.pytorch.parameter_list;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * PyTorch's {@code torch.optim.RAdam} for libtorch tensors from Java: the same arguments, param groups,
 * lazily created per-param state and step, with results identical bit for bit to PyTorch 2.11's on the CPU.
 *
 * <pre>{@code
 * RAdam opt = new RAdam(model.parameters(), RAdamOptions.builder().lr(1e-3).weightDecay(1e-2)
 *         .decoupledWeightDecay(true).build());
 * Tensor loss = opt.step(() -> {
 *     opt.zeroGrad();
 *     Tensor l = mse_loss(model.forward(x), y);
 *     l.backward();
 *     return l;
 * });
 * }</pre>
 *
 * <p>Where Python raises {@code ValueError}/{@code TypeError} this throws {@link IllegalArgumentException}, and
 * {@link IllegalStateException} for its {@code RuntimeError}/{@code AssertionError}, with PyTorch's messages.
 * Where PyTorch fails half-way through a step (a sparse or mismatched gradient in a later param), this checks
 * every group first and changes nothing. PyTorch does not check for NaN or infinity, and neither does this.
 *
 * <p>Paths, as in PyTorch: the for-loop ({@code foreach=false}; what {@code foreach=null} picks on the CPU) and
 * the multi-tensor foreach path through the {@code aten::_foreach_*} operators ({@code foreach=true}; what
 * {@code null} picks when every param is a dense CUDA tensor), each with its capturable variant for CUDA graphs
 * ({@code capturable=true}: step counts on the param's device, no host synchronisation in {@code step()}), and
 * radam4j's own fused CPU kernel ({@code fused=true}).
 *
 * <p>Threads: like PyTorch's optimizers, one RAdam is not thread-safe. A call from a second thread while another
 * is running ({@code step}, {@code zeroGrad}, {@code stateDict}, {@code loadStateDict}, {@code addParamGroup}) is
 * refused with an {@link IllegalStateException}, never interleaved; independent optimizers may run in parallel.
 *
 * <p>Ownership: the params and their gradients are the caller's (the optimizer keeps its own handles of the
 * params); the state tensors are the optimizer's, freed by {@link #close()}; {@link #stateDict()} returns new
 * handles that share the state's storage. Each temporary of a step is freed when the step returns, without the
 * garbage collector.
 */
public class RAdam implements AutoCloseable {

    static {
        Libtorch.load();
    }


    private static final Logger LOG = Logger.getLogger(RAdam.class.getName());

    static final String DUPLICATE_WARNING = "optimizer contains a parameter group with duplicate parameters; in future, "
            + "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information";

    private static final HookList<OptimizerHooks.StepPreHook> GLOBAL_STEP_PRE_HOOKS = new HookList<>();
    private static final HookList<OptimizerHooks.StepPostHook> GLOBAL_STEP_POST_HOOKS = new HookList<>();

    private final HookList<OptimizerHooks.StepPreHook> stepPreHooks = new HookList<>();
    private final HookList<OptimizerHooks.StepPostHook> stepPostHooks = new HookList<>();
    private final HookList<OptimizerHooks.StateDictPreHook> stateDictPreHooks = new HookList<>();
    private final HookList<OptimizerHooks.StateDictPostHook> stateDictPostHooks = new HookList<>();
    private final HookList<OptimizerHooks.LoadStateDictPreHook> loadStateDictPreHooks = new HookList<>();
    private final HookList<OptimizerHooks.LoadStateDictPostHook> loadStateDictPostHooks = new HookList<>();

    private final RAdamOptions defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final List<ParamGroup> groupsView = new AbstractList<>() {
        @Override
        public ParamGroup get(int index) {
            return groups.get(index);
        }

        @Override
        public int size() {
            return groups.size();
        }

        @Override
        protected void removeRange(int from, int to) {
            throw readOnly();
        }

        @Override
        public ParamGroup remove(int index) {
            throw readOnly();
        }

        @Override
        public boolean removeIf(java.util.function.Predicate<? super ParamGroup> filter) {
            throw readOnly();
        }

        @Override
        public void add(int index, ParamGroup element) {
            throw readOnly();
        }

        @Override
        public ParamGroup set(int index, ParamGroup element) {
            throw readOnly();
        }

        private UnsupportedOperationException readOnly() {
            return new UnsupportedOperationException("paramGroups() is read-only: add a group with addParamGroup; "
                    + "a group cannot be removed or replaced (change its options with ParamGroup.setOptions)");
        }
    };
    private final Map<Long, ParamState> state = new LinkedHashMap<>();
    private boolean warnedCapturable;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;

    /** Holds the optimizer for one call; see {@link #enter()}. */
    private interface Guard extends AutoCloseable {
        @Override
        void close();
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

    /** RAdam over {@code module.parameters()}, with PyTorch's default options. */
    public RAdam(TensorVector params) {
        this(params, RAdamOptions.defaults());
    }

    /** RAdam over {@code module.parameters()}. */
    public RAdam(TensorVector params, RAdamOptions defaults) {
        this(single(ParamGroupSpec.of(params)), defaults);
    }

    /** RAdam over any ordered collection of tensors. */
    public RAdam(Iterable<? extends Tensor> params, RAdamOptions defaults) {
        this(single(ParamGroupSpec.of(params)), defaults);
    }

    /** RAdam over named params ({@code param_names} in the group), in the map's order. */
    public RAdam(Map<String, ? extends Tensor> namedParams, RAdamOptions defaults) {
        this(single(ParamGroupSpec.named(namedParams)), defaults);
    }

    /** RAdam over {@code module.named_parameters()}. */
    public RAdam(StringTensorDict namedParams, RAdamOptions defaults) {
        this(single(ParamGroupSpec.named(namedParams)), defaults);
    }

    /** RAdam over a TorchScript module's {@code parameters()}. */
    public RAdam(parameter_list params, RAdamOptions defaults) {
        this(single(ParamGroupSpec.of(params)), defaults);
    }

    /** RAdam over a TorchScript module's {@code named_parameters()} ({@code param_names} as in Python). */
    public RAdam(named_parameter_list namedParams, RAdamOptions defaults) {
        this(single(ParamGroupSpec.named(namedParams)), defaults);
    }

    /**
     * RAdam over several param groups, each with its own overrides of {@code defaults}.
     *
     * @throws IllegalArgumentException {@code optimizer got an empty parameter list}, and every check of
     *     {@link #addParamGroup}
     */
    public RAdam(List<ParamGroupSpec> groups, RAdamOptions defaults) {
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        for (ParamGroupSpec g : groups) {
            addParamGroup(g);
        }
    }

    private static List<ParamGroupSpec> single(ParamGroupSpec spec) {
        if (spec.params().isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        return List.of(spec);
    }

    /**
     * The dynamic form of Python's {@code RAdam(params, ...)}, for callers whose params are not typed: a
     * {@link TensorVector}, a {@link StringTensorDict}, a TorchScript module's {@code parameter_list} or
     * {@code named_parameter_list}, an ordered {@code Map<String, Tensor>}, an
     * {@code Iterable} of tensors, an {@code Iterable} of {@link ParamGroupSpec}s or of group maps
     * ({@code {"params": ..., "lr": ...}}).
     *
     * @throws IllegalArgumentException with PyTorch's messages for a single tensor ({@code params argument given
     *     to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor}), an empty list
     *     or anything else it cannot take
     */
    @SuppressWarnings("unchecked")
    public static RAdam create(Object params, RAdamOptions defaults) {
        if (params instanceof Tensor t) {
            throw new IllegalArgumentException("params argument given to the optimizer should be an iterable of Tensors "
                    + "or dicts, but got " + Tensors.typename(t));
        }
        if (params instanceof Iterable<?> it && !(params instanceof TensorVector)) {
            List<Object> items = new ArrayList<>();
            it.forEach(items::add);
            if (!items.isEmpty() && (items.get(0) instanceof ParamGroupSpec || items.get(0) instanceof Map<?, ?>)) {
                List<ParamGroupSpec> specs = new ArrayList<>();
                for (Object o : items) {
                    if (o instanceof ParamGroupSpec s) {
                        specs.add(s);
                    } else if (o instanceof Map<?, ?> m) {
                        specs.add(ParamGroupSpec.fromMap((Map<String, ?>) m));
                    } else {
                        throw new IllegalArgumentException("param_group must be a dict, but got " + ParamGroupSpec.typeName(o));
                    }
                }
                return new RAdam(specs, defaults);
            }
            if (items.isEmpty()) {
                throw new IllegalArgumentException("optimizer got an empty parameter list");
            }
        }
        ParamGroupSpec spec = ParamGroupSpec.ofAny(params);
        if (spec.params().isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        return new RAdam(List.of(spec), defaults);
    }

    /** The options every group starts from. */
    public RAdamOptions defaults() {
        return defaults;
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
        for (ParamGroup g : groups) {
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
        groups.add(new ParamGroup(owned, spec.names(), options, extras, keyOrder));
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
            Supplier<?> replaced = h.beforeStep(this, args);
            args = replaced != null ? replaced : args;
        }
        for (OptimizerHooks.StepPreHook h : stepPreHooks.snapshot()) {
            Supplier<?> replaced = h.beforeStep(this, args);
            args = replaced != null ? replaced : args;
        }
        T loss = stepWithoutHooks((Supplier<T>) args);
        for (OptimizerHooks.StepPostHook h : stepPostHooks.snapshot()) {
            h.afterStep(this, args);
        }
        for (OptimizerHooks.StepPostHook h : GLOBAL_STEP_POST_HOOKS.snapshot()) {
            h.afterStep(this, args);
        }
        return loss;
    }

    private <T> T stepWithoutHooks(Supplier<T> closure) {
        warnedCapturable |= CudaGraphs.check(groups, warnedCapturable);
        T loss = null;
        if (closure != null) {
            try (AutoGradMode enabled = new AutoGradMode(true)) {
                loss = closure.get();
            }
        }
        List<GroupWork> work = new ArrayList<>(groups.size());
        try {
            for (int gi = 0; gi < groups.size(); gi++) {
                work.add(collect(gi, groups.get(gi)));
            }
            List<Long> created = new ArrayList<>();
            try (AutoGradMode mode = new AutoGradMode(defaults.differentiable())) {
                for (GroupWork w : work) {
                    if (w.grads.isEmpty()) {
                        continue;
                    }
                    GroupTensors t = initGroup(w, created);
                    StepPath.of(w.path).step(t, w.options);
                }
            } catch (RuntimeException e) {
                for (Long key : created) {
                    ParamState s = state.remove(key);
                    s.step().close();
                    s.expAvg().close();
                    s.expAvgSq().close();
                }
                throw LibtorchErrors.translate(e);
            }
        } finally {
            for (GroupWork w : work) {
                w.grads.forEach(Tensor::close);
            }
        }
        return loss;
    }

    private record GroupWork(RAdamOptions options, StepPath.Kind path, List<Tensor> params, List<Tensor> grads,
            List<ParamFacts> facts) {
    }

    private GroupWork collect(int gi, ParamGroup group) {
        RAdamOptions o = group.options();
        List<Tensor> params = new ArrayList<>();
        List<Tensor> grads = new ArrayList<>();
        List<ParamFacts> facts = new ArrayList<>();
        GroupWork w = new GroupWork(o, StepPath.Kind.FORLOOP, params, grads, facts);
        List<Tensor> all = group.params();
        int n = all.size();
        Tensor[] gs = new Tensor[n];
        ParamFacts[] fs = new ParamFacts[n];
        String[] errors = new String[n];
        boolean inferenceMode = org.bytedeco.pytorch.InferenceMode.is_enabled();
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
        for (int i = 0; i < n; i++) {
            if (gs[i] == null) {
                continue;
            }
            grads.add(gs[i]);
            params.add(all.get(i));
            if (errors[i] != null) {
                throw new IllegalStateException(errors[i]);
            }
            facts.add(fs[i]);
        }
        if (params.isEmpty()) {
            return w;
        }
        StepPath.Kind kind = StepPath.choose(o, params);
        StepPath.check(kind, o, params);
        return new GroupWork(o, kind, params, grads, facts);
    }

    /** Lines up the group's state, creating it where missing; the keys of the states it creates go to {@code created}. */
    private GroupTensors initGroup(GroupWork w, List<Long> created) {
        int n = w.params.size();
        List<Tensor> expAvgs = new ArrayList<>(n);
        List<Tensor> expAvgSqs = new ArrayList<>(n);
        List<Tensor> steps = new ArrayList<>(n);
        List<ParamState> states = new ArrayList<>(n);
        for (Tensor p : w.params) {
            ParamState s = state.computeIfAbsent(Tensors.identity(p), k -> {
                created.add(k);
                return newState(p, w.options);
            });
            expAvgs.add(s.expAvg());
            expAvgSqs.add(s.expAvgSq());
            steps.add(s.step());
            states.add(s);
        }
        return new GroupTensors(w.params, w.grads, expAvgs, expAvgSqs, steps, w.facts, states);
    }

    static ParamState newState(Tensor p, RAdamOptions o) {
        Tensor step = o.capturable() ? Tensors.zeroStep(p.device()) : Tensors.zeroStep(null);
        return new ParamState(Tensors.keep(step), Tensors.keep(Tensors.zerosLike(p)), Tensors.keep(Tensors.zerosLike(p)));
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
            h.beforeStateDict(this);
        }
        Map<String, Object> sd = StateDicts.pack(groups, state);
        for (OptimizerHooks.StateDictPostHook h : stateDictPostHooks.snapshot()) {
            Map<String, Object> replaced = h.afterStateDict(this, sd);
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
            Map<String, ?> replaced = h.beforeLoadStateDict(this, sd);
            sd = replaced != null ? replaced : sd;
        }
        StateDicts.Loaded loaded = StateDicts.unpack(sd, groups, defaults);
        for (StateDicts.GroupUpdate u : loaded.groups()) {
            u.group().replace(u.names(), u.options(), u.extras(), u.keyOrder());
        }
        for (ParamState s : state.values()) {
            s.step().close();
            s.expAvg().close();
            s.expAvgSq().close();
        }
        state.clear();
        for (ParamState s : loaded.state().values()) {
            Tensors.keep(s.step());
            Tensors.keep(s.expAvg());
            Tensors.keep(s.expAvgSq());
        }
        state.putAll(loaded.state());
        for (OptimizerHooks.LoadStateDictPostHook h : loadStateDictPostHooks.snapshot()) {
            h.afterLoadStateDict(this);
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
            for (ParamState st : state.values()) {
                st.step().close();
                st.expAvg().close();
                st.expAvgSq().close();
            }
            state.clear();
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
