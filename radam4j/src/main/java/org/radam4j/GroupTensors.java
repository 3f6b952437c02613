package org.radam4j;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * The tensors of one param group that take part in a step (the params that have a gradient), lined up by
 * index as PyTorch's {@code _init_group} lines them up for its functional {@code radam(...)}, with each param's
 * {@link ParamFacts} and {@link ParamState} (for the fused path's cached view of it).
 */
record GroupTensors(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
        List<Tensor> stateSteps, List<ParamFacts> facts, List<ParamState> states) {

    /** The group's tensors with their facts read now and states made of the given tensors (tests, replays). */
    static GroupTensors of(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
            List<Tensor> stateSteps) {
        List<ParamFacts> facts = new ArrayList<>();
        List<ParamState> states = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            facts.add(ParamFacts.of(params.get(i)));
            states.add(new ParamState(stateSteps.get(i), expAvgs.get(i), expAvgSqs.get(i)));
        }
        return new GroupTensors(params, grads, expAvgs, expAvgSqs, stateSteps, facts, states);
    }

    int size() {
        return params.size();
    }
}
