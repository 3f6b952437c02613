package org.radam4j.parity;

import org.radam4j.internal.NativeLoader;

import org.radam4j.internal.FusedKernel;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestFactory;
import org.radam4j.parity.Impl;
import org.radam4j.parity.Outcome;
import org.radam4j.parity.ParityRunner;
import org.radam4j.parity.TensorCodec;

import com.fasterxml.jackson.databind.JsonNode;
import org.radam4j.RAdamOptions;
import org.radam4j.RAdam;
import org.radam4j.NativeScope;

/** The fused kernel: accuracy on every golden CPU case, what it hands to the for-loop, what it refuses, its loader. */
@ExtendWith(NativeScope.class)
class FusedTest {

    @BeforeEach
    void seed() {
        torch.manual_seed(9);
    }

    @Test
    void theKernelIsBuiltAndLoaded() {
        assertNull(FusedKernel.unavailableReason(), "mvn builds native/ and packs it into target/classes");
        List<String> isas = List.of(FusedKernel.isas());
        assertEquals("portable", isas.get(0));
        assertEquals(isas.get(isas.size() - 1), FusedKernel.isa(), "the best variant this CPU runs");
        assertFalse(FusedKernel.useIsa("sse9"));
        assertEquals(isas.get(isas.size() - 1), FusedKernel.isa(), "an unknown variant changes nothing");
    }

