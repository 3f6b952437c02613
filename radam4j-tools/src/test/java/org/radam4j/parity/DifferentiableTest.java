package org.radam4j.parity;

import org.radam4j.internal.Dtypes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.radam4j.parity.TensorCodec;

import com.fasterxml.jackson.databind.JsonNode;
import org.radam4j.RAdamOptions;
import org.radam4j.RAdam;

/**
 * {@code differentiable=true}: autograd through 8 RAdam steps, checked against PyTorch's recorded gradients
 * (golden_differentiable.json) and against central finite differences in float64.
 */
class DifferentiableTest {

    /** What one run of a golden differentiable case gives: p after 8 steps, the loss, and the gradients. */
    record Run(Tensor fin, double loss, Tensor gradInit, Tensor gradLr) {
    }

    static Run run(JsonNode c, Tensor init, double lrValue, boolean differentiable) {
        Tensor p0 = init.clone();
        p0.requires_grad_(differentiable);
        Tensor p = p0.clone();
        boolean lrTensor = c.get("lr_is_tensor").asBoolean();
        Tensor lr = null;
        RAdamOptions.Builder b = RAdamOptions.builder().weightDecay(c.get("weight_decay").asDouble())
                .decoupledWeightDecay(c.get("decoupled_weight_decay").asBoolean()).differentiable(differentiable);
        if (lrTensor) {
            lr = TensorCodec.decode(lrNode(c, lrValue));
            lr.requires_grad_(differentiable);
            b.lr(lr);
        } else {
            b.lr(lrValue);
        }
        RAdam opt = new RAdam(differentiable ? List.of(p) : List.of(p0), b.build());
        Tensor target = differentiable ? p : p0;
        for (JsonNode g : c.get("grads")) {
            target.mutable_grad().put(TensorCodec.decode(g));
            opt.step();
        }
        Tensor loss = target.mul(target).sum();
        if (differentiable) {
            loss.backward();
        }
        return new Run(target, loss.item_double(), differentiable ? p0.grad() : null, lr != null && differentiable ? lr.grad() : null);
    }

    private static JsonNode lrNode(JsonNode c, double lr) {
        com.fasterxml.jackson.databind.node.ObjectNode n = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        String dtype = c.get("dtype").asText();
        n.put("dtype", dtype);
        n.putArray("shape");
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(dtype.equals("float64") ? 8 : 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (dtype.equals("float64")) {
            bb.putDouble(lr);
        } else {
            bb.putFloat((float) lr);
        }
        n.put("b64", java.util.Base64.getEncoder().encodeToString(bb.array()));
        return n;
    }

    static double[] values(Tensor t) {
        return TensorCodec.values(Dtypes.of(t), TensorCodec.bytes(t.detach()));
    }

    static void assertClose(double[] expected, double[] actual, double rtol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double tol = rtol * Math.max(1e-3, Math.abs(expected[i]));
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                    what + "[" + i + "]: expected " + expected[i] + " but got " + actual[i]);
        }
    }

    @TestFactory
    Stream<DynamicTest> gradientsMatchPyTorch() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Golden.differentiable().get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                try (PointerScope scope = new PointerScope()) {
                    Run r = run(c, TensorCodec.decode(c.get("init")), c.get("lr").asDouble(), true);
                    boolean f64 = c.get("dtype").asText().equals("float64");
                    double rtol = f64 ? 1e-12 : 1e-5;
                    assertClose(values(TensorCodec.decode(c.get("final"))), values(r.fin()), rtol, "final p");
                    assertEquals(c.get("loss").asDouble(), r.loss(), rtol * Math.abs(r.loss()), "loss");
                    assertClose(values(TensorCodec.decode(c.get("grad_init"))), values(r.gradInit()), rtol, "d loss / d p0");
                    if (c.get("lr_is_tensor").asBoolean()) {
                        assertClose(values(TensorCodec.decode(c.get("grad_lr"))), values(r.gradLr()), rtol, "d loss / d lr");
                    }
                }
            }));
        }
        assertEquals(6, tests.size());
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> gradientsMatchFiniteDifferencesInFloat64() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Golden.differentiable().get("cases")) {
            if (!c.get("dtype").asText().equals("float64")) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                try (PointerScope scope = new PointerScope()) {
                    Tensor init = TensorCodec.decode(c.get("init"));
                    double lr = c.get("lr").asDouble();
                    Run r = run(c, init, lr, true);
                    double[] grad = values(r.gradInit());
                    double h = 1e-6;
                    for (int i = 0; i < grad.length; i += 2) {
                        double fd = (perturbed(c, init, i, h, lr) - perturbed(c, init, i, -h, lr)) / (2 * h);
                        assertEquals(fd, grad[i], 1e-6 * Math.max(1, Math.abs(fd)), "d loss / d p0[" + i + "]");
                    }
                    if (c.get("lr_is_tensor").asBoolean()) {
                        double hl = 1e-7;
                        double fd = (run(c, init, lr + hl, false).loss() - run(c, init, lr - hl, false).loss()) / (2 * hl);
                        double g = values(r.gradLr())[0];
                        assertEquals(fd, g, 1e-5 * Math.max(1, Math.abs(fd)), "d loss / d lr");
                    }
                }
            }));
        }
        assertEquals(3, tests.size());
        return tests.stream();
    }

    private static double perturbed(JsonNode c, Tensor init, int i, double h, double lr) {
        Tensor x = init.clone();
        try (NoGradGuard g = new NoGradGuard()) {
            x.view(-1).narrow(0, i, 1).add_(new Scalar(h));
        }
        return run(c, x, lr, false).loss();
    }

    @Test
    void stepRecordsAutogradOnlyWhenDifferentiable() {
        try (PointerScope scope = new PointerScope()) {
            Tensor p0 = org.bytedeco.pytorch.global.torch.ones(3);
            p0.requires_grad_(true);
            Tensor p = p0.clone();
            RAdam opt = new RAdam(List.of(p), RAdamOptions.builder().differentiable(true).build());
            p.mutable_grad().put(org.bytedeco.pytorch.global.torch.ones(3));
            opt.step();
            assertTrue(p.requires_grad() && !p.is_leaf(), "the update is recorded by autograd");
        }
    }
}
