package org.radam4j;

import static org.bytedeco.pytorch.global.torch.rsub;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The scalar math of one RAdam step for one param, in IEEE double exactly as Python computes it
 * ({@code torch/optim/radam.py}): every path (for-loop, foreach, fused) takes its bias corrections, rho_t and
 * rect, rho_inf, the decoupled decay factor and a tensor lr's 0-dim view from here. The capturable variants
 * compute the same formulas as tensor ops on the device, in each PyTorch path's own op order (for-loop:
 * {@code ForLoopRAdam.updateCapturable}; foreach: {@code ForeachRAdam.capturableStepSizes}), with
 * {@link #rhoInf} from here.
 *
 * <pre>
 * rho_inf = 2 / (1 - beta2) - 1
 * bc1     = 1 - beta1 ** step
 * bc2     = 1 - beta2 ** step
 * rho_t   = rho_inf - 2 * step * (beta2 ** step) / bc2
 * rect    = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5   if rho_t > 5
 * </pre>
 *
 * @param step the step count after this step's increment, as a double
 * @param bc1 {@code 1 - beta1 ** step}
 * @param bc2 {@code 1 - beta2 ** step}
 * @param rhoInf the maximum length of the approximated SMA
 * @param rhoT the length of the approximated SMA at this step
 * @param rectified whether {@code rho_t > 5}: the adaptive (rectified) update applies
 * @param rect the variance rectification term when rectified, else 0 (as in PyTorch's foreach path)
 */
public record StepScalars(double step, double bc1, double bc2, double rhoInf, double rhoT, boolean rectified, double rect) {

    /** The threshold on rho_t above which the rectified update is used. */
    public static final double RHO_THRESHOLD = 5.0;

    /** Computes the scalars for {@code step} (already incremented), in Python's operation order. */
    public static StepScalars of(double beta1, double beta2, double step) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double rhoInf = rhoInf(beta2);
        double rhoT = rhoInf - 2 * step * Math.pow(beta2, step) / bc2;
        boolean rectified = rhoT > RHO_THRESHOLD;
        double rect = rectified
                ? Math.pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5)
                : 0.0;
        return new StepScalars(step, bc1, bc2, rhoInf, rhoT, rectified, rect);
    }

    /**
     * The foreach path's unrectified step size, {@code (lr * unrectified / bc1) * -1} with {@code unrectified}
     * 1.0 before the rectified phase and 0 after it (so -0.0 then, as in Python).
     */
    public double unrectStepSize(double lr) {
        return (lr * unrectified() / bc1) * -1;
    }

    /** {@code 0} once {@code rect > 0}, else {@code 1.0}: PyTorch's foreach {@code unrectified}. */
    public double unrectified() {
        return rect > 0 ? 0 : 1.0;
    }

    /** The foreach path's divisor of {@code sqrt(v) + eps}: {@code (bc2 ** 0.5) * (lr * rect / bc1) * -1}. */
    public double bc2Term(double lr) {
        return sqrtBc2() * (lr * rect / bc1) * -1;
    }

    /** {@code bc2 ** 0.5}, the numerator of the adaptive learning rate. */
    public double sqrtBc2() {
        return Math.pow(bc2, 0.5);
    }

    /** {@code rho_inf = 2 / (1 - beta2) - 1}, the maximum length of the approximated SMA. */
    public static double rhoInf(double beta2) {
        return 2 / (1 - beta2) - 1;
    }

    /** PyTorch's {@code _to_scalar(lr)} for a tensor lr (a 1-element tensor becomes a 0-dim view), or null. */
    static Tensor lrTensor(RAdamOptions o) {
        if (!o.lrIsTensor()) {
            return null;
        }
        Tensor lr = o.lrTensor();
        return lr.dim() != 0 ? lr.squeeze() : lr;
    }

    /**
     * The decoupled decay factor {@code 1 - lr * weight_decay} for a tensor lr, as PyTorch computes it: 0-dim
     * tensor ops in lr's dtype (float32 for a float32 lr, whatever the params' dtype).
     */
    static Tensor decay(Tensor lr, Scalar weightDecay, Scalar one) {
        return rsub(lr.mul(weightDecay), one);
    }

    /** The decoupled decay factor as a double: in double for a double lr, else {@link #decay}'s value. */
    static double decayFactor(RAdamOptions o) {
        if (!o.lrIsTensor()) {
            return 1 - o.lr() * o.weightDecay();
        }
        try (PointerScope scope = new PointerScope()) {
            return decay(lrTensor(o), new Scalar(o.weightDecay()), new Scalar(1L)).item_double();
        }
    }
}
