package org.radam4j;

import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.bytedeco.pytorch.global.torch.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** A zero-element param next to others: the fused path steps like the for-loop (it crashed half-way before). */
class FusedEmptyParamTest {

    private static List<Tensor> run(boolean fused) {
        manual_seed(7);
        Tensor w = randn(3).requires_grad_(true);
        Tensor e = zeros(0).requires_grad_(true);
        RAdam opt = new RAdam(List.of(w, e), RAdamOptions.builder().fused(fused).weightDecay(0.1).build());
        for (int i = 0; i < 8; i++) {
            w.mutable_grad().put(randn(3));
            e.mutable_grad().put(zeros(0));
            opt.step();
        }
        assertEquals(8.0, opt.state(w).step().item_double());
        assertEquals(8.0, opt.state(e).step().item_double());
        return List.of(w.detach().clone(), opt.state(w).expAvg().clone(), opt.state(w).expAvgSq().clone());
    }

    @Test
    void emptyParamsStepLikeTheForLoop() {
        List<Tensor> fused = run(true);
        List<Tensor> forLoop = run(false);
        for (int i = 0; i < fused.size(); i++) {
            assertTrue(fused.get(i).equal(forLoop.get(i)), "tensor " + i);
        }
    }
}
