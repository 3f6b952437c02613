package org.radam4j;

import org.radam4j.internal.PyRepr;

import org.radam4j.internal.Dtypes;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

/**
 * The hyper-parameters of {@link RAdam}, immutable and validated once, when {@link Builder#build()} runs.
 *
 * <p>Defaults and checks are PyTorch 2.11's {@code torch.optim.RAdam(params, lr=1e-3, betas=(0.9, 0.999),
 * eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
 * differentiable=False)}, with its error messages ({@code Invalid learning rate: -1.0}, ...), thrown as
 * {@link IllegalArgumentException} where Python raises {@code ValueError}.
 *
 * <p>The learning rate is either a double or a 1-element tensor ({@link #lrTensor()}); PyTorch keeps a tensor
 * lr as a tensor and so do we: the step then multiplies by it as a tensor operand. The tensor is shared, not
 * copied, as in PyTorch, so changing it in place changes the learning rate.
 *
 * <p>{@code foreach} is a {@link Boolean}: {@code null} lets the optimizer choose as PyTorch does.
 */
public final class RAdamOptions {

    /** The option keys in PyTorch 2.11's order, as they appear in a param group ({@code fused}, ours, follows when set). */
    public static final List<String> KEYS = Arrays.stream(RAdamOption.values()).filter(RAdamOption::isPyTorch)
            .map(RAdamOption::key).toList();

    /** Whether a param group key is an option (PyTorch's {@link #KEYS}, and radam4j's {@code fused}). */
    public static boolean isOption(String key) {
        return RAdamOption.of(key) != null;
    }

    private final EnumMap<RAdamOption, Object> values;

    private RAdamOptions(EnumMap<RAdamOption, Object> values) {
        this.values = values;
    }

