package org.radam4j;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.scalar_tensor;
import static org.bytedeco.pytorch.global.torch.view_as_real;
import static org.bytedeco.pytorch.global.torch.where;
import static org.radam4j.ForeachOps.scalar;
import static org.radam4j.ForeachOps.scalars;
import static org.radam4j.ForeachOps.tensor;
import static org.radam4j.ForeachOps.tensors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The foreach path, PyTorch's {@code _multi_tensor_radam} (non-capturable), op for op through the
 * {@code aten::_foreach_*} operators: tensors grouped by (device, dtype) in order of first appearance, step
 * counts incremented together, the moments updated with one call per op, and the step applied as
 * {@code param += exp_avg * (1 / ((sqrt(v) + eps) / bc2_term) + unrect_step_size)} with the per-param scalars
 * from {@link StepScalars}. A tensor lr turns the per-param step sizes into 0-dim tensors, as in PyTorch.
 */
final class ForeachRAdam {

    private ForeachRAdam() {
    }

    static void step(GroupTensors t, RAdamOptions o) {
        try (PointerScope scope = new PointerScope()) {
            Tensor lr = StepScalars.lrTensor(o);
            for (List<Integer> idx : groupByDeviceAndDtype(t.params())) {
                stepGroup(pick(t.params(), idx), pick(t.grads(), idx), pick(t.expAvgs(), idx), pick(t.expAvgSqs(), idx),
                        pick(t.stateSteps(), idx), o, lr);
            }
        }
    }

