package org.radam4j;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.Handles;
import org.radam4j.internal.LibtorchErrors;

/**
 * PyTorch 2.x's {@code torch.amp.GradScaler} for RAdam: {@link #scale} multiplies a loss by the scale (a float32
 * tensor, 2^16 at first, made on the loss's device); {@link #unscale} divides the optimizer's gradients by it
 * through libtorch's {@code _amp_foreach_non_finite_check_and_unscale_} and records whether any is inf or NaN;
 * {@link #step} steps the optimizer only when none was; {@link #update} grows the scale by
 * {@code growthFactor} after {@code growthInterval} clean steps and backs it off on a skipped one, through
 * {@code _amp_update_scale_}, so the numbers are PyTorch's. Each optimizer goes READY, UNSCALED, STEPPED between
 * updates, with PyTorch's errors for calls out of order. A skipped step does not call the optimizer at all: no
 * param, no state, no step counter and no hook changes.
 *
 * <p>A disabled scaler passes everything through: {@code scale} returns the loss, {@code step} steps,
 * {@code getScale()} is 1.0. Errors as PyTorch's: its {@code AssertionError} and {@code RuntimeError} are
 * {@link IllegalStateException}s, its {@code ValueError} an {@link IllegalArgumentException}. Not thread-safe.
 *
 * <p>On a RAdam whose groups are all fused, {@code step} (without an earlier {@code unscale}) takes PyTorch's route
 * for optimizers with {@code _step_supports_amp_scaling}: an inf check, then the kernel unscales each gradient as
 * it reads it, with the same float32 multiply, so the bits are those of unscale-then-step, without the pass that
 * writes every gradient. Those gradients stay scaled after the step, as PyTorch's fused optimizers leave them;
 * the gradients of params the kernel cannot take are unscaled in place.
 */
public final class GradScaler {

    static {
        Libtorch.load();
    }

    private enum Stage { READY, UNSCALED, STEPPED }

    private static final class OptimizerState {
        Stage stage = Stage.READY;
        final Map<String, Tensor> foundInfPerDevice = new LinkedHashMap<>();
    }

    private static final ForeachOps.Op UPDATE_SCALE = ForeachOps.op("aten::_amp_update_scale_", "");

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(GradScaler.class.getName());

    private final String device;
    private final boolean enabled;
    private double initScale;
    private double growthFactor;
    private double backoffFactor;
    private long growthInterval;
    private long initGrowthTracker;
    private Tensor scale;
    private Tensor growthTracker;
    private Map<RAdam, OptimizerState> states = new IdentityHashMap<>();

    /** {@code GradScaler()}: PyTorch's default device, {@code "cuda"} (disabled where CUDA is not available). */
    public GradScaler() {
        this("cuda");
    }

    /** {@code GradScaler(device)} with PyTorch's defaults: 2^16, growth 2.0, backoff 0.5, interval 2000, enabled. */
    public GradScaler(String device) {
        this(device, 65536.0, 2.0, 0.5, 2000, true);
    }

