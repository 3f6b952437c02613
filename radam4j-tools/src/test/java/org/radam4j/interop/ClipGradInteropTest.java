package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.ClipGrad;
import org.radam4j.NativeScope;
import org.radam4j.internal.TensorBytes;
import org.radam4j.io.TorchFiles;

/**
 * {@link ClipGrad} against Python's {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_} on
 * recorded gradients of two dtypes and several shapes (Debian's PyTorch 1.13 records them; see
 * {@code python/clip_grads.py}): every norm type, clipped and not, on the foreach and the per-tensor paths.
 * 1.13 computes each norm with {@code torch.norm} where 2.x uses {@code _foreach_norm} or {@code linalg.vector_norm},
 * so totals are compared within float tolerance and the bitwise ones counted; {@code clip_grad_value_} is the
 * same clamp in both versions, so it must be bitwise.
 */
@ExtendWith(NativeScope.class)
class ClipGradInteropTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() throws Exception {
        PythonInteropTest.findPython();
    }

    private static List<Tensor> params(List<?> grads) {
        List<Tensor> ps = new ArrayList<>();
        for (Object g : grads) {
            Tensor p = torch.zeros_like((Tensor) g).requires_grad_(true);
            p.mutable_grad().put(((Tensor) g).clone());
            ps.add(p);
        }
        return ps;
    }

    private static boolean close(Tensor a, Tensor b, double rtol) {
        return torch.allclose(a, b, rtol, 1e-12, false);
    }

    @Test
    @SuppressWarnings("unchecked")
    void clippingMatchesPython() throws Exception {
        Path rec = dir.resolve("clip.pt");
        PythonInteropTest.script("/python/clip_grads.py", rec.toString());
        Map<String, Object> r = (Map<String, Object>) TorchFiles.load(rec);
        List<Object> grads = (List<Object>) r.get("grads");
        int totals = 0;
        int bitwiseTotals = 0;
        for (Boolean foreach : Arrays.asList(null, true, false)) {
            for (Object o : (List<Object>) r.get("norm")) {
                Map<String, Object> c = (Map<String, Object>) o;
                double normType = (Double) c.get("norm_type");
                double maxNorm = (Double) c.get("max_norm");
                List<Tensor> ps = params(grads);
                Tensor total = ClipGrad.clipGradNorm(ps, maxNorm, normType, false, foreach);
                Tensor expected = (Tensor) c.get("total");
                String at = "norm " + normType + " max " + maxNorm + " foreach " + foreach;
                assertEquals(0, total.dim(), at);
                assertTrue(close(total, expected, 1e-6), at + ": total " + total.item_double() + " vs " + expected.item_double());
                totals++;
                bitwiseTotals += Arrays.equals(TensorBytes.of(total), TensorBytes.of(expected)) ? 1 : 0;
                List<Object> after = (List<Object>) c.get("after");
                for (int i = 0; i < ps.size(); i++) {
                    assertTrue(close(ps.get(i).grad(), (Tensor) after.get(i), 1e-5), at + ": grad " + i);
                }
            }
            for (Object o : (List<Object>) r.get("value")) {
                Map<String, Object> c = (Map<String, Object>) o;
                List<Tensor> ps = params(grads);
                ClipGrad.clipGradValue(ps, (Double) c.get("clip_value"), foreach);
                List<Object> after = (List<Object>) c.get("after");
                for (int i = 0; i < ps.size(); i++) {
                    assertTrue(Arrays.equals(TensorBytes.of(ps.get(i).grad()), TensorBytes.of((Tensor) after.get(i))),
                            "clip_grad_value_ " + c.get("clip_value") + " grad " + i);
                }
            }
        }
        System.out.println("clip_grad_norm_ against PyTorch " + r.get("torch") + ": " + totals + " totals within 1e-6, "
                + bitwiseTotals + " bitwise");
    }

    @Test
    void nonFiniteNormsAreRefusedOnRequestAndParamsWithoutGradientsSkipped() {
        Tensor p = torch.zeros(3).requires_grad_(true);
        p.mutable_grad().put(torch.tensor(new float[] {1, Float.POSITIVE_INFINITY, 2}));
        Tensor q = torch.zeros(2).requires_grad_(true);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClipGrad.clipGradNorm(List.of(p, q), 1.0, 2.0, true, null));
        assertEquals("The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped. "
                + "To disable this error and scale the gradients by the non-finite norm anyway, set "
                + "`error_if_nonfinite=False`", e.getMessage());
        assertEquals(Float.POSITIVE_INFINITY, p.grad().get(1).item_float(), "unchanged after the refusal");
        Tensor total = ClipGrad.clipGradNorm(List.of(p, q), 1.0);
        assertTrue(Double.isInfinite(total.item_double()));
        assertTrue(q.grad() == null || !q.grad().defined());
        assertEquals(0.0, ClipGrad.getTotalNorm(List.of(), 2.0, false, null).item_double());
    }
}
