package org.radam4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRef;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.Handles;
import org.radam4j.internal.LibtorchErrors;

/**
 * PyTorch 2.x's gradient clipping ({@code torch.nn.utils}): {@link #clipGradNorm} ({@code clip_grad_norm_}),
 * {@link #getTotalNorm} ({@code get_total_norm}), {@link #clipGradsWithNorm} ({@code clip_grads_with_norm_}) and
 * {@link #clipGradValue} ({@code clip_grad_value_}), op for op: tensors grouped by device and dtype in order of
 * first appearance, each group's norms through {@code aten::_foreach_norm} (foreach, PyTorch's default on the
 * CPU and CUDA) or {@code linalg.vector_norm} per tensor, the total norm returned as a 0-dim tensor without a host
 * synchronisation (unless {@code errorIfNonfinite}), and the clip coefficient {@code clamp(max_norm /
 * (total_norm + 1e-6), max=1)} applied in place. Params without a gradient are skipped.
 *
 * <p>Errors as PyTorch's: {@code RuntimeError} becomes {@link IllegalStateException}. Where PyTorch 2.x groups
 * by device and dtype in the order its C++ helper returns, this uses first appearance; the norms of several
 * dtypes may then be summed in another order (a last-bit difference at most).
 */
public final class ClipGrad {

    private static final ForeachOps.Op NORM = ForeachOps.op("aten::_foreach_norm", "Scalar");
    private static final ForeachOps.Op CLAMP_MIN_ = ForeachOps.op("aten::_foreach_clamp_min_", "Scalar");
    private static final ForeachOps.Op CLAMP_MAX_ = ForeachOps.op("aten::_foreach_clamp_max_", "Scalar");
    private static final List<String> FOREACH_DEVICES = List.of("cpu", "cuda", "xpu", "mtia", "privateuseone");

    static {
        Libtorch.load();
    }

    private ClipGrad() {
    }

    /**
     * {@code clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)}: the total norm of the
     * params' gradients, as one vector, and the gradients scaled in place so that it is at most {@code maxNorm}.
     *
     * @param normType {@code 2.0}, {@code 1.0}, {@code Double.POSITIVE_INFINITY} or any p
     * @param foreach {@code null}: as PyTorch chooses (foreach where the device supports it)
     * @return the total norm (before clipping), a new 0-dim tensor, handed over as a presets op's result is: freed
     *     when the caller's innermost {@code PointerScope} closes, or the caller's to close where there is none
     * @throws IllegalStateException PyTorch's {@code The total norm of order ... is non-finite} with
     *     {@code errorIfNonfinite}, or {@code foreach=True was passed, but can't use the foreach API on ... tensors}
     */
    public static Tensor clipGradNorm(Iterable<? extends Tensor> params, double maxNorm, double normType,
            boolean errorIfNonfinite, Boolean foreach) {
        List<Tensor> ps = list(params);
        Tensor total;
        try (PointerScope scope = new PointerScope()) {
            total = totalNorm(grads(ps), normType, errorIfNonfinite, foreach);
            try {
                clipGradsWithNorm(ps, maxNorm, total, foreach);
            } catch (RuntimeException e) {
                total.close();
                throw e;
            }
        }
        return Handles.handOver(total);
    }

    /** {@code clip_grad_norm_(param, ...)} on one tensor, as PyTorch accepts one in place of an iterable. */
    public static Tensor clipGradNorm(Tensor param, double maxNorm, double normType, boolean errorIfNonfinite,
            Boolean foreach) {
        return clipGradNorm(List.of(param), maxNorm, normType, errorIfNonfinite, foreach);
    }

