package org.radam4j;

import static org.bytedeco.pytorch.global.torch.pow;
import static org.bytedeco.pytorch.global.torch.rsub;
import static org.bytedeco.pytorch.global.torch.view_as_real;
import static org.bytedeco.pytorch.global.torch.where;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The for-loop path, PyTorch's {@code _single_tensor_radam}, op for op: per param, in the order
 * {@code ../shared/PARITY_NOTES.md} gives, with the scalars from {@link StepScalars}. Bit-for-bit with PyTorch
 * on the CPU. Every temporary of a param's update lives in a {@link PointerScope} closed before the next param.
 */
final class ForLoopRAdam {

    private ForLoopRAdam() {
    }

    static void step(GroupTensors t, RAdamOptions o) {
        for (int i = 0; i < t.size(); i++) {
            try (PointerScope scope = new PointerScope()) {
                Tensor lr = o.lrIsTensor() ? squeezed(o.lrTensor()) : null;
                stepOne(t.params().get(i), t.grads().get(i), t.expAvgs().get(i), t.expAvgSqs().get(i),
                        t.stateSteps().get(i), o, lr);
            }
        }
    }

    /** PyTorch's {@code _to_scalar(lr)}: a 1-element tensor lr becomes a 0-dim view. */
    static Tensor squeezed(Tensor lr) {
        return lr.dim() != 0 ? lr.squeeze() : lr;
    }

    /**
     * The capturable update: {@link StepScalars}' formulas as 0-dim tensor ops on the step counter's device, no
     * host synchronisation, and {@code where(rho_t > 5, rect * adaptive, 1)} in place of the branch.
     */
    private static void updateCapturable(Tensor param, Tensor expAvg, Tensor expAvgSq, Tensor step, RAdamOptions o,
            Tensor lrT) {
        Tensor bc1 = rsub(pow(new Scalar(o.beta1()), step), new Scalar(1L));
        Tensor bc2 = rsub(pow(new Scalar(o.beta2()), step), new Scalar(1L));
        Tensor biasCorrected = expAvg.div(bc1);
        double rhoInf = 2 / (1 - o.beta2()) - 1;
        Tensor rhoT = rsub(step.mul(new Scalar(2L)).mul(pow(new Scalar(o.beta2()), step)).div(bc2), new Scalar(rhoInf));
        Tensor rect = pow(rhoT.sub(new Scalar(4L)).mul(rhoT.sub(new Scalar(2L))).mul(new Scalar(rhoInf))
                .div(rhoT.mul(new Scalar((rhoInf - 4) * (rhoInf - 2)))), new Scalar(0.5));
        Tensor denom = expAvgSq.sqrt();
        denom = o.differentiable() ? denom.add(new Scalar(o.eps())) : denom.add_(new Scalar(o.eps()));
        Tensor adaptive = pow(bc2, new Scalar(0.5)).div(denom);
        Tensor update = where(rhoT.gt(new Scalar(StepScalars.RHO_THRESHOLD)), rect.mul(adaptive), new Scalar(1.0));
        Tensor scaled = lrT != null ? biasCorrected.mul(lrT) : biasCorrected.mul(new Scalar(o.lr()));
        param.add_(scaled.mul(update), new Scalar(-1.0));
    }

    /**
     * {@code t.mul_(s)} as Python computes it. Python binds {@code tensor.mul_(0.999)} to {@code mul_.Tensor} with
     * the float wrapped as a scalar tensor, which multiplies float16 in float; the C++ {@code mul_(Scalar)} that
     * Java reaches rounds float16 differently in libtorch 2.10 (its out-of-place {@code mul(Scalar)} agrees with
     * Python, checked on golden_cpu.json and on 100,000 random values). So float16 goes out of place and is
     * copied back. The foreach path needs no such step: Python calls {@code _foreach_mul_.Scalar} there too.
     */
    static Tensor mulInPlace(Tensor t, Scalar s) {
        if (Dtypes.of(t) == ScalarType.Half) {
            try (Tensor product = t.mul(s)) {
                return t.copy_(product);
            }
        }
        return t.mul_(s);
    }

    private static void stepOne(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor stepT,
            RAdamOptions o, Tensor lrT) {
        if (o.maximize()) {
            grad = grad.neg();
        }
        if (param.is_complex()) {
            param = view_as_real(param);
            grad = view_as_real(grad);
            expAvg = view_as_real(expAvg);
            expAvgSq = view_as_real(expAvgSq);
        }
        stepT.add_(new Scalar(1L));

        double wd = o.weightDecay();
        if (wd != 0) {
            if (o.decoupledWeightDecay()) {
                if (lrT != null) {
                    param.mul_(rsub(lrT.mul(new Scalar(wd)), new Scalar(1L)));
                } else {
                    mulInPlace(param, new Scalar(1 - o.lr() * wd));
                }
            } else {
                grad = grad.add(param, new Scalar(wd));
            }
        }

        expAvg.lerp_(grad, new Scalar(1 - o.beta1()));
        mulInPlace(expAvgSq, new Scalar(o.beta2())).addcmul_(grad, grad, new Scalar(1 - o.beta2()));

        if (o.capturable()) {
            updateCapturable(param, expAvg, expAvgSq, stepT, o, lrT);
            return;
        }
        StepScalars s = StepScalars.of(o.beta1(), o.beta2(), stepT.item_double());
        Tensor biasCorrected = expAvg.div(new Scalar(s.bc1()));
        Tensor scaled = lrT != null ? biasCorrected.mul(lrT) : biasCorrected.mul(new Scalar(o.lr()));
        if (s.rectified()) {
            Tensor denom = expAvgSq.sqrt();
            denom = o.differentiable() ? denom.add(new Scalar(o.eps())) : denom.add_(new Scalar(o.eps()));
            Tensor adaptive = denom.reciprocal().mul(new Scalar(s.sqrtBc2()));
            param.add_(scaled.mul(adaptive).mul(new Scalar(s.rect())), new Scalar(-1.0));
        } else {
            param.add_(scaled, new Scalar(-1.0));
        }
    }
}
