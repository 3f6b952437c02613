package org.radam4j.lr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.NativeScope;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;

/** Scheduler behaviour the Python recordings do not cover: tensor lrs, PyTorch 2.x's resume rule, errors. */
@ExtendWith(NativeScope.class)
class LRSchedulerTest {


    private static RAdam optimizer(Object lr) {
        Tensor p = torch.zeros(1);
        p.requires_grad_(true);
        ParamGroupSpec g = ParamGroupSpec.of(p);
        if (lr instanceof Tensor t) {
            g.lr(t);
        } else {
            g.lr((Double) lr);
        }
        return new RAdam(List.of(g), RAdamOptions.builder().build());
    }

    /** PyTorch fills a tensor lr in place; the tensor stays the same one (capturable steps read it). */
    @Test
    void aTensorLrIsFilledInPlaceForAHundredSteps() {
        Tensor lr = torch.full(new long[0], new Scalar(0.1), new TensorOptions(ScalarType.Double));
        long data = lr.data_ptr().address();
        RAdam withTensor = optimizer(lr);
        RAdam withDouble = optimizer(0.1);
        LRScheduler a = new CosineAnnealingLR(withTensor, 40, 0.001);
        LRScheduler b = new CosineAnnealingLR(withDouble, 40, 0.001);
        for (int i = 0; i < 100; i++) {
            a.step();
            b.step();
            Tensor now = withTensor.paramGroups().get(0).options().lrTensor();
            assertTrue(now == lr || (now != null && now.data_ptr().address() == data), "the same tensor at step " + i);
            assertEquals(withDouble.paramGroups().get(0).lr(), lr.item_double(), "step " + i);
        }
        assertEquals(data, withTensor.paramGroups().get(0).options().lrTensor().data_ptr().address());
    }

    /**
     * PyTorch 2.x changed the resume rule: a scheduler built with {@code last_epoch >= 0} no longer applies a step
     * in its constructor ({@code _is_initial}); 1.13 multiplied ExponentialLR's lr by gamma once more.
     */
    @Test
    void resumingDoesNotStepTheLrAheadAsPyTorch2Does() {
        RAdam opt = optimizer(0.1);
        opt.paramGroups().get(0).extras().put("initial_lr", 0.2);
        ExponentialLR s = new ExponentialLR(opt, 0.5, 5);
        assertEquals(0.1, opt.paramGroups().get(0).lr(), "PyTorch 2.x: unchanged (1.13: 0.05)");
        assertEquals(6, s.lastEpoch());
        s.step();
        assertEquals(0.05, opt.paramGroups().get(0).lr());
        assertEquals("param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with last_epoch >= 0.\n"
                + "This typically happens when:\n"
                + "1. You're trying to resume training from a checkpoint but haven't properly loaded the optimizer state\n"
                + "2. You're using last_epoch >= 0 for a fresh training run (not recommended)",
                assertThrows(IllegalArgumentException.class, () -> new StepLR(optimizer(0.1), 3, 0.5, 4)).getMessage());
    }

    @Test
    void badArgumentsGetPyTorchsMessages() {
        assertEquals("Constant multiplicative factor expected to be between 0 and 1.",
                assertThrows(IllegalArgumentException.class, () -> new ConstantLR(optimizer(0.1), 1.5, 3)).getMessage());
        assertEquals("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
                assertThrows(IllegalArgumentException.class, () -> new LinearLR(optimizer(0.1), 0, 1, 3)).getMessage());
        assertEquals("Factor should be < 1.0.", assertThrows(IllegalArgumentException.class,
                () -> ReduceLROnPlateau.builder(optimizer(0.1)).factor(1.0).build()).getMessage());
        assertEquals("You must define either total_steps OR (epochs AND steps_per_epoch)",
                assertThrows(IllegalArgumentException.class, () -> OneCycleLR.builder(optimizer(0.1), 0.1).build()).getMessage());
        assertEquals("mode is invalid and scale_fn is None", assertThrows(IllegalArgumentException.class,
                () -> CyclicLR.builder(optimizer(0.1), 0.01, 0.1).mode("sawtooth").build()).getMessage());
        RAdam opt = optimizer(0.1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SequentialLR(opt,
                List.of(new StepLR(opt, 3), new ExponentialLR(opt, 0.9)), List.of())).getMessage()
                .startsWith("Sequential Schedulers expects number of schedulers provided to be one more"));
    }

    /** Stepping OneCycleLR past total_steps fails before it changes anything (PyTorch raises after advancing). */
    @Test
    void oneCyclePastItsEndChangesNothing() {
        RAdam opt = optimizer(0.1);
        OneCycleLR s = OneCycleLR.builder(opt, 0.1).totalSteps(3).build();
        for (int i = 0; i < 3; i++) {
            s.step();
        }
        Map<String, Object> before = s.stateDict();
        double lr = opt.paramGroups().get(0).lr();
        assertEquals("Tried to step 4 times. The specified number of total steps is 3",
                assertThrows(IllegalArgumentException.class, s::step).getMessage());
        assertEquals(before, s.stateDict());
        assertEquals(lr, opt.paramGroups().get(0).lr());
    }

    /** A state dict value of the wrong type is refused with its key named, and nothing is loaded. */
    @Test
    void aBadStateDictChangesNothing() {
        RAdam opt = optimizer(0.1);
        SequentialLR s = new SequentialLR(opt, List.of(new LinearLR(opt, 0.1, 1.0, 5), new MultiStepLR(opt, List.of(3L, 6L))),
                List.of(5L));
        for (int i = 0; i < 7; i++) {
            s.step();
        }
        Map<String, Object> before = s.stateDict();
        Map<String, Object> bad = new LinkedHashMap<>(before);
        bad.put("last_epoch", 0L);
        @SuppressWarnings("unchecked")
        List<Object> children = new java.util.ArrayList<>((List<Object>) before.get("_schedulers"));
        @SuppressWarnings("unchecked")
        Map<String, Object> second = new LinkedHashMap<>((Map<String, Object>) children.get(1));
        second.put("gamma", "half");
        children.set(1, second);
        bad.put("_schedulers", children);
        String message = assertThrows(IllegalArgumentException.class, () -> s.loadStateDict(bad)).getMessage();
        assertTrue(message.startsWith("scheduler state_dict['gamma'] must be a number, but got "), message);
        assertEquals(before, s.stateDict());
        assertNotEquals(0L, s.lastEpoch());
    }

    /** A scheduler whose construction fails leaves the optimizer's groups as they were (lrs, betas, extras). */
    @Test
    void aRefusedSchedulerChangesNothing() {
        RAdam opt = optimizer(0.1);
        String before = opt.toString();
        assertThrows(IllegalArgumentException.class,
                () -> CyclicLR.builder(opt, 0.01, 0.5).cycleMomentum(true).maxMomentum(1.5).build());
        assertEquals(before, opt.toString());
        assertThrows(IllegalArgumentException.class,
                () -> OneCycleLR.builder(opt, 0.5).totalSteps(10).maxMomentum(1.5).build());
        assertEquals(before, opt.toString());
        opt.paramGroups().get(0).extras().put("initial_lr", "not a number");
        String withBadInitial = opt.toString();
        assertThrows(IllegalArgumentException.class, () -> new StepLR(opt, 3, 0.5, 4));
        assertEquals(withBadInitial, opt.toString());
    }
}
