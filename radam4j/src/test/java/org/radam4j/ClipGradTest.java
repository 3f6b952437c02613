package org.radam4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.internal.TensorBytes;

/**
 * PyTorch's own clipping tests ({@code test_nn.py}: {@code test_clip_grad_norm_error_if_nonfinite},
 * {@code test_clip_grad_norm}'s single-tensor case), ported: which norm orders give a non-finite total norm for
 * inf, NaN and huge gradients is PyTorch's table, and a refused clip leaves every gradient as it was.
 */
@ExtendWith(NativeScope.class)
class ClipGradTest {

    private static final double INF = Double.POSITIVE_INFINITY;
    private static final List<Double> POS = List.of(0.1, 1.0, 2.0, 3.5, INF);
    private static final List<Double> NEG = List.of(-0.1, -1.0, -2.0, -3.5);

    private record Case(boolean oneElem, boolean prefix, double[] scalars, List<Double> nonfinite, List<Double> finite) {
    }

    private static List<Double> concat(List<Double> a, List<Double> b) {
        List<Double> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static List<Tensor> parameters(double scalar, boolean oneElem, boolean prefix) {
        TensorOptions f64 = new TensorOptions(ScalarType.Double);
        Tensor param = torch.ones(new long[] {10}, f64).requires_grad_(true);
        if (oneElem) {
            param.get(1).mul(new Scalar(scalar)).sum().backward();
        } else {
            param.mul(new Scalar(scalar)).sum().backward();
        }
        if (!prefix) {
            return List.of(param);
        }
        Tensor first = torch.ones(new long[] {1}, f64).requires_grad_(true);
        first.mul(new Scalar(1.0)).sum().backward();
        return List.of(first, param);
    }

    @Test
    void aNonFiniteTotalNormIsRefusedForPyTorchsNormOrders() {
        List<Double> exceptZero = concat(POS, NEG);
        List<Double> all = concat(exceptZero, List.of(0.0));
        List<Double> negAndZero = concat(NEG, List.of(0.0));
        double[] infs = {INF, -INF};
        double[] nan = {Double.NaN};
        double[] big = {2e22, -2e22};
        double[] huge = {2e200, -2e200};
        List<Case> cases = new ArrayList<>();
        cases.add(new Case(false, false, infs, exceptZero, List.of(0.0)));
        for (boolean[] f : new boolean[][] {{false, true}, {true, false}, {true, true}}) {
            cases.add(new Case(f[0], f[1], infs, POS, negAndZero));
        }
        for (boolean[] f : new boolean[][] {{false, false}, {false, true}, {true, false}, {true, true}}) {
            cases.add(new Case(f[0], f[1], nan, exceptZero, List.of(0.0)));
            cases.add(new Case(f[0], f[1], big, List.of(), all));
        }
        cases.add(new Case(false, false, huge, List.of(3.5, 2.0, -2.0, -3.5), List.of(INF, 1.0, 0.1, 0.0, -1.0, -0.1)));
        for (boolean[] f : new boolean[][] {{false, true}, {true, false}, {true, true}}) {
            cases.add(new Case(f[0], f[1], huge, List.of(3.5, 2.0), concat(NEG, List.of(INF, 1.0, 0.1, 0.0))));
        }
        int checked = 0;
        for (Case c : cases) {
            for (double scalar : c.scalars()) {
                for (double norm : c.nonfinite()) {
                    String what = "scalar " + scalar + ", norm " + norm + ", " + c;
                    List<Tensor> ps = parameters(scalar, c.oneElem(), c.prefix());
                    List<byte[]> before = grads(ps);
                    IllegalStateException e = assertThrows(IllegalStateException.class,
                            () -> ClipGrad.clipGradNorm(ps, 1, norm, true, null), what);
                    assertTrue(e.getMessage().startsWith("The total norm of order "
                            + org.radam4j.internal.PyRepr.of(norm) + " for gradients"), e.getMessage());
                    List<byte[]> after = grads(ps);
                    for (int i = 0; i < before.size(); i++) {
                        assertArrayEquals(before.get(i), after.get(i), what);
                    }
                    ClipGrad.clipGradNorm(parameters(scalar, c.oneElem(), c.prefix()), 1, norm, false, null).close();
                    checked++;
                }
                for (double norm : c.finite()) {
                    for (boolean error : new boolean[] {false, true}) {
                        Tensor total = ClipGrad.clipGradNorm(parameters(scalar, c.oneElem(), c.prefix()), 1, norm, error, null);
                        assertTrue(Double.isFinite(total.item_double()), "scalar " + scalar + ", norm " + norm + ", " + c);
                        checked++;
                    }
                }
            }
        }
        assertEquals(456, checked);
    }

    /**
     * The norms come back as a presets op's result does: inside a {@code PointerScope} they go when it closes (a
     * loop of clipping steps leaves no handle behind); outside one they are the caller's, valid until closed.
     */
    @Test
    void theNormsAreHandedOverToTheCallersScope() {
        Tensor p = torch.randn(10);
        p.mutable_grad().put(torch.ones(10));
        for (int i = 0; i < 3; i++) {
            try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope()) {
                ClipGrad.clipGradNorm(List.of(p), 100.0);
                ClipGrad.getTotalNorm(List.of(p.grad()), 2.0, false, null);
            }
        }
        long before = org.bytedeco.javacpp.Pointer.totalCount();
        for (int i = 0; i < 100; i++) {
            try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope()) {
                ClipGrad.clipGradNorm(List.of(p), 100.0);
                ClipGrad.getTotalNorm(List.of(p.grad()), 2.0, false, null);
            }
        }
        assertEquals(before, org.bytedeco.javacpp.Pointer.totalCount());
        Tensor outside;
        try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope()) {
            try (org.bytedeco.javacpp.PointerScope inner = new org.bytedeco.javacpp.PointerScope()) {
                outside = ClipGrad.getTotalNorm(List.of(p.grad()), 2.0, false, null);
            }
            assertTrue(outside.isNull(), "freed with the innermost scope");
        }
        Tensor owned = ClipGrad.getTotalNorm(List.of(p.grad()), 2.0, false, null);
        System.gc();
        assertEquals(Math.sqrt(10), owned.item_double(), 1e-6);
        owned.close();
    }

    private static List<byte[]> grads(List<Tensor> ps) {
        List<byte[]> out = new ArrayList<>();
        for (Tensor p : ps) {
            out.add(TensorBytes.of(p.grad()));
        }
        return out;
    }

    @Test
    void aSingleTensorIsClippedAsAListOfIt() {
        for (double norm : new double[] {0.5, 1.5, 2, 4, INF}) {
            for (Boolean foreach : new Boolean[] {null, false, true}) {
                Tensor g = torch.arange(new Scalar(1.0), new Scalar(101.0)).view(10, 10);
                Tensor p1 = torch.randn(10, 10);
                Tensor p2 = torch.randn(10, 10);
                p1.mutable_grad().put(g.clone());
                p2.mutable_grad().put(g.clone());
                Tensor n1 = ClipGrad.clipGradNorm(p1, 2, norm, false, foreach);
                Tensor n2 = ClipGrad.clipGradNorm(List.of(p2), 2, norm, false, foreach);
                assertArrayEquals(TensorBytes.of(n2), TensorBytes.of(n1));
                assertArrayEquals(TensorBytes.of(p2.grad()), TensorBytes.of(p1.grad()));
                // PyTorch's expectation: the clipped gradients' norm is max_norm
                assertEquals(2.0, torch.linalg_vector_norm(p1.grad(), new Scalar(norm), new long[0], false,
                        new org.bytedeco.pytorch.ScalarTypeOptional()).item_double(), 1e-4);
                ClipGrad.clipGradValue(p1, 0.5, foreach);
                ClipGrad.clipGradValue(List.of(p2), 0.5, foreach);
                assertArrayEquals(TensorBytes.of(p2.grad()), TensorBytes.of(p1.grad()));
            }
        }
    }
}
