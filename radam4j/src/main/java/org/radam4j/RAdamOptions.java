package org.radam4j;

import org.radam4j.internal.PyRepr;

import org.radam4j.internal.Dtypes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
    public static final List<String> KEYS = List.of("lr", "betas", "eps", "weight_decay", "maximize", "foreach",
            "capturable", "decoupled_weight_decay", "differentiable");

    /** Whether a param group key is an option (PyTorch's {@link #KEYS}, and radam4j's {@code fused}). */
    public static boolean isOption(String key) {
        return KEYS.contains(key) || key.equals("fused");
    }

    private final double lr;
    private final Tensor lrTensor;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean weightDecayIsInt;
    private final boolean decoupledWeightDecay;
    private final Boolean foreach;
    private final boolean maximize;
    private final boolean capturable;
    private final boolean differentiable;
    private final boolean fused;

    private RAdamOptions(Builder b) {
        this.lr = b.lr;
        this.lrTensor = b.lrTensor;
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;
        this.weightDecayIsInt = b.weightDecayIsInt;
        this.decoupledWeightDecay = b.decoupledWeightDecay;
        this.foreach = b.foreach;
        this.maximize = b.maximize;
        this.capturable = b.capturable;
        this.differentiable = b.differentiable;
        this.fused = b.fused;
    }

    /** PyTorch's defaults: {@code lr=1e-3, betas=(0.9, 0.999), eps=1e-8}, everything else off. */
    public static RAdamOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.lr = lr;
        b.lrTensor = lrTensor;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.eps = eps;
        b.weightDecay = weightDecay;
        b.weightDecayIsInt = weightDecayIsInt;
        b.decoupledWeightDecay = decoupledWeightDecay;
        b.foreach = foreach;
        b.maximize = maximize;
        b.capturable = capturable;
        b.differentiable = differentiable;
        b.fused = fused;
        return b;
    }

    /**
     * The learning rate as a double; for a tensor lr, its current value (this reads the tensor, a host
     * synchronisation on CUDA).
     */
    public double lr() {
        return lrTensor == null ? lr : lrTensor.item_double();
    }

    /** The learning rate tensor, or {@code null} when lr is a double. */
    public Tensor lrTensor() {
        return lrTensor;
    }

    public boolean lrIsTensor() {
        return lrTensor != null;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double eps() {
        return eps;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public boolean decoupledWeightDecay() {
        return decoupledWeightDecay;
    }

    /** {@code null}: choose (foreach on CUDA, the for-loop otherwise). */
    public Boolean foreach() {
        return foreach;
    }

    public boolean maximize() {
        return maximize;
    }

    public boolean capturable() {
        return capturable;
    }

    public boolean differentiable() {
        return differentiable;
    }

    /**
     * radam4j's fused CPU kernel (PyTorch's RAdam has no {@code fused} flag; its Adam does). Not with
     * {@code differentiable}, {@code capturable} or {@code foreach=true}.
     */
    public boolean fused() {
        return fused;
    }

    /** Changes only the learning rate; shorthand for {@code toBuilder().lr(lr).build()}. */
    public RAdamOptions withLr(double lr) {
        return toBuilder().lr(lr).build();
    }

    /**
     * These options as a Python-style param group map in PyTorch's key order ({@link #KEYS}): lr as a
     * {@link Double} or a {@link Tensor}, betas as a {@link PyTuple} of two doubles (a 2-element list that files
     * store as a tuple), weight_decay as PyTorch's int {@code 0} when left at its default (or given as an
     * integer) and a Double otherwise, foreach as a Boolean or {@code null}.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", lrTensor != null ? lrTensor : (Object) lr);
        m.put("betas", PyTuple.of(beta1, beta2));
        m.put("eps", eps);
        m.put("weight_decay", weightDecayIsInt ? (Object) (int) weightDecay : (Object) weightDecay);
        m.put("maximize", maximize);
        m.put("foreach", foreach);
        m.put("capturable", capturable);
        m.put("decoupled_weight_decay", decoupledWeightDecay);
        m.put("differentiable", differentiable);
        if (fused) {
            m.put("fused", true);
        }
        return m;
    }

    /**
     * Options from a Python-style map: the keys of {@link #KEYS} that {@code values} holds override
     * {@code base}; other keys are ignored here. A value of the wrong type is an
     * {@link IllegalArgumentException} that names its key; the result is validated like any other.
     */
    public static RAdamOptions fromMap(Map<String, ?> values, RAdamOptions base) {
        Builder b = base.toBuilder();
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            switch (key) {
                case "lr" -> {
                    if (v instanceof Tensor t) {
                        b.lr(t);
                    } else {
                        b.lr(number(key, v));
                    }
                }
                case "betas" -> {
                    if (!(v instanceof List<?> l) || l.size() != 2) {
                        throw new IllegalArgumentException("param group option 'betas' must be a list of 2 numbers, but got " + describe(v));
                    }
                    b.betas(number(key, l.get(0)), number(key, l.get(1)));
                }
                case "eps" -> b.eps(number(key, v));
                case "weight_decay" -> {
                    b.weightDecay(number(key, v));
                    b.weightDecayIsInt = (v instanceof Integer || v instanceof Long) && b.weightDecay == Math.rint(b.weightDecay)
                            && Math.abs(b.weightDecay) < Integer.MAX_VALUE;
                }
                case "maximize" -> b.maximize(bool(key, v));
                case "foreach" -> b.foreach(v == null ? null : bool(key, v));
                case "capturable" -> b.capturable(bool(key, v));
                case "decoupled_weight_decay" -> b.decoupledWeightDecay(bool(key, v));
                case "differentiable" -> b.differentiable(bool(key, v));
                case "fused" -> b.fused(v != null && bool(key, v));
                default -> {
                }
            }
        }
        return b.build();
    }

    private static double number(String key, Object v) {
        if (v instanceof Number n && !(v instanceof Byte)) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException("param group option '" + key + "' must be a number, but got " + describe(v));
    }

    private static boolean bool(String key, Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException("param group option '" + key + "' must be a boolean, but got " + describe(v));
    }

    private static String describe(Object v) {
        return PyRepr.describe(v);
    }

    /** As Python prints {@code optimizer.defaults}: {@code {'lr': 0.001, 'betas': (0.9, 0.999), ...}}. */
    @Override
    public String toString() {
        return PyRepr.repr(toMap());
    }

    /** Builds {@link RAdamOptions}; {@link #build()} validates with PyTorch's checks and messages. */
    public static final class Builder {
        private double lr = 1e-3;
        private Tensor lrTensor;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 0.0;
        private boolean weightDecayIsInt = true;
        private boolean decoupledWeightDecay;
        private Boolean foreach;
        private boolean maximize;
        private boolean capturable;
        private boolean differentiable;
        private boolean fused;

        private Builder() {
        }

        public Builder lr(double lr) {
            this.lr = lr;
            this.lrTensor = null;
            return this;
        }

        /** A 1-element tensor learning rate, shared (not copied) as in PyTorch. */
        public Builder lr(Tensor lr) {
            this.lrTensor = Objects.requireNonNull(lr, "lr");
            return this;
        }

        public Builder betas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            this.weightDecayIsInt = false;
            return this;
        }

        public Builder decoupledWeightDecay(boolean decoupled) {
            this.decoupledWeightDecay = decoupled;
            return this;
        }

        public Builder foreach(Boolean foreach) {
            this.foreach = foreach;
            return this;
        }

        public Builder maximize(boolean maximize) {
            this.maximize = maximize;
            return this;
        }

        public Builder capturable(boolean capturable) {
            this.capturable = capturable;
            return this;
        }

        public Builder differentiable(boolean differentiable) {
            this.differentiable = differentiable;
            return this;
        }

        /** radam4j's fused CPU kernel; see {@link RAdamOptions#fused()}. */
        public Builder fused(boolean fused) {
            this.fused = fused;
            return this;
        }

        /**
         * Validates as PyTorch's constructor does, in its order, and builds.
         *
         * @throws IllegalArgumentException with PyTorch's message ({@code Tensor lr must be 1-element},
         *     {@code Invalid learning rate: -1.0}, {@code Invalid epsilon value: ...}, {@code Invalid beta
         *     parameter at index 0: ...}, {@code Invalid weight_decay value: ...})
         */
        public RAdamOptions build() {
            double lrValue = lr;
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
            }
            if (!(0.0 <= lrValue)) {
                throw new IllegalArgumentException("Invalid learning rate: "
                        + (lrTensor != null ? PyRepr.tensorScalar(lrValue) : PyRepr.of(lrValue)));
            }
            if (!(0.0 <= eps)) {
                throw new IllegalArgumentException("Invalid epsilon value: " + PyRepr.of(eps));
            }
            if (!(0.0 <= beta1 && beta1 < 1.0)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 0: " + PyRepr.of(beta1));
            }
            if (!(0.0 <= beta2 && beta2 < 1.0)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 1: " + PyRepr.of(beta2));
            }
            if (!(0.0 <= weightDecay)) {
                throw new IllegalArgumentException("Invalid weight_decay value: " + PyRepr.of(weightDecay));
            }
            if (fused) {
                if (differentiable) {
                    throw new IllegalStateException("`fused` does not support `differentiable`");
                }
                if (Boolean.TRUE.equals(foreach)) {
                    throw new IllegalStateException("`fused` and `foreach` cannot be `True` together.");
                }
                if (capturable) {
                    throw new IllegalStateException("radam4j's fused kernel runs on the CPU and does not support `capturable`");
                }
            }
            return new RAdamOptions(this);
        }
    }
}
