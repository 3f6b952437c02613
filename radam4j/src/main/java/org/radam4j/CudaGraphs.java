package org.radam4j;

import java.util.List;
import java.util.logging.Logger;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * PyTorch's {@code Optimizer._cuda_graph_capture_health_check}: a step captured into a CUDA graph needs every
 * group capturable; a capturable optimizer stepping outside a capture gets a one-time warning. Without CUDA
 * (the CPU build of the presets) both checks are skipped, as in PyTorch.
 */
final class CudaGraphs {

    private static final Logger LOG = Logger.getLogger(RAdam.class.getName());

    static final String NOT_CAPTURABLE = "Attempting CUDA graph capture of step() for an instance of RAdam but "
            + "param_groups' capturable is False.";
    static final String CAPTURABLE_UNCAPTURED = "This instance was constructed with capturable=True or some of all the "
            + "param_groups came with capturable=True, but step() is running without CUDA graph capture. If you never "
            + "intend to graph-capture this instance, capturable=True can impair performance, and you should set "
            + "capturable=False.";

    private static final boolean CUDA = cudaAvailable();

    private CudaGraphs() {
    }

    private static boolean cudaAvailable() {
        try {
            return torch.cuda_is_available();
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * @return whether the one-time warning was given now
     * @throws IllegalStateException when a capture is under way and a group is not capturable
     */
    static boolean check(List<ParamGroup> groups, boolean warnedBefore) {
        if (!CUDA) {
            return false;
        }
        boolean capturing = torch_cuda.currentStreamCaptureStatusMayInitCtx() != 0;
        boolean allCapturable = groups.stream().allMatch(g -> g.options().capturable());
        if (capturing && !allCapturable) {
            throw new IllegalStateException(NOT_CAPTURABLE);
        }
        if (!warnedBefore && allCapturable && !capturing) {
            LOG.warning(CAPTURABLE_UNCAPTURED);
            return true;
        }
        return false;
    }
}