    /** PyTorch's defaults: {@code lr=1e-3, betas=(0.9, 0.999), eps=1e-8}, everything else off. */
    public static RAdamOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder(null);
    }

    /** A builder that starts from these options. */
    public Builder toBuilder() {
        return new Builder(values);
    }

    /** An option's value in its stored form (see {@link RAdamOption}). */
    public Object get(RAdamOption option) {
        return values.get(option);
    }

    private double number(RAdamOption option) {
        return ((Number) values.get(option)).doubleValue();
    }

    private boolean flag(RAdamOption option) {
        return (Boolean) values.get(option);
    }

    /**
     * The learning rate as a double; for a tensor lr, its current value (this reads the tensor, a host
     * synchronisation on CUDA).
     */
    public double lr() {
        return lrTensor() == null ? number(RAdamOption.LR) : lrTensor().item_double();
    }

    /** The learning rate tensor, or {@code null} when lr is a double. */
    public Tensor lrTensor() {
        return values.get(RAdamOption.LR) instanceof Tensor t ? t : null;
    }

    public boolean lrIsTensor() {
        return lrTensor() != null;
    }

    public double beta1() {
        return ((Number) ((PyTuple) values.get(RAdamOption.BETAS)).get(0)).doubleValue();
    }

    public double beta2() {
        return ((Number) ((PyTuple) values.get(RAdamOption.BETAS)).get(1)).doubleValue();
    }

    public double eps() {
        return number(RAdamOption.EPS);
    }

    public double weightDecay() {
        return number(RAdamOption.WEIGHT_DECAY);
    }

    public boolean decoupledWeightDecay() {
        return flag(RAdamOption.DECOUPLED_WEIGHT_DECAY);
    }

    /** {@code null}: choose (foreach on CUDA, the for-loop otherwise). */
    public Boolean foreach() {
        return (Boolean) values.get(RAdamOption.FOREACH);
    }

    public boolean maximize() {
        return flag(RAdamOption.MAXIMIZE);
    }

    public boolean capturable() {
        return flag(RAdamOption.CAPTURABLE);
    }

    public boolean differentiable() {
        return flag(RAdamOption.DIFFERENTIABLE);
    }

    /**
     * radam4j's fused CPU kernel (PyTorch's RAdam has no {@code fused} flag; its Adam does). Not with
     * {@code differentiable}, {@code capturable} or {@code foreach=true}.
     */
    public boolean fused() {
        return flag(RAdamOption.FUSED);
    }

    /** Changes only the learning rate; shorthand for {@code toBuilder().lr(lr).build()}. */
    public RAdamOptions withLr(double lr) {
        return toBuilder().lr(lr).build();
    }

    /**
     * The learning rate replaced without the constructor's range check, as a Python scheduler assigns
     * {@code group["lr"]} (PyTorch's OneCycleLR with linear three-phase annealing ends a hair below zero).
     */
    RAdamOptions withScheduledLr(double lr) {
        EnumMap<RAdamOption, Object> v = new EnumMap<>(values);
        v.put(RAdamOption.LR, lr);
        return new RAdamOptions(v);
    }

    /**
     * These options as a Python-style param group map in PyTorch's key order ({@link #KEYS}): lr as a
     * {@link Double} or a {@link Tensor}, betas as a {@link PyTuple} of two doubles (a 2-element list that files
     * store as a tuple), weight_decay as PyTorch's int {@code 0} when left at its default (or given as an
     * integer) and a Double otherwise, foreach as a Boolean or {@code null}; {@code fused} only when true.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (RAdamOption o : RAdamOption.values()) {
            if (o.isPyTorch() || Boolean.TRUE.equals(values.get(o))) {
                m.put(o.key(), values.get(o));
            }
        }
        return m;
    }

    /**
     * Options from a Python-style map: the option keys that {@code values} holds override {@code base}; other
     * keys are ignored here. A value of the wrong type is an {@link IllegalArgumentException} that names its key;
     * the result is validated like any other.
     */
    public static RAdamOptions fromMap(Map<String, ?> values, RAdamOptions base) {
        Builder b = base.toBuilder();
        for (Map.Entry<String, ?> e : values.entrySet()) {
            RAdamOption o = RAdamOption.of(e.getKey());
            if (o != null) {
                b.set(o, o == RAdamOption.FUSED && e.getValue() == null ? false : e.getValue());
            }
        }
        return b.build();
    }

    /** As Python prints {@code optimizer.defaults}: {@code {'lr': 0.001, 'betas': (0.9, 0.999), ...}}. */
    @Override
    public String toString() {
        return PyRepr.repr(toMap());
    }

    /** Builds {@link RAdamOptions}; {@link #build()} validates with PyTorch's checks and messages. */
    public static final class Builder implements OptionSetters<Builder> {
        private final EnumMap<RAdamOption, Object> values = new EnumMap<>(RAdamOption.class);

        private Builder(Map<RAdamOption, Object> from) {
            for (RAdamOption o : RAdamOption.values()) {
                values.put(o, from != null ? from.get(o) : o.defaultValue());
            }
        }

        /** Sets an option from a value of its kind; a value of another type is an {@link IllegalArgumentException}. */
        @Override
        public Builder set(RAdamOption option, Object value) {
            values.put(option, option.parse(value));
            return this;
        }

        /**
         * Validates as PyTorch's constructor does, in its order, and builds.
         *
         * @throws IllegalArgumentException with PyTorch's message ({@code Tensor lr must be 1-element},
         *     {@code Invalid learning rate: -1.0}, {@code Invalid epsilon value: ...}, {@code Invalid beta
         *     parameter at index 0: ...}, {@code Invalid weight_decay value: ...})
         * @throws IllegalStateException {@code _foreach ops don't support autograd} for {@code foreach=true} with
         *     {@code differentiable=true} (PyTorch asserts this only at {@code step()}; here the options are refused
         *     up front), and PyTorch's messages for {@code fused} with {@code differentiable} or {@code foreach}
         */
        public RAdamOptions build() {
            RAdamOptions o = new RAdamOptions(new EnumMap<>(values));
            Tensor lrTensor = o.lrTensor();
            double lrValue;
            if (lrTensor != null) {
                if (!lrTensor.defined()) {
                    throw new IllegalArgumentException("lr tensor is undefined");
                }
                if (lrTensor.numel() != 1) {
                    throw new IllegalArgumentException("Tensor lr must be 1-element");
                }
                if (!lrTensor.is_floating_point()) {
                    throw new IllegalArgumentException("Tensor lr must be a floating-point tensor, but got " + Dtypes.name(lrTensor));
                }
                lrValue = lrTensor.is_meta() ? 0.0 : lrTensor.item_double();
            } else {
                lrValue = o.lr();
            }
            if (!(0.0 <= lrValue)) {
                throw new IllegalArgumentException("Invalid learning rate: "
                        + (lrTensor != null ? PyRepr.tensorScalar(lrValue) : PyRepr.of(lrValue)));
            }
            if (!(0.0 <= o.eps())) {
                throw new IllegalArgumentException("Invalid epsilon value: " + PyRepr.of(o.eps()));
            }
            if (!(0.0 <= o.beta1() && o.beta1() < 1.0)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 0: " + PyRepr.of(o.beta1()));
            }
            if (!(0.0 <= o.beta2() && o.beta2() < 1.0)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 1: " + PyRepr.of(o.beta2()));
            }
            if (!(0.0 <= o.weightDecay())) {
                throw new IllegalArgumentException("Invalid weight_decay value: " + PyRepr.of(o.weightDecay()));
            }
            if (Boolean.TRUE.equals(o.foreach()) && o.differentiable()) {
                throw new IllegalStateException("_foreach ops don't support autograd");
            }
            if (o.fused()) {
                if (o.differentiable()) {
                    throw new IllegalStateException("`fused` does not support `differentiable`");
                }
                if (Boolean.TRUE.equals(o.foreach())) {
                    throw new IllegalStateException("`fused` and `foreach` cannot be `True` together.");
                }
                if (o.capturable()) {
                    throw new IllegalStateException("radam4j's fused kernel runs on the CPU and does not support `capturable`");
                }
            }
            return o;
        }
    }
}
