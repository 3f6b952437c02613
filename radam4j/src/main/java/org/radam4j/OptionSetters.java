package org.radam4j;

import org.bytedeco.pytorch.Tensor;

/**
 * The typed setters of RAdam's options, written once for {@link RAdamOptions.Builder} and {@link ParamGroupSpec}:
 * each sets one {@link RAdamOption}.
 *
 * @param <S> the implementing type, returned for chaining
 */
public interface OptionSetters<S extends OptionSetters<S>> {

    /**
     * Sets an option from a value of its kind (see {@link RAdamOption}).
     *
     * @throws IllegalArgumentException for a value of the wrong type
     */
    S set(RAdamOption option, Object value);

    default S lr(double lr) {
        return set(RAdamOption.LR, lr);
    }

    /** A 1-element tensor learning rate, shared (not copied) as in PyTorch. */
    default S lr(Tensor lr) {
        return set(RAdamOption.LR, java.util.Objects.requireNonNull(lr, "lr"));
    }

    default S betas(double beta1, double beta2) {
        return set(RAdamOption.BETAS, PyTuple.of(beta1, beta2));
    }

    default S eps(double eps) {
        return set(RAdamOption.EPS, eps);
    }

    default S weightDecay(double weightDecay) {
        return set(RAdamOption.WEIGHT_DECAY, weightDecay);
    }

    /** {@code true}: RAdamW's decoupled weight decay. */
    default S decoupledWeightDecay(boolean decoupled) {
        return set(RAdamOption.DECOUPLED_WEIGHT_DECAY, decoupled);
    }

    /** {@code null}: choose as PyTorch does (foreach on CUDA, the for-loop otherwise). */
    default S foreach(Boolean foreach) {
        return set(RAdamOption.FOREACH, foreach);
    }

    default S maximize(boolean maximize) {
        return set(RAdamOption.MAXIMIZE, maximize);
    }

    default S capturable(boolean capturable) {
        return set(RAdamOption.CAPTURABLE, capturable);
    }

    default S differentiable(boolean differentiable) {
        return set(RAdamOption.DIFFERENTIABLE, differentiable);
    }

    /** radam4j's fused CPU kernel; see {@link RAdamOptions#fused()}. */
    default S fused(boolean fused) {
        return set(RAdamOption.FUSED, fused);
    }
}
