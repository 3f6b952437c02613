package org.radam4j;

import static org.bytedeco.pytorch.global.torch.arange;
import static org.bytedeco.pytorch.global.torch.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.radam4j.internal.TensorRepr;

/**
 * What Python prints. Tensor and state strings were printed by PyTorch 1.13's {@code repr} (PyTorch 2.x formats
 * tensors the same way); the optimizer's adds the keys PyTorch 2.11's RAdam groups have and 1.13's lack.
 */
class ReprTest {

    private static Tensor t(double... v) {
        return t(ScalarType.Float, v);
    }

    private static Tensor t(ScalarType type, double... v) {
        try (DoublePointer data = new DoublePointer(v)) {
            return torch.from_blob(data, new long[] {v.length}, new TensorOptions(ScalarType.Double)).to(type).clone();
        }
    }

    @Test
    void tensorsPrintAsPythonPrintsThem() {
        assertEquals("tensor(3.)", TensorRepr.of(t(3).reshape(new long[0])));
        assertEquals("tensor(0.0010)", TensorRepr.of(t(0.001).reshape(new long[0])));
        assertEquals("tensor(1.0000e-05)", TensorRepr.of(t(1e-5).reshape(new long[0])));
        assertEquals("tensor([ 1.0000e-03,  2.0000e-01, -1.5000e+00])", TensorRepr.of(t(0.001, 0.2, -1.5)));
        assertEquals("tensor([ 1., -2., 30.])", TensorRepr.of(t(1, -2, 30)));
        assertEquals("tensor([1.0000e-05, 2.0000e+00, 3.0000e+02])", TensorRepr.of(t(1e-5, 2, 300)));
        assertEquals("tensor([0.5000, 0.2500], dtype=torch.float64)", TensorRepr.of(t(ScalarType.Double, 0.5, 0.25)));
        assertEquals("tensor([1.0000e+09, 1.0000e+00])", TensorRepr.of(t(1e9, 1)));
        assertEquals("tensor([   nan, 1.5000,    inf])", TensorRepr.of(t(Double.NaN, 1.5, Double.POSITIVE_INFINITY)));
        assertEquals("tensor([0., 0., 0.])", TensorRepr.of(zeros(3)));
        assertEquals("tensor([[0.0000, 0.1429, 0.2857, 0.4286],\n        [0.5714, 0.7143, 0.8571, 1.0000],\n"
                + "        [1.1429, 1.2857, 1.4286, 1.5714]])",
                TensorRepr.of(arange(new Scalar(12)).to(ScalarType.Float).reshape(3, 4).div(new Scalar(7))));
        assertEquals("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
                TensorRepr.of(arange(new Scalar(8)).to(ScalarType.Float).reshape(2, 2, 2)));
        assertEquals("tensor([ 1, 20, -3])", TensorRepr.of(t(ScalarType.Long, 1, 20, -3)));
        assertEquals("tensor([ True, False])", TensorRepr.of(t(ScalarType.Bool, 1, 0)));
        assertEquals("tensor([])", TensorRepr.of(zeros(0)));
        assertEquals("tensor([], size=(0, 3))", TensorRepr.of(zeros(0, 3)));
        assertEquals("tensor([1.0000, 2.5000], requires_grad=True)", TensorRepr.of(t(1, 2.5).requires_grad_(true)));
        assertEquals("tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
                + "        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
                + "        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n"
                + "        9.0000, 9.3333, 9.6667])",
                TensorRepr.of(arange(new Scalar(30)).to(ScalarType.Float).div(new Scalar(3))));
        assertEquals("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
                TensorRepr.of(arange(new Scalar(2000)).to(ScalarType.Float)));
        assertEquals("tensor([0.1001, 0.2002], dtype=torch.bfloat16)", TensorRepr.of(t(ScalarType.BFloat16, 0.1, 0.2)));
    }

    @Test
    void optimizerOptionsAndStatePrintAsInPython() {
        Tensor p = zeros(2).requires_grad_(true);
        RAdam opt = new RAdam(List.of(p), RAdamOptions.builder().lr(0.01).weightDecay(0.1).build());
        opt.addParamGroup(ParamGroupSpec.of(zeros(1).requires_grad_(true)).lr(0.5).set("name", "head"));
        assertEquals("RAdam (\nParameter Group 0\n    betas: (0.9, 0.999)\n    capturable: False\n"
                + "    decoupled_weight_decay: False\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n"
                + "    lr: 0.01\n    maximize: False\n    weight_decay: 0.1\n\nParameter Group 1\n    betas: (0.9, 0.999)\n"
                + "    capturable: False\n    decoupled_weight_decay: False\n    differentiable: False\n    eps: 1e-08\n"
                + "    foreach: None\n    lr: 0.5\n    maximize: False\n    name: head\n    weight_decay: 0.1\n)", opt.toString());
        assertEquals("{'lr': 0.01, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0.1, 'maximize': False, "
                + "'foreach': None, 'capturable': False, 'decoupled_weight_decay': False, 'differentiable': False}",
                opt.defaults().toString());
        p.mutable_grad().put(t(0.5, -1.0));
        opt.step();
        assertEquals("{'step': tensor(1.), 'exp_avg': tensor([ 0.0500, -0.1000]), 'exp_avg_sq': tensor([0.0003, 0.0010])}",
                opt.state(p).toString());
        opt.close();
        assertEquals("RAdam (closed)", opt.toString());
    }

    @Test
    void paramGroupsCannotBeRemovedAndSaySo() {
        RAdam opt = new RAdam(List.of(zeros(2).requires_grad_(true)), RAdamOptions.defaults());
        List<ParamGroup> groups = opt.paramGroups();
        for (Runnable change : List.<Runnable>of(() -> groups.remove(0), groups::clear, () -> groups.add(groups.get(0)),
                () -> groups.set(0, groups.get(0)), () -> groups.removeIf(g -> true))) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, change::run);
            assertTrue(e.getMessage().contains("addParamGroup"), e.getMessage());
        }
        assertEquals(1, groups.size());
        assertEquals(Map.of(), groups.get(0).extras());
    }
}
