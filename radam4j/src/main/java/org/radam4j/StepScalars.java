package org.radam4j;

/**
 * The scalar math of one RAdam step for one param, in IEEE double exactly as Python computes it
 * ({@code torch/optim/radam.py}): every path (for-loop, foreach, fused) takes its bias corrections, rho_t and
 * rect from here, so the three cannot drift apart.
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
        double rhoInf = 2 / (1 - beta2) - 1;
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
}
