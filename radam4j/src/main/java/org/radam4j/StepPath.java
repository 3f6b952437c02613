package org.radam4j;

import org.radam4j.internal.FusedKernel;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * Which of RAdam's functional cores runs a group's step, and the checks PyTorch's {@code radam(...)} makes
 * before it runs one, with PyTorch's messages.
 */
final class StepPath {

    /** The implementations of a group's step. */
    enum Kind { FORLOOP, FOREACH, FUSED }

    /** Devices PyTorch's capturable for-loop accepts (its foreach path drops {@code xla}). */
    static final List<String> CAPTURABLE_DEVICES = List.of("cuda", "xpu", "hpu", "privateuseone", "xla");

    private StepPath() {
    }

    /**
     * PyTorch's {@code _default_to_fused_or_foreach}: foreach when asked, or, when {@code foreach} is null, only
     * if every param is a dense CUDA tensor and the group is not differentiable.
     */
    static Kind choose(RAdamOptions o, List<Tensor> params) {
        if (o.fused()) {
            return Kind.FUSED;
        }
        if (o.foreach() != null) {
            return o.foreach() ? Kind.FOREACH : Kind.FORLOOP;
        }
        if (o.differentiable()) {
            return Kind.FORLOOP;
        }
        for (Tensor p : params) {
            if (!Tensors.deviceType(p).equals("cuda") || p.is_sparse()) {
                return Kind.FORLOOP;
            }
        }
        return Kind.FOREACH;
    }

    /**
     * The assertions of {@code _single_tensor_radam} / {@code _multi_tensor_radam}, before any tensor changes.
     * ({@code _foreach ops don't support autograd} is refused earlier, by {@link RAdamOptions.Builder#build()}.)
     */
    static void check(Kind kind, RAdamOptions o, List<Tensor> params) {
        List<String> supported = kind == Kind.FOREACH ? CAPTURABLE_DEVICES.subList(0, 4) : CAPTURABLE_DEVICES;
        if (kind == Kind.FUSED && FusedKernel.unavailableReason() != null) {
            throw new IllegalStateException(FusedKernel.unavailableReason());
        }
        if (o.capturable()) {
            for (Tensor p : params) {
                if (!supported.contains(Tensors.deviceType(p))) {
                    throw new IllegalStateException("If capturable=True, params and state_steps must be on supported devices: "
                            + pyList(supported) + ".");
                }
            }
        }
    }

    static Core of(Kind kind) {
        return switch (kind) {
            case FORLOOP -> ForLoopRAdam::step;
            case FOREACH -> ForeachRAdam::step;
            case FUSED -> FusedRAdam::step;
        };
    }

    /** A functional core: one group's step over its lined-up tensors. */
    @FunctionalInterface
    interface Core {
        void step(GroupTensors tensors, RAdamOptions options);
    }

    private static String pyList(List<String> items) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            s.append(i > 0 ? ", " : "").append('\'').append(items.get(i)).append('\'');
        }
        return s.append(']').toString();
    }
}