    /** PyTorch's {@code _group_tensors_by_device_and_dtype}: indices per (device, dtype), in first-seen order. */
    static List<List<Integer>> groupByDeviceAndDtype(List<Tensor> params) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            groups.computeIfAbsent(Tensors.deviceName(p) + "/" + Dtypes.name(p), k -> new ArrayList<>()).add(i);
        }
        return new ArrayList<>(groups.values());
    }

    private static List<Tensor> pick(List<Tensor> all, List<Integer> idx) {
        List<Tensor> out = new ArrayList<>(idx.size());
        for (int i : idx) {
            out.add(all.get(i));
        }
        return out;
    }

    private static List<Tensor> asReal(List<Tensor> ts) {
        List<Tensor> out = new ArrayList<>(ts.size());
        for (Tensor t : ts) {
            out.add(t.is_complex() ? view_as_real(t) : t);
        }
        return out;
    }

    private static void stepGroup(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
            List<Tensor> steps, RAdamOptions o, Tensor lr) {
        IValue stepList = tensors(steps);
        if (Tensors.deviceType(steps.get(0)).equals("cpu")) {
            try (TensorOptions f32 = new TensorOptions(ScalarType.Float)) {
                ForeachOps.ADD_TENSOR_.call(stepList, tensor(scalar_tensor(new Scalar(1.0), f32)), scalar(1.0));
            }
        } else {
            ForeachOps.ADD_SCALAR_.call(stepList, scalar(1L));
        }
        IValue p = tensors(asReal(params));
        IValue g = tensors(asReal(grads));
        IValue m = tensors(asReal(expAvgs));
        IValue v = tensors(asReal(expAvgSqs));
        if (o.maximize()) {
            g = ForeachOps.NEG.callForList(g);
        }

        int n = params.size();
        List<Tensor> rhoT = null;
        StepScalars[] s = null;
        if (o.capturable()) {
            rhoT = capturableRhoT(steps, o.beta2());
        } else {
            s = new StepScalars[n];
            for (int i = 0; i < n; i++) {
                s[i] = StepScalars.of(o.beta1(), o.beta2(), steps.get(i).item_double());
            }
        }

        double wd = o.weightDecay();
        if (wd != 0) {
            if (o.decoupledWeightDecay()) {
                if (lr != null) {
                    ForeachOps.MUL_TENSOR_.call(p, tensor(StepScalars.decay(lr, new Scalar(wd), new Scalar(1L))));
                } else {
                    ForeachOps.MUL_SCALAR_.call(p, scalar(1 - o.lr() * wd));
                }
            } else if (o.maximize()) {
                ForeachOps.ADD_LIST_.call(g, p, scalar(wd));
            } else {
                g = ForeachOps.ADD_LIST.callForList(g, p, scalar(wd));
            }
        }

        ForeachOps.LERP_SCALAR_.call(m, g, scalar(1 - o.beta1()));
        ForeachOps.MUL_SCALAR_.call(v, scalar(o.beta2()));
        ForeachOps.ADDCMUL_SCALAR_.call(v, g, g, scalar(1 - o.beta2()));

        IValue buffer = ForeachOps.SQRT.callForList(v);
        ForeachOps.ADD_SCALAR_.call(buffer, scalar(o.eps()));
        if (o.capturable()) {
            List<List<Tensor>> sizes = capturableStepSizes(rhoT, steps, o, lr);
            ForeachOps.DIV_LIST_.call(buffer, tensors(sizes.get(0)));
            ForeachOps.RECIPROCAL_.call(buffer);
            ForeachOps.ADD_LIST_.call(buffer, tensors(sizes.get(1)), scalar(1L));
        } else if (lr != null) {
            List<Tensor> bc2Terms = new ArrayList<>(n);
            List<Tensor> unrect = new ArrayList<>(n);
            for (StepScalars si : s) {
                bc2Terms.add(lr.mul(new Scalar(si.rect())).div(new Scalar(si.bc1())).mul(new Scalar(si.sqrtBc2()))
                        .mul(new Scalar(-1L)));
                unrect.add(lr.mul(new Scalar(si.unrectified())).div(new Scalar(si.bc1())).mul(new Scalar(-1L)));
            }
            ForeachOps.DIV_LIST_.call(buffer, tensors(bc2Terms));
            ForeachOps.RECIPROCAL_.call(buffer);
            ForeachOps.ADD_LIST_.call(buffer, tensors(unrect), scalar(1L));
        } else {
            double lrValue = o.lr();
            double[] bc2Terms = new double[n];
            double[] unrect = new double[n];
            for (int i = 0; i < n; i++) {
                bc2Terms[i] = s[i].bc2Term(lrValue);
                unrect[i] = s[i].unrectStepSize(lrValue);
            }
            ForeachOps.DIV_SCALARLIST_.call(buffer, scalars(bc2Terms));
            ForeachOps.RECIPROCAL_.call(buffer);
            ForeachOps.ADD_SCALARLIST_.call(buffer, scalars(unrect));
        }
        ForeachOps.ADDCMUL_SCALAR_.call(p, m, buffer, scalar(1L));
    }

    /** {@code rho_t} per param as foreach tensor ops on the steps' device (PyTorch's capturable branch). */
    private static List<Tensor> capturableRhoT(List<Tensor> steps, double beta2) {
        double rhoInf = StepScalars.rhoInf(beta2);
        List<Tensor> oneMinusPow = pow(beta2, steps);
        ForeachOps.NEG_.call(tensors(oneMinusPow));
        ForeachOps.ADD_SCALAR_.call(tensors(oneMinusPow), scalar(1L));
        List<Tensor> rho = pow(beta2, steps);
        ForeachOps.MUL_LIST_.call(tensors(rho), tensors(steps));
        ForeachOps.MUL_SCALAR_.call(tensors(rho), scalar(2L));
        ForeachOps.DIV_LIST_.call(tensors(rho), tensors(oneMinusPow));
        ForeachOps.NEG_.call(tensors(rho));
        ForeachOps.ADD_SCALAR_.call(tensors(rho), scalar(rhoInf));
        return rho;
    }

    /**
     * PyTorch's capturable step sizes: {@code [bc2_term, unrect_step_size]} per param, with
     * {@code rect = where(rho_t > 5, sqrt(...), 0)} and {@code unrect = where(rect > 0, 0, 1)}.
     */
    private static List<List<Tensor>> capturableStepSizes(List<Tensor> rhoT, List<Tensor> steps, RAdamOptions o, Tensor lr) {
        double rhoInf = StepScalars.rhoInf(o.beta2());
        List<Tensor> num = ForeachOps.list(ForeachOps.SUB_SCALAR.callForTensors(tensors(rhoT), scalar(4L)));
        List<Tensor> sub2 = ForeachOps.list(ForeachOps.SUB_SCALAR.callForTensors(tensors(rhoT), scalar(2L)));
        ForeachOps.MUL_LIST_.call(tensors(num), tensors(sub2));
        ForeachOps.MUL_SCALAR_.call(tensors(num), scalar(rhoInf));
        List<Tensor> denom = ForeachOps.list(ForeachOps.MUL_SCALAR.callForTensors(tensors(rhoT),
                scalar((rhoInf - 4) * (rhoInf - 2))));
        ForeachOps.DIV_LIST_.call(tensors(num), tensors(denom));
        ForeachOps.SQRT_.call(tensors(num));

        List<Tensor> rect = new ArrayList<>(num.size());
        List<Tensor> unrect = new ArrayList<>(num.size());
        for (int i = 0; i < num.size(); i++) {
            Tensor r = where(rhoT.get(i).gt(new Scalar(StepScalars.RHO_THRESHOLD)), num.get(i), new Scalar(0.0));
            rect.add(r);
            unrect.add(where(r.gt(new Scalar(0L)), new Scalar(0.0), new Scalar(1.0)));
        }
        mulByLr(unrect, o, lr);
        List<Tensor> bc1 = pow(o.beta1(), steps);
        ForeachOps.NEG_.call(tensors(bc1));
        ForeachOps.ADD_SCALAR_.call(tensors(bc1), scalar(1L));
        ForeachOps.DIV_LIST_.call(tensors(unrect), tensors(bc1));
        ForeachOps.NEG_.call(tensors(unrect));

        List<Tensor> bc2 = pow(o.beta2(), steps);
        ForeachOps.NEG_.call(tensors(bc2));
        ForeachOps.ADD_SCALAR_.call(tensors(bc2), scalar(1L));
        ForeachOps.SQRT_.call(tensors(bc2));
        mulByLr(bc2, o, lr);
        ForeachOps.MUL_LIST_.call(tensors(bc2), tensors(rect));
        ForeachOps.NEG_.call(tensors(bc2));
        ForeachOps.DIV_LIST_.call(tensors(bc2), tensors(bc1));
        return List.of(bc2, unrect);
    }

    private static List<Tensor> pow(double base, List<Tensor> exponents) {
        return ForeachOps.list(ForeachOps.POW_SCALAR_AND_TENSOR.callForTensors(scalar(base), tensors(exponents)));
    }

    private static void mulByLr(List<Tensor> ts, RAdamOptions o, Tensor lr) {
        if (lr != null) {
            ForeachOps.MUL_TENSOR_.call(tensors(ts), tensor(lr));
        } else {
            ForeachOps.MUL_SCALAR_.call(tensors(ts), scalar(o.lr()));
        }
    }
}
