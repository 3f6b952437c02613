package org.radam4j;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * The tensors of one param group that take part in a step (the params that have a gradient), lined up by
 * index as PyTorch's {@code _init_group} lines them up for its functional {@code radam(...)}.
 */
record GroupTensors(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
        List<Tensor> stateSteps) {

    int size() {
        return params.size();
    }
}
