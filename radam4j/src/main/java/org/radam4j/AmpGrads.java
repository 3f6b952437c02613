package org.radam4j;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.FusedKernel;

/**
 * {@link GradScaler}'s passes over an optimizer's gradients: the unscale (libtorch's
 * {@code _amp_foreach_non_finite_check_and_unscale_}, per device and dtype) and the inf check of the fused route
 * (the fused kernel's read-only scan where it can read the gradient, the unscale op by 1 elsewhere).
 */
final class AmpGrads {

    private static final ForeachOps.Op UNSCALE = ForeachOps.op("aten::_amp_foreach_non_finite_check_and_unscale_", "");

    private AmpGrads() {
    }

    /** The optimizer's gradients, in group order; PyTorch's refusals of float16 (unless allowed) and sparse ones. */
    static List<Tensor> gradsOf(RAdam optimizer, boolean allowFp16) {
        List<Tensor> grads = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) {
            for (Tensor p : g.params()) {
                Tensor grad = Tensors.gradOf(p);
                if (grad == null) {
                    continue;
                }
                if (!allowFp16 && Dtypes.of(grad) == ScalarType.Half) {
                    throw new IllegalArgumentException("Attempting to unscale FP16 gradients.");
                }
                if (grad.is_sparse()) {
                    throw new IllegalArgumentException("GradScaler cannot unscale a sparse gradient");
                }
                grads.add(grad);
            }
        }
        return grads;
    }

    /**
     * PyTorch's {@code _unscale_grads_}: per device and dtype, {@code _amp_foreach_non_finite_check_and_unscale_}
     * over {@code grads} with {@code invScale}; the found-inf flag of each device, kept.
     */
    static Map<String, Tensor> unscaleGrads(List<Tensor> grads, Tensor invScale) {
        Map<String, Map<ScalarType, List<Tensor>>> byDevice = new LinkedHashMap<>();
        Map<String, Tensor> kept = new LinkedHashMap<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (Tensor grad : grads) {
                byDevice.computeIfAbsent(Tensors.deviceName(grad), k -> new LinkedHashMap<>())
                        .computeIfAbsent(Dtypes.of(grad), k -> new ArrayList<>()).add(grad);
            }
            for (Map.Entry<String, Map<ScalarType, List<Tensor>>> d : byDevice.entrySet()) {
                Device dev = new Device(d.getKey());
                Tensor found = torch.zeros(new long[0], new TensorOptions(ScalarType.Float).device(
                        new org.bytedeco.pytorch.DeviceOptional(dev)));
                Tensor inv = invScale.to(dev, ScalarType.Float);
                for (List<Tensor> sameDtype : d.getValue().values()) {
                    UNSCALE.call(ForeachOps.tensors(sameDtype), ForeachOps.tensor(found), ForeachOps.tensor(inv));
                }
                kept.put(d.getKey(), Tensors.keep(found));
            }
        }
        return kept;
    }

    /**
     * Unscales {@code grads} in place as {@link GradScaler#unscale} does, for the params a fused GradScaler step hands to the
     * for-loop (the kernel unscales the others as it reads them).
     */
    static void unscaleInPlace(List<Tensor> grads, double invScale) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Map<String, List<Tensor>> groups = new LinkedHashMap<>();
            for (Tensor g : grads) {
                groups.computeIfAbsent(Tensors.deviceName(g) + "/" + Dtypes.name(g), k -> new ArrayList<>()).add(g);
            }
            for (List<Tensor> group : groups.values()) {
                TensorOptions f32 = new TensorOptions(ScalarType.Float).device(
                        new org.bytedeco.pytorch.DeviceOptional(group.get(0).device()));
                Tensor found = torch.zeros(new long[0], f32);
                Tensor inv = torch.full(new long[0], new Scalar(invScale), f32);
                UNSCALE.call(ForeachOps.tensors(group), ForeachOps.tensor(found), ForeachOps.tensor(inv));
            }
        }
    }

    /**
     * What {@link #checkNonFinite} found: the found-inf flag per device (kept tensors), and the kernel dtype codes
     * whose gradients are all exactly unscaled by the inverse scale ({@link FusedKernel#SCAN_EXACT}).
     */
    record Check(Map<String, Tensor> foundInfPerDevice, Set<Integer> exactDtypes) {
    }

    /**
     * PyTorch's {@code _check_inf_per_device}: whether a gradient is inf or NaN, per device. Contiguous CPU
     * gradients of the kernel's dtypes are read once by the fused kernel's scan, which also says per dtype whether
     * multiplying them by {@code invScale} needs no rounding; any other goes through the unscale op with an inverse
     * scale of 1 (which leaves it unchanged).
     */
    static Check checkNonFinite(RAdam optimizer, float invScale) {
        Map<Integer, List<Tensor>> byCode = new LinkedHashMap<>();
        List<Tensor> others = new ArrayList<>();
        for (Tensor grad : gradsOf(optimizer, true)) {
            Integer code = kernelCode(grad);
            if (code != null) {
                byCode.computeIfAbsent(code, k -> new ArrayList<>()).add(grad);
            } else {
                others.add(grad);
            }
        }
        boolean found = false;
        Set<Integer> exact = new HashSet<>();
        int threads = torch.get_num_threads();
        for (Map.Entry<Integer, List<Tensor>> e : byCode.entrySet()) {
            List<Tensor> grads = e.getValue();
            long[] addresses = new long[grads.size()];
            long[] numels = new long[grads.size()];
            for (int i = 0; i < addresses.length; i++) {
                Tensor gr = grads.get(i);
                numels[i] = gr.numel() * (gr.is_complex() ? 2 : 1);
                addresses[i] = numels[i] == 0 ? 0 : gr.data_ptr().address();
            }
            int scan = FusedKernel.scan(e.getKey(), addresses, numels, threads, invScale);
            found |= scan == FusedKernel.SCAN_NON_FINITE;
            if (scan == FusedKernel.SCAN_EXACT) {
                exact.add(e.getKey());
            }
        }
        Map<String, Tensor> perDevice = new LinkedHashMap<>();
        if (!byCode.isEmpty()) {
            perDevice.put("cpu", Tensors.keep(torch.full(new long[0], new Scalar(found ? 1.0 : 0.0),
                    new TensorOptions(ScalarType.Float))));
        }
        if (!others.isEmpty()) {
            Tensor one = torch.full(new long[0], new Scalar(1.0), new TensorOptions(ScalarType.Float));
            for (Map.Entry<String, Tensor> e : unscaleGrads(others, one).entrySet()) {
                Tensor before = perDevice.get(e.getKey());
                if (before != null) {
                    before.add_(e.getValue());
                } else {
                    perDevice.put(e.getKey(), e.getValue());
                }
            }
        }
        return new Check(perDevice, exact);
    }

    /** The fused kernel's dtype code of a contiguous CPU gradient it can read, or null. */
    private static Integer kernelCode(Tensor grad) {
        if (!grad.is_cpu() || !grad.is_contiguous() || grad.is_sparse()) {
            return null;
        }
        int code = FusedKernel.dtypeCode(Dtypes.of(grad));
        return code < 0 ? null : code;
    }
}