    /**
     * The fused kernel reproduces PyTorch's for-loop bit for bit: every for-loop case of golden_cpu.json (all
     * dtypes) is identical, but for the one value where this libtorch's for-loop is itself an ulp off
     * ({@code float32_forloop_named}). Foreach cases are within tolerance, except bfloat16's, off at exactly the
     * element where PyTorch's own for-loop and foreach recordings disagree.
     */
    @TestFactory
    Stream<DynamicTest> goldenCasesWithinTolerance() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        JsonNode root = Golden.cpu();
        ParityRunner runner = new ParityRunner(Impl.FUSED);
        for (JsonNode c : root.get("cases")) {
            String name = c.get("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                JsonNode one = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                        .set("cases", new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode().add(c));
                Outcome o = runner.run(one, x -> {
                }).get(0);
                if (name.equals("bfloat16_foreach_default")) {
                    assertEquals("step 2, param 3 params: max abs diff 2.288818359375E-5 beyond rtol 0.016 atol 1.0E-5", o.detail());
                } else if (name.contains("forloop") && !name.equals("float32_forloop_named")) {
                    assertEquals(Outcome.Status.BITWISE, o.status(), o.line());
                } else {
                    assertTrue(o.passed(), o.line());
                }
            }));
        }
        assertEquals(47, tests.size());
        return tests.stream();
    }

    /**
     * Every variant of the kernel (portable; AVX2/FMA/F16C; AVX-512; AVX-512 with FP16) gives the for-loop's bits
     * on the golden for-loop cases. A variant this CPU cannot run is skipped here, not passed.
     */
    @TestFactory
    Stream<DynamicTest> everyVariantIsBitwise() {
        return Stream.of("portable", "avx2+fma+f16c", "avx512", "avx512+fp16").map(isa -> DynamicTest.dynamicTest(isa, () -> {
            Assumptions.assumeTrue(List.of(FusedKernel.isas()).contains(isa), "this CPU cannot run " + isa);
            assertTrue(FusedKernel.useIsa(isa));
            try {
                assertEquals(isa, FusedKernel.isa());
                ParityRunner runner = new ParityRunner(Impl.FUSED);
                int checked = 0;
                for (JsonNode c : Golden.cpu().get("cases")) {
                    String name = c.get("name").asText();
                    if (name.contains("forloop") && !name.equals("float32_forloop_named")) {
                        JsonNode one = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                                .set("cases", new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode().add(c));
                        Outcome o = runner.run(one, x -> {
                        }).get(0);
                        assertEquals(Outcome.Status.BITWISE, o.status(), o.line());
                        checked++;
                    }
                }
                assertTrue(checked > 10);
            } finally {
                FusedKernel.useIsa(null);
            }
        }));
    }

    /** Every bfloat16 or float16 bit pattern, finite or not, as a 1-d tensor of that dtype. */
    private static Tensor allPatterns(ScalarType t) {
        return torch.arange(new org.bytedeco.pytorch.Scalar(-32768), new org.bytedeco.pytorch.Scalar(32768),
                new org.bytedeco.pytorch.TensorOptions(ScalarType.Short)).view(t);
    }

    /** Elements whose bits differ, NaN matching any NaN. */
    private static long changed(Tensor a, Tensor b) {
        Tensor differ = a.view(ScalarType.Short).ne(b.view(ScalarType.Short));
        Tensor bothNaN = a.isnan().logical_and(b.isnan());
        return differ.logical_and(bothNaN.logical_not()).sum().item_long();
    }

    /**
     * The kernel leaves the decoupled decay's multiply out where rounding it gives every bfloat16 / float16 param
     * back (a factor within 2^-10 / 2^-13 below 1): libtorch's own {@code mul_} changes no bit of any pattern there,
     * and does change some a little further out. At both factors the fused step equals the for-loop bit for bit, on
     * every variant, with every pattern as a param.
     */
    @Test
    void theDecoupledDecayIsLeftOutOnlyWhereLibtorchsMulChangesNoBit() {
        for (ScalarType t : List.of(ScalarType.BFloat16, ScalarType.Half)) {
            double limit = t == ScalarType.BFloat16 ? 0x1p-10 : 0x1p-13;
            Tensor all = allPatterns(t);
            assertEquals(0, changed(all, all.mul(new org.bytedeco.pytorch.Scalar(1 - limit))), Dtypes.name(t));
            assertTrue(changed(all, all.mul(new org.bytedeco.pytorch.Scalar(1 - 4 * limit))) > 0, Dtypes.name(t));
            for (double decay : new double[] {limit, 4 * limit}) {
                for (String isa : FusedKernel.isas()) {
                    assertTrue(FusedKernel.useIsa(isa));
                    try {
                        Tensor[] result = new Tensor[2];
                        for (int fused = 0; fused < 2; fused++) {
                            torch.manual_seed(11);
                            Tensor p = allPatterns(t).clone().requires_grad_(true);
                            p.mutable_grad().put(randn(65536).mul(new org.bytedeco.pytorch.Scalar(1e-2)).to(t));
                            RAdamOptions.Builder b = RAdamOptions.builder().lr(0.5).weightDecay(2 * decay)
                                    .decoupledWeightDecay(true);
                            RAdam opt = new RAdam(List.of(p), (fused == 1 ? b.fused(true) : b.foreach(false)).build());
                            for (int step = 0; step < 7; step++) {
                                opt.step();
                            }
                            result[fused] = p.detach().clone();
                        }
                        assertEquals(0, changed(result[0], result[1]), Dtypes.name(t) + " decay " + decay + " " + isa);
                    } finally {
                        FusedKernel.useIsa(null);
                    }
                }
            }
        }
    }

    /**
     * Late in training the bias corrections and rect become 1 in float (here, with betas (0.5, 0.7), bc1 from about
     * step 25, sqrt(bc2) from 49, rect from about 110), and the kernel leaves their multiplies and divides out: 150
     * steps of bfloat16 and float16, fused against for-loop bit for bit along the way, on every variant.
     */
    @Test
    void stepScalarsOfOneLateInTrainingKeepTheBits() {
        double beta1 = 0.5;
        double beta2 = 0.7;
        int steps = 150;
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * steps * Math.pow(beta2, steps) / (1 - Math.pow(beta2, steps));
        assertEquals(1.0, 1 - Math.pow(beta1, steps));
        assertEquals(1.0, Math.sqrt(1 - Math.pow(beta2, steps)));
        assertEquals(1.0, Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)));
        for (ScalarType t : List.of(ScalarType.BFloat16, ScalarType.Half)) {
            for (String isa : FusedKernel.isas()) {
                assertTrue(FusedKernel.useIsa(isa));
                try {
                    List<Tensor> ps = new ArrayList<>();
                    List<RAdam> opts = new ArrayList<>();
                    torch.manual_seed(5);
                    Tensor init = randn(4099).to(t);
                    for (int fused = 0; fused < 2; fused++) {
                        Tensor p = init.clone().requires_grad_(true);
                        RAdamOptions.Builder b = RAdamOptions.builder().lr(1e-2).betas(beta1, beta2).weightDecay(0.1)
                                .decoupledWeightDecay(true);
                        ps.add(p);
                        opts.add(new RAdam(List.of(p), (fused == 1 ? b.fused(true) : b.foreach(false)).build()));
                    }
                    for (int step = 1; step <= steps; step++) {
                        Tensor g = randn(4099).mul(new org.bytedeco.pytorch.Scalar(0.1)).to(t);
                        for (int k = 0; k < 2; k++) {
                            ps.get(k).mutable_grad().put(g.clone());
                            opts.get(k).step();
                        }
                        if (step % 10 == 0) {
                            assertEquals(0, changed(ps.get(0).detach(), ps.get(1).detach()), Dtypes.name(t) + " " + isa + " step " + step);
                        }
                    }
                } finally {
                    FusedKernel.useIsa(null);
                }
            }
        }
    }

    @Test
    void paramsItCannotTakeGoToTheForLoop() {
        List<Tensor> a = List.of(randn(8, 6).requires_grad_(true));
        Tensor nonContiguous = randn(6, 8).t().requires_grad_(true);
        Tensor twin = nonContiguous.detach().contiguous().requires_grad_(true);
        assertTrue(!nonContiguous.is_contiguous() && twin.is_contiguous());
        RAdam fused = new RAdam(List.of(a.get(0), nonContiguous), RAdamOptions.builder().fused(true).lr(0.1).build());
        Tensor aTwin = a.get(0).detach().clone().requires_grad_(true);
        RAdam loop = new RAdam(List.of(aTwin, twin), RAdamOptions.builder().lr(0.1).build());
        for (int s = 0; s < 8; s++) {
            Tensor g1 = randn(8, 6);
            Tensor g2 = randn(8, 6);
            a.get(0).mutable_grad().put(g1);
            aTwin.mutable_grad().put(g1);
            nonContiguous.mutable_grad().put(g2);
            twin.mutable_grad().put(g2);
            fused.step();
            loop.step();
        }
        assertArrayEquals(TensorCodec.bytes(twin), TensorCodec.bytes(nonContiguous),
                "the non-contiguous param took the for-loop path: bit-identical");
        assertTrue(torch.allclose(a.get(0), aTwin, 1.3e-6, 1e-5, false), "the contiguous one took the kernel");
    }

    @Test
    void refusesWhatItDoesNotSupportWithClearErrors() {
        assertEquals("`fused` does not support `differentiable`", assertThrows(IllegalStateException.class,
                () -> RAdamOptions.builder().fused(true).differentiable(true).build()).getMessage());
        assertEquals("`fused` and `foreach` cannot be `True` together.", assertThrows(IllegalStateException.class,
                () -> RAdamOptions.builder().fused(true).foreach(true).build()).getMessage());
        assertTrue(assertThrows(IllegalStateException.class,
                () -> RAdamOptions.builder().fused(true).capturable(true).build()).getMessage().contains("capturable"));
    }

    @Test
    void theLoaderSaysWhyAndWhatToDo() {
        NativeLoader.Result missing = NativeLoader.load("/org/radam4j/native/no-such-platform/libradam4j.so");
        assertTrue(!missing.loaded() && missing.failure().contains("is not on the class path")
                && missing.failure().contains("mvn package") && missing.failure().contains("fused=false"), missing.failure());
        String before = System.getProperty("radam4j.native.library");
        System.setProperty("radam4j.native.library", "/nonexistent/libradam4j.so");
        try {
            NativeLoader.Result broken = NativeLoader.load(NativeLoader.RESOURCE);
            assertTrue(!broken.loaded() && broken.failure().startsWith("radam4j's fused kernel could not be loaded")
                    && broken.failure().contains("fused=false"), broken.failure());
        } finally {
            if (before == null) {
                System.clearProperty("radam4j.native.library");
            } else {
                System.setProperty("radam4j.native.library", before);
            }
        }
    }

    @Test
    void fusedStateStaysInPyTorchsLayout() {
        Tensor p = randn(5).to(ScalarType.Double).requires_grad_(true);
        RAdam opt = new RAdam(List.of(p), RAdamOptions.builder().fused(true).build());
        p.mutable_grad().put(randn(5).to(ScalarType.Double));
        opt.step();
        assertEquals(ScalarType.Float, Dtypes.of(opt.state(p).step()));
        assertEquals(1.0, opt.state(p).step().item_double());
        assertEquals(true, ((java.util.Map<?, ?>) ((List<?>) opt.stateDict().get("param_groups")).get(0)).get("fused"));
    }
}
