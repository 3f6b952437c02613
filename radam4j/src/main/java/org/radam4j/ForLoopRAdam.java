package org.radam4j;

import org.radam4j.internal.Dtypes;

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
 * {@code docs/parity-notes.md} gives, with the scalars from {@link StepScalars}. Bit-for-bit with PyTorch
 * on the CPU. Every temporary of a param's update lives in a {@link PointerScope} closed before the next param.
 * Outside {@code differentiable} mode the update reuses its two temporaries in place (the same kernels, so the
 * same bits; float16 and bfloat16 excepted, see {@link #mulInPlace}), which halves the memory traffic of large
 * params.
 */
final class ForLoopRAdam {

    private ForLoopRAdam() {
    }

    static void step(GroupTensors t, RAdamOptions o) {
        try (PointerScope group = new PointerScope()) {
            Tensor lr = StepScalars.lrTensor(o);
            Consts c = new Consts(o);
            for (int i = 0; i < t.size(); i++) {
                Tensor stepT = t.stateSteps().get(i);
                try (PointerScope scope = new PointerScope()) {
                    stepT.add_(c.one);
                }
                StepScalars s = o.capturable() ? null : c.at(stepT.item_double(), o);
                try (PointerScope scope = new PointerScope()) {
                    stepOne(t.params().get(i), t.grads().get(i), t.expAvgs().get(i), t.expAvgSqs().get(i), stepT, o, lr,
                            c, s);
                }
            }
        }
    }

    /**
     * The Scalars a group's step uses, made once per group rather than per op and param; the per-step ones are
     * kept for the last step count seen (params of a group usually share it).
     */
    private static final class Consts {
        final Scalar one = new Scalar(1L);
        final Scalar minusOne = new Scalar(-1.0);
        final Scalar oneMinusBeta1;
        final Scalar beta2;
        final Scalar oneMinusBeta2;
        final Scalar eps;
        final Scalar lr;
        final Scalar decay;
        final Scalar weightDecay;
        double step = Double.NaN;
        StepScalars scalars;
        Scalar bc1;
        Scalar sqrtBc2;
        Scalar rect;

        Consts(RAdamOptions o) {
            oneMinusBeta1 = new Scalar(1 - o.beta1());
            beta2 = new Scalar(o.beta2());
            oneMinusBeta2 = new Scalar(1 - o.beta2());
            eps = new Scalar(o.eps());
            lr = o.lrIsTensor() ? null : new Scalar(o.lr());
            decay = o.lrIsTensor() ? null : new Scalar(StepScalars.decayFactor(o));
            weightDecay = new Scalar(o.weightDecay());
        }

        StepScalars at(double step, RAdamOptions o) {
            if (step != this.step) {
                this.step = step;
                scalars = StepScalars.of(o.beta1(), o.beta2(), step);
                bc1 = new Scalar(scalars.bc1());
                sqrtBc2 = new Scalar(scalars.sqrtBc2());
                rect = new Scalar(scalars.rect());
            }
            return scalars;
        }
    }

    /** The decoupled decay factor for a tensor lr, as {@link StepScalars#decayFactor} computes it. */
    private static Tensor decay(Tensor lr, Scalar weightDecay, Scalar one) {
        return StepScalars.decay(lr, weightDecay, one);
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
        double rhoInf = StepScalars.rhoInf(o.beta2());
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
     * the float wrapped as a scalar tensor, which multiplies float16 and bfloat16 in float; the C++
     * {@code mul_(Scalar)} that Java reaches rounds both differently in libtorch 2.10 in its vectorised loop
     * (about one value in five of a 100,000-element bfloat16 tensor; its out-of-place {@code mul(Scalar)} agrees
     * with Python, checked on golden_cpu.json and on 100,000 random values). So they go out of place and are
     * copied back. The foreach path needs no such step: Python calls {@code _foreach_mul_.Scalar} there too.
     */
    static Tensor mulInPlace(Tensor t, Scalar s) {
        if (reduced(t)) {
            try (Tensor product = t.mul(s)) {
                return t.copy_(product);
            }
        }
        return t.mul_(s);
    }

    /** bfloat16 and float16, whose in-place {@code mul_(Scalar)} libtorch 2.10 rounds unlike Python's {@code mul_}. */
    private static boolean reduced(Tensor t) {
        ScalarType d = Dtypes.of(t);
        return d == ScalarType.Half || d == ScalarType.BFloat16;
    }

    private static void stepOne(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor stepT,
            RAdamOptions o, Tensor lrT, Consts c, StepScalars s) {
        boolean ownGrad = false;
        if (o.maximize()) {
            grad = grad.neg();
            ownGrad = true;
        }
        if (param.is_complex()) {
            param = view_as_real(param);
            grad = view_as_real(grad);
            expAvg = view_as_real(expAvg);
            expAvgSq = view_as_real(expAvgSq);
        }
        double wd = o.weightDecay();
        if (wd != 0) {
            if (o.decoupledWeightDecay()) {
                if (lrT != null) {
                    param.mul_(decay(lrT, c.weightDecay, c.one));
                } else {
                    mulInPlace(param, c.decay);
                }
            } else if (ownGrad && !o.differentiable()) {
                grad.add_(param, c.weightDecay);
            } else {
                grad = grad.add(param, c.weightDecay);
            }
        }

        expAvg.lerp_(grad, c.oneMinusBeta1);
        mulInPlace(expAvgSq, c.beta2).addcmul_(grad, grad, c.oneMinusBeta2);

        if (o.capturable()) {
            updateCapturable(param, expAvg, expAvgSq, stepT, o, lrT);
            return;
        }
        if (!o.differentiable() && !reduced(param)) {
            Tensor update = expAvg.div(c.bc1);
            if (lrT != null) {
                update.mul_(lrT);
            } else {
                update.mul_(c.lr);
            }
            if (s.rectified()) {
                Tensor adaptive = expAvgSq.sqrt();
                adaptive.add_(c.eps).reciprocal_().mul_(c.sqrtBc2);
                update.mul_(adaptive).mul_(c.rect);
            }
            param.add_(update, c.minusOne);
            return;
        }
        Tensor biasCorrected = expAvg.div(c.bc1);
        Tensor scaled = lrT != null ? biasCorrected.mul(lrT) : biasCorrected.mul(c.lr);
        if (s.rectified()) {
            Tensor denom = expAvgSq.sqrt();
            denom = o.differentiable() ? denom.add(c.eps) : denom.add_(c.eps);
            Tensor adaptive = denom.reciprocal().mul(c.sqrtBc2);
            param.add_(scaled.mul(adaptive).mul(c.rect), c.minusOne);
        } else {
            param.add_(scaled, c.minusOne);
        }
    }
}