    /**
     * {@code GradScaler(device, init_scale, growth_factor, backoff_factor, growth_interval, enabled)}. As PyTorch, a
     * {@code "cuda"} scaler where CUDA is not available logs PyTorch's warning and is disabled.
     *
     * @throws IllegalStateException {@code The growth factor must be > 1.0.} / {@code The backoff factor must be < 1.0.}
     */
    public GradScaler(String device, double initScale, double growthFactor, double backoffFactor, long growthInterval,
            boolean enabled) {
        this.device = device;
        if (enabled && device.equals("cuda") && !torch.cuda_is_available()) {
            LOG.warning("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.");
            enabled = false;
        }
        this.enabled = enabled;
        if (enabled) {
            if (!(growthFactor > 1.0)) {
                throw new IllegalStateException("The growth factor must be > 1.0.");
            }
            if (!(backoffFactor < 1.0)) {
                throw new IllegalStateException("The backoff factor must be < 1.0.");
            }
        }
        this.initScale = initScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /**
     * {@code scale(outputs)}: {@code outputs * scale}, a new tensor, handed over as a presets op's result is: freed
     * when the caller's innermost {@code PointerScope} closes, or the caller's to close where there is none (so
     * {@code scaler.scale(loss).backward()} in a per-step scope leaves nothing behind). The scale is made on the
     * first call, on the tensor's device. Disabled: {@code outputs} itself.
     */
    public Tensor scale(Tensor outputs) {
        if (!enabled) {
            return outputs;
        }
        Tensor out;
        try {
            if (scale == null) {
                lazyInit(outputs.device());
            }
            try (PointerScope scope = new PointerScope()) {
                Tensor s = scale.to(outputs.device(), Dtypes.of(scale));
                out = outputs.mul(s);
                out.retainReference();
            }
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
        return Handles.handOver(out);
    }

    /** {@code scale([outputs...])}: each output times the scale. */
    public List<Tensor> scale(List<? extends Tensor> outputs) {
        List<Tensor> out = new ArrayList<>(outputs.size());
        for (Tensor t : outputs) {
            out.add(scale(t));
        }
        return out;
    }

    private void lazyInit(Device dev) {
        if (growthTracker != null) {
            throw new IllegalStateException("_growth_tracker initialized before _scale");
        }
        try (PointerScope s = new PointerScope()) {
            TensorOptions f32 = new TensorOptions(ScalarType.Float);
            TensorOptions i32 = new TensorOptions(ScalarType.Int);
            scale = Tensors.keep(torch.full(new long[0], new Scalar(initScale), f32.device(new org.bytedeco.pytorch.DeviceOptional(dev))));
            growthTracker = Tensors.keep(torch.full(new long[0], new Scalar(initGrowthTracker),
                    i32.device(new org.bytedeco.pytorch.DeviceOptional(dev))));
        }
    }

    private void checkScaleGrowthTracker(String funcname) {
        String fix = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.";
        if (scale == null) {
            throw new IllegalStateException("Attempted " + funcname + " but _scale is None.  " + fix);
        }
        if (growthTracker == null) {
            throw new IllegalStateException("Attempted " + funcname + " but _growth_tracker is None.  " + fix);
        }
    }

    /**
     * {@code unscale_(optimizer)}: divides each gradient of the optimizer by the scale, in place, and records per
     * device whether any was inf or NaN.
     *
     * @throws IllegalStateException {@code unscale_() has already been called on this optimizer since the last
     *     update().}, {@code unscale_() is being called after step().}
     * @throws IllegalArgumentException {@code Attempting to unscale FP16 gradients.}
     */
    public void unscale(RAdam optimizer) {
        if (!enabled) {
            return;
        }
        checkScaleGrowthTracker("unscale_");
        OptimizerState st = states.computeIfAbsent(optimizer, k -> new OptimizerState());
        if (st.stage == Stage.UNSCALED) {
            throw new IllegalStateException("unscale_() has already been called on this optimizer since the last update().");
        } else if (st.stage == Stage.STEPPED) {
            throw new IllegalStateException("unscale_() is being called after step().");
        }
        try (PointerScope scope = new PointerScope()) {
            Tensor invScale = scale.to(ScalarType.Double).reciprocal().to(ScalarType.Float);
            st.foundInfPerDevice.putAll(AmpGrads.unscaleGrads(AmpGrads.gradsOf(optimizer, false), invScale));
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
        st.stage = Stage.UNSCALED;
    }

    /** {@link #step(RAdam, Supplier)} without a closure. */
    public void step(RAdam optimizer) {
        step(optimizer, null);
    }

    /**
     * {@code step(optimizer, closure)}: unscales if {@link #unscale} was not called, then steps the optimizer
     * (with the closure) unless a gradient was inf or NaN, and returns the step's result, or null when skipped.
     *
     * @throws IllegalStateException {@code step() has already been called since the last update().},
     *     {@code No inf checks were recorded for this optimizer.}
     */
    public <T> T step(RAdam optimizer, Supplier<T> closure) {
        if (!enabled) {
            return optimizer.step(closure);
        }
        checkScaleGrowthTracker("step");
        OptimizerState st = states.computeIfAbsent(optimizer, k -> new OptimizerState());
        if (st.stage == Stage.STEPPED) {
            throw new IllegalStateException("step() has already been called since the last update().");
        }
        if (st.stage == Stage.READY && optimizer.allFused()) {
            return fusedStep(optimizer, st, closure);
        }
        if (st.stage == Stage.READY) {
            unscale(optimizer);
        }
        if (st.foundInfPerDevice.isEmpty()) {
            throw new IllegalStateException("No inf checks were recorded for this optimizer.");
        }
        double found = 0;
        for (Tensor f : st.foundInfPerDevice.values()) {
            found += f.item_double();
        }
        T result = found == 0 ? optimizer.step(closure) : null;
        st.stage = Stage.STEPPED;
        return result;
    }

    /**
     * PyTorch's route for optimizers with {@code _step_supports_amp_scaling}: the gradients are checked for inf and
     * NaN ({@code _check_inf_per_device}: the unscale op with an inverse scale of 1), and the fused kernel unscales
     * each as it reads it, with the float32 inverse scale {@link #unscale} would use, so the step's bits are those
     * of unscale-then-step. The check reads each gradient once ({@link AmpGrads#checkNonFinite}); where it finds every
     * bfloat16/float16 product a value of the dtype (a power-of-two scale, as the default factors keep it, and no
     * gradient near the dtype's smallest normal), the kernel leaves out the rounding that would change nothing. The gradients the kernel
     * reads stay scaled, as PyTorch's fused optimizers leave them.
     */
    private <T> T fusedStep(RAdam optimizer, OptimizerState st, Supplier<T> closure) {
        float inverse = (float) (1.0 / scale.item_double());
        AmpGrads.Check check;
        try (PointerScope scope = new PointerScope()) {
            check = AmpGrads.checkNonFinite(optimizer, inverse);
            st.foundInfPerDevice.putAll(check.foundInfPerDevice());
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
        if (st.foundInfPerDevice.isEmpty()) {
            throw new IllegalStateException("No inf checks were recorded for this optimizer.");
        }
        double found = 0;
        for (Tensor f : st.foundInfPerDevice.values()) {
            found += f.item_double();
        }
        T result = found == 0 ? optimizer.stepScaled(closure, inverse, check.exactDtypes()) : null;
        st.stage = Stage.STEPPED;
        return result;
    }

    /**
     * {@code update()}: the scale backs off if any optimizer's step found an inf or NaN since the last update,
     * else counts towards growth; every optimizer goes back to READY.
     *
     * @throws IllegalStateException {@code No inf checks were recorded prior to update.}
     */
    public void update() {
        if (!enabled) {
            return;
        }
        checkScaleGrowthTracker("update");
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> founds = new ArrayList<>();
            for (OptimizerState st : states.values()) {
                for (Tensor f : st.foundInfPerDevice.values()) {
                    founds.add(f.to(scale.device(), ScalarType.Float));
                }
            }
            if (founds.isEmpty()) {
                throw new IllegalStateException("No inf checks were recorded prior to update.");
            }
            Tensor combined = founds.get(0);
            for (int i = 1; i < founds.size(); i++) {
                combined.add_(founds.get(i));
            }
            UPDATE_SCALE.call(ForeachOps.tensor(scale), ForeachOps.tensor(growthTracker), ForeachOps.tensor(combined),
                    new IValue(growthFactor), new IValue(backoffFactor), new IValue(growthInterval));
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
        resetStates();
    }

    /** {@code update(new_scale)} with a float: the scale becomes {@code newScale}; every optimizer goes back to READY. */
    public void update(double newScale) {
        if (!enabled) {
            return;
        }
        checkScaleGrowthTracker("update");
        try (Scalar s = new Scalar(newScale)) {
            scale.fill_(s);
        }
        resetStates();
    }

    /**
     * {@code update(new_scale)} with a 1-element tensor on the scaler's device that does not require grad.
     *
     * @throws IllegalStateException PyTorch's {@code new_scale should be a float or a 1-element ... tensor} otherwise
     */
    public void update(Tensor newScale) {
        if (!enabled) {
            return;
        }
        checkScaleGrowthTracker("update");
        String reason = "new_scale should be a float or a 1-element torch.cuda.FloatTensor or torch.FloatTensor with "
                + "requires_grad=False.";
        if (!Tensors.deviceType(newScale).equals(device) || newScale.numel() != 1 || newScale.requires_grad()) {
            throw new IllegalStateException(reason);
        }
        try (NoGradGuard g = new NoGradGuard()) {
            scale.copy_(newScale.reshape(new long[0]));
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
        resetStates();
    }

    private void resetStates() {
        for (OptimizerState st : states.values()) {
            st.foundInfPerDevice.values().forEach(Tensor::close);
        }
        states = new IdentityHashMap<>();
    }

    /** {@code get_scale()}: the scale (the initial one before the first {@link #scale}); 1.0 when disabled. */
    public double getScale() {
        if (!enabled) {
            return 1.0;
        }
        return scale == null ? initScale : scale.item_double();
    }

    /** {@code get_growth_factor()}. */
    public double getGrowthFactor() {
        return growthFactor;
    }

    /** {@code set_growth_factor(new_factor)}: used from the next {@link #update()} on (not checked, as PyTorch). */
    public void setGrowthFactor(double newFactor) {
        growthFactor = newFactor;
    }

    /** {@code get_backoff_factor()}. */
    public double getBackoffFactor() {
        return backoffFactor;
    }

    /** {@code set_backoff_factor(new_factor)}: used from the next {@link #update()} on (not checked, as PyTorch). */
    public void setBackoffFactor(double newFactor) {
        backoffFactor = newFactor;
    }

    /** {@code get_growth_interval()}. */
    public long getGrowthInterval() {
        return growthInterval;
    }

    /** {@code set_growth_interval(new_interval)}: used from the next {@link #update()} on (not checked, as PyTorch). */
    public void setGrowthInterval(long newInterval) {
        growthInterval = newInterval;
    }

    /**
     * PyTorch's {@code _get_growth_tracker()}: the clean steps counted towards the next growth (the loaded or initial
     * count before the first {@link #scale}); 0 when disabled.
     */
    public long getGrowthTracker() {
        return enabled ? growthTrackerValue() : 0;
    }

    /** Whether the scaler scales (PyTorch's {@code is_enabled()}). */
    public boolean isEnabled() {
        return enabled;
    }

    private long growthTrackerValue() {
        return growthTracker == null ? initGrowthTracker : growthTracker.item_long();
    }

    /**
     * {@code state_dict()}: {@code scale}, {@code growth_factor}, {@code backoff_factor}, {@code growth_interval},
     * {@code _growth_tracker}, as Python's GradScaler writes and reads them; empty when disabled.
     */
    public Map<String, Object> stateDict() {
        return enabled ? new ScalerState(getScale(), growthFactor, backoffFactor, growthInterval, growthTrackerValue()).toMap()
                : new LinkedHashMap<>();
    }

    /**
     * {@code load_state_dict(state_dict)}.
     *
     * @throws IllegalStateException {@code The source state dict is empty, possibly because it was saved from a
     *     disabled instance of GradScaler.}
     * @throws IllegalArgumentException a missing key or a value of the wrong type, before anything changes
     */
    public void loadStateDict(Map<String, ?> stateDict) {
        if (!enabled) {
            return;
        }
        if (stateDict.isEmpty()) {
            throw new IllegalStateException("The source state dict is empty, possibly because it was saved from a disabled "
                    + "instance of GradScaler.");
        }
        ScalerState loaded = ScalerState.of(stateDict);
        double s = loaded.scale();
        double gf = loaded.growthFactor();
        double bf = loaded.backoffFactor();
        long gi = loaded.growthInterval();
        long gt = loaded.growthTracker();
        initScale = s;
        if (scale != null) {
            try (Scalar v = new Scalar(s)) {
                scale.fill_(v);
            }
        }
        growthFactor = gf;
        backoffFactor = bf;
        growthInterval = gi;
        initGrowthTracker = gt;
        if (growthTracker != null) {
            try (Scalar v = new Scalar(gt)) {
                growthTracker.fill_(v);
            }
        }
    }
}