    /** {@link #clipGradNorm} with PyTorch's defaults: the 2-norm, no error on a non-finite norm, foreach chosen. */
    public static Tensor clipGradNorm(Iterable<? extends Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2.0, false, null);
    }

    /**
     * {@code get_total_norm(tensors, norm_type, error_if_nonfinite, foreach)}: the norm of the tensors' norms (the
     * tensors themselves, not their gradients); {@code tensor(0.)} for none. Handed over as {@link #clipGradNorm}'s.
     */
    public static Tensor getTotalNorm(List<? extends Tensor> tensors, double normType, boolean errorIfNonfinite,
            Boolean foreach) {
        return Handles.handOver(totalNorm(tensors, normType, errorIfNonfinite, foreach));
    }

    /** {@link #getTotalNorm}'s tensor, retained past the caller's scopes: the caller owns it. */
    private static Tensor totalNorm(List<? extends Tensor> tensors, double normType, boolean errorIfNonfinite,
            Boolean foreach) {
        Tensor total;
        try (PointerScope scope = new PointerScope()) {
            if (tensors.isEmpty()) {
                return kept(torch.scalar_tensor(new Scalar(0.0)));
            }
            Scalar ord = new Scalar(normType);
            List<Tensor> norms = new ArrayList<>();
            for (List<Tensor> group : byDeviceAndDtype(tensors)) {
                if (useForeach(group, foreach)) {
                    norms.addAll(ForeachOps.list(NORM.callForTensors(ForeachOps.tensors(group), new IValue(ord), new IValue())));
                } else {
                    for (Tensor t : group) {
                        norms.add(torch.linalg_vector_norm(t, ord, new long[0], false, new ScalarTypeOptional()));
                    }
                }
            }
            Device first = tensors.get(0).device();
            Tensor[] onFirst = new Tensor[norms.size()];
            for (int i = 0; i < onFirst.length; i++) {
                onFirst[i] = norms.get(i).to(first, Dtypes.of(norms.get(i)));
            }
            Tensor stacked = torch.stack(new TensorArrayRef(new TensorVector(onFirst)), 0);
            total = torch.linalg_vector_norm(stacked, ord, new long[0], false, new ScalarTypeOptional());
            if (errorIfNonfinite && torch.logical_or(total.isnan(), total.isinf()).item_bool()) {
                throw new IllegalStateException("The total norm of order " + org.radam4j.internal.PyRepr.of(normType)
                        + " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this "
                        + "error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
            }
            return kept(total);
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
    }

    /** {@code get_total_norm(tensor, ...)} on one tensor. */
    public static Tensor getTotalNorm(Tensor tensor, double normType, boolean errorIfNonfinite, Boolean foreach) {
        return getTotalNorm(List.of(tensor), normType, errorIfNonfinite, foreach);
    }

    /** {@code t}, kept past the enclosing scope's close: the caller owns it and frees it with {@code close()}. */
    private static Tensor kept(Tensor t) {
        t.retainReference();
        return t;
    }

    /**
     * {@code clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)}: each gradient times
     * {@code clamp(max_norm / (total_norm + 1e-6), max=1.0)}, in place.
     */
    public static void clipGradsWithNorm(Iterable<? extends Tensor> params, double maxNorm, Tensor totalNorm,
            Boolean foreach) {
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> grads = grads(list(params));
            if (grads.isEmpty()) {
                return;
            }
            Tensor coef = totalNorm.add(new Scalar(1e-6)).reciprocal().mul(new Scalar(maxNorm));
            Tensor clamped = torch.clamp(coef, new ScalarOptional(), new ScalarOptional(new Scalar(1.0)));
            for (List<Tensor> group : byDeviceAndDtype(grads)) {
                Tensor c = clamped.to(group.get(0).device(), Dtypes.of(clamped));
                if (useForeach(group, foreach)) {
                    ForeachOps.MUL_TENSOR_.call(ForeachOps.tensors(group), ForeachOps.tensor(c));
                } else {
                    for (Tensor g : group) {
                        g.mul_(c);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
    }

    /** {@code clip_grads_with_norm_(param, ...)} on one tensor. */
    public static void clipGradsWithNorm(Tensor param, double maxNorm, Tensor totalNorm, Boolean foreach) {
        clipGradsWithNorm(List.of(param), maxNorm, totalNorm, foreach);
    }

    /** {@code clip_grad_value_(param, ...)} on one tensor. */
    public static void clipGradValue(Tensor param, double clipValue, Boolean foreach) {
        clipGradValue(List.of(param), clipValue, foreach);
    }

    /** {@code clip_grad_value_(parameters, clip_value, foreach)}: each gradient clamped to {@code [-v, v]} in place. */
    public static void clipGradValue(Iterable<? extends Tensor> params, double clipValue, Boolean foreach) {
        try (PointerScope scope = new PointerScope()) {
            for (List<Tensor> group : byDeviceAndDtype(grads(list(params)))) {
                if (useForeach(group, foreach)) {
                    CLAMP_MIN_.call(ForeachOps.tensors(group), ForeachOps.scalar(-clipValue));
                    CLAMP_MAX_.call(ForeachOps.tensors(group), ForeachOps.scalar(clipValue));
                } else {
                    for (Tensor g : group) {
                        g.clamp_(new ScalarOptional(new Scalar(-clipValue)), new ScalarOptional(new Scalar(clipValue)));
                    }
                }
            }
        } catch (RuntimeException e) {
            throw LibtorchErrors.translate(e);
        }
    }

    private static boolean useForeach(List<Tensor> group, Boolean foreach) {
        String device = Tensors.deviceType(group.get(0));
        boolean supported = FOREACH_DEVICES.contains(device);
        if (Boolean.TRUE.equals(foreach) && !supported) {
            throw new IllegalStateException("foreach=True was passed, but can't use the foreach API on " + device + " tensors");
        }
        return foreach == null ? supported : foreach;
    }

    private static List<Tensor> list(Iterable<? extends Tensor> params) {
        List<Tensor> out = new ArrayList<>();
        params.forEach(out::add);
        return out;
    }

    private static List<Tensor> grads(List<Tensor> params) {
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            Tensor g = Tensors.gradOf(p);
            if (g != null) {
                grads.add(g);
            }
        }
        return grads;
    }

    /** PyTorch's {@code _group_tensors_by_device_and_dtype}, in order of first appearance. */
    private static List<List<Tensor>> byDeviceAndDtype(List<? extends Tensor> tensors) {
        Map<String, List<Tensor>> groups = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            groups.computeIfAbsent(Tensors.deviceName(t) + "/" + Dtypes.name(t), k -> new ArrayList<>()).add(t);
        }
        return new ArrayList<>(groups.values());
    }
}
