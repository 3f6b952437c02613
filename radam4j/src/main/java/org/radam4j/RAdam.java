package org.radam4j;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import org.bytedeco.pytorch.AutoGradMode;
import org.radam4j.internal.LibtorchErrors;
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
public class RAdam extends OptimizerBase {

    static {
        Libtorch.load();
    }

    private final RAdamOptions defaults;
    private final FusedRAdam.Slots fusedSlots = new FusedRAdam.Slots();
    /** During {@link #stepScaled}: GradScaler's inverse scale, which the fused kernel applies as it reads; else 0. */
    private double invScale;
    /** During {@link #stepScaled}: the kernel dtype codes whose gradients GradScaler's check found exactly unscaled. */
    private java.util.Set<Integer> scaleExact = java.util.Set.of();
    private boolean warnedCapturable;

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
    public static RAdam create(Object params, RAdamOptions defaults) {
        return new RAdam(ParamGroupSpec.groupsOf(params), defaults);
    }

    @Override
    public RAdamOptions defaults() {
        return defaults;
    }

    @Override
    RAdam self() {
        return this;
    }

    @Override
    void beforeClosure() {
        warnedCapturable |= CudaGraphs.check(groups, warnedCapturable);
    }

    @Override
    void stateReplaced() {
        fusedSlots.clear();
    }

    /**
     * RAdam's step: {@link StepPlan} checks every group and lines up its state, then each batch goes to its path;
     * on a libtorch failure the states this step created are removed.
     */
    @Override
    void stepGroups() {
        try (StepPlan plan = StepPlan.of(groups, state, fusedSlots, invScale, scaleExact)) {
            try (AutoGradMode mode = new AutoGradMode(defaults.differentiable())) {
                for (StepPlan.Batch b : plan.batches()) {
                    if (b.unscale()) {
                        AmpGrads.unscaleInPlace(b.tensors().grads(), invScale);
                    }
                    StepPath.of(b.kind()).step(b.tensors(), b.options());
                }
            } catch (RuntimeException e) {
                plan.rollBack();
                throw LibtorchErrors.translate(e);
            }
        }
    }

    /** Whether every group takes the fused path: a GradScaler step can then unscale inside the kernel. */
    boolean allFused() {
        for (ParamGroup g : groups) {
            if (!g.options().fused()) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #step(Supplier)} with each gradient read times {@code inverseScale} (GradScaler's step on a fused
     * RAdam, PyTorch's {@code grad_scale} argument): the kernel unscales as it reads (without the rounding for the
     * dtype codes in {@code exactDtypes}, which GradScaler's check found exact), the params it hands to the for-loop
     * have their gradients unscaled in place first.
     */
    <T> T stepScaled(Supplier<T> closure, double inverseScale, java.util.Set<Integer> exactDtypes) {
        invScale = inverseScale;
        scaleExact = exactDtypes;
        try {
            return step(closure);
        } finally {
            invScale = 0;
            scaleExact = java.util.Set.of();
        }
    }

    static ParamState newState(Tensor p, RAdamOptions o) {
        Tensor step = o.capturable() ? Tensors.zeroStep(p.device()) : Tensors.zeroStep(null);
        return new ParamState(Tensors.keep(step), Tensors.keep(Tensors.zerosLike(p)), Tensors.keep(Tensors.zerosLike(p)));
    }
}
