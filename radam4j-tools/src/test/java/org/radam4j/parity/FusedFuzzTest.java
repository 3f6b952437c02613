package org.radam4j.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.radam4j.fuzz.FusedFuzzer;
import org.radam4j.internal.FusedKernel;
import org.radam4j.parity.TensorCodec;
import org.radam4j.RAdamOptions;
import org.radam4j.RAdam;
import org.radam4j.ParamState;

/**
 * The fused path gives the for-loop's bits (the for-loop is PyTorch's, see the golden tests) on random
 * configurations: the fixed-seed slice CI runs ({@code scripts/radam4j fuzz --fused 500}), and a slice on each
 * variant of the kernel this CPU can run (a variant it cannot run is skipped, not passed).
 */
class FusedFuzzTest {

    @Test
    void fiveHundredRandomConfigurationsMatchTheForLoopBitForBit() {
        FusedFuzzer.Report r = FusedFuzzer.run(500, 1);
        assertEquals(500, r.configs());
        assertTrue(r.steps() > 2000, "steps compared: " + r.steps());
        assertEquals(List.of(), r.differences());
    }

    @TestFactory
    Stream<DynamicTest> everyVariantMatchesTheForLoop() {
        return Stream.of("portable", "avx2+fma+f16c", "avx512", "avx512+fp16").map(isa -> DynamicTest.dynamicTest(isa, () -> {
            Assumptions.assumeTrue(List.of(FusedKernel.isas()).contains(isa), "this CPU cannot run " + isa);
            assertTrue(FusedKernel.useIsa(isa));
            try {
                FusedFuzzer.Report r = FusedFuzzer.run(120, 2);
                assertEquals(List.of(), r.differences());
            } finally {
                FusedKernel.useIsa(null);
            }
        }));
    }

    /**
     * libtorch at its DEFAULT capability (a CPU without AVX2 and FMA; here {@code ATEN_CPU_CAPABILITY=default} in a
     * child JVM) computes lerp, add with alpha and addcmul without fused multiply-adds; the kernel reads the
     * capability and does the same, on every variant: 0 differences. Without that, this fuzz finds differences
     * in the first configurations.
     */
    @TestFactory
    Stream<DynamicTest> libtorchWithoutFusedMultiplyAddsIsMatchedOnEveryVariant() {
        return Stream.of(FusedKernel.isas()).map(isa -> DynamicTest.dynamicTest(isa, () -> {
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
            String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
            if (cache != null) {
                cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
            }
            cmd.addAll(List.of("org.radam4j.cli.Main", "fuzz", "--fused", "150", "--isa", isa));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("ATEN_CPU_CAPABILITY", "default");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), out);
            assertTrue(out.contains("150 configurations") && out.contains(" 0 differences"), out);
        }));
    }

    @Test
    void theCapabilityNamesThatFuse() {
        assertTrue(FusedKernel.fuses("AVX2"));
        assertTrue(FusedKernel.fuses("AVX512"));
        assertTrue(!FusedKernel.fuses("DEFAULT"));
    }

    /**
     * bfloat16 and float16 params big enough for the kernel's per-step tables (over 2^19 elements sharing a step),
     * with NaN, infinities, zeros, subnormals and huge values in the grads, rectified steps and decoupled weight
     * decay: fused equals the for-loop after every step, with the tables and without them.
     */
    @TestFactory
    Stream<DynamicTest> largeReducedParamsWithAndWithoutTables() {
        return Stream.of(ScalarType.BFloat16, ScalarType.Half).flatMap(dtype -> Stream.of(-1L, Long.MAX_VALUE)
                .map(from -> DynamicTest.dynamicTest(dtype + (from < 0 ? " with tables" : " without tables"), () -> {
                    long before = FusedKernel.tablesFrom(from);
                    try (PointerScope scope = new PointerScope()) {
                        stepLargeReducedParams(dtype);
                    } finally {
                        FusedKernel.tablesFrom(before);
                    }
                })));
    }

    private static void stepLargeReducedParams(ScalarType dtype) {
        torch.manual_seed(21);
        int n = 300_001;
        List<Tensor> fusedParams = List.of(torch.randn(n).to(dtype).requires_grad_(true),
                torch.randn(n).to(dtype).requires_grad_(true));
        List<Tensor> loopParams = List.of(fusedParams.get(0).detach().clone().requires_grad_(true),
                fusedParams.get(1).detach().clone().requires_grad_(true));
        Tensor start = fusedParams.get(0).detach().clone();
        double tiny = dtype == ScalarType.Half ? 3e-8 : 1e-39;
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, tiny, -tiny, 6e4};
        RAdamOptions.Builder common = RAdamOptions.builder().lr(0.01).betas(0.8, 0.9).weightDecay(0.1)
                .decoupledWeightDecay(true);
        RAdam fused = new RAdam(fusedParams, common.fused(true).build());
        RAdam loop = new RAdam(loopParams, RAdamOptions.builder().lr(0.01).betas(0.8, 0.9).weightDecay(0.1)
                .decoupledWeightDecay(true).foreach(false).build());
        for (int step = 1; step <= 9; step++) {
            for (int i = 0; i < 2; i++) {
                Tensor g = torch.randn(n).mul(new Scalar(step == 3 ? 1e-3 : 0.5)).to(dtype);
                for (int k = 0; k < 64; k++) {
                    g.narrow(0, k * 4099L + step * 7L + i, 1).fill_(new Scalar(specials[(k + step) % specials.length]));
                }
                fusedParams.get(i).mutable_grad().put(g.clone());
                loopParams.get(i).mutable_grad().put(g.clone());
            }
            fused.step();
            loop.step();
            for (int i = 0; i < 2; i++) {
                ParamState f = fused.state(fusedParams.get(i));
                ParamState l = loop.state(loopParams.get(i));
                assertSameBits(l.expAvg(), f.expAvg(), "exp_avg " + i + " at step " + step);
                assertSameBits(l.expAvgSq(), f.expAvgSq(), "exp_avg_sq " + i + " at step " + step);
                assertSameBits(loopParams.get(i).detach(), fusedParams.get(i).detach(), "param " + i + " at step " + step);
            }
        }
        assertTrue(torch.ne(start, fusedParams.get(0).detach()).sum().item_long() > n / 2, "the params moved");
        assertTrue(torch.isnan(fusedParams.get(0).detach()).sum().item_long() > 0, "NaN reached the params");
    }

    /** Bit for bit, NaN for NaN (a NaN's payload is not compared, as in the fuzzer). */
    private static void assertSameBits(Tensor expected, Tensor actual, String what) {
        Tensor nanE = torch.isnan(expected);
        assertTrue(torch.equal(nanE, torch.isnan(actual)), what + ": NaN in other places");
        Tensor zero = torch.zeros_like(expected);
        assertArrayEquals(TensorCodec.bytes(torch.where(nanE, zero, expected)),
                TensorCodec.bytes(torch.where(nanE, zero, actual)), what);
    }

    /**
     * A 0-dim float32 lr, float64 params, decoupled weight decay 0.3: PyTorch computes {@code 1 - lr * wd} in
     * float32; the kernel used to compute it in double and drifted by 1.2e-6 after 9 steps.
     */
    @Test
    void aFloat32TensorLrWithDecoupledDecayOnFloat64Params() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(11);
            Tensor a = torch.randn(300).to(ScalarType.Double).requires_grad_(true);
            Tensor b = a.detach().clone().requires_grad_(true);
            Tensor lrA = torch.scalar_tensor(new Scalar(0.01), new TensorOptions(ScalarType.Float));
            Tensor lrB = lrA.clone();
            RAdam fused = new RAdam(List.of(a), RAdamOptions.builder().fused(true).lr(lrA).weightDecay(0.3)
                    .decoupledWeightDecay(true).build());
            RAdam loop = new RAdam(List.of(b), RAdamOptions.builder().foreach(false).lr(lrB).weightDecay(0.3)
                    .decoupledWeightDecay(true).build());
            for (int s = 0; s < 12; s++) {
                Tensor g = torch.randn(300).to(ScalarType.Double);
                a.mutable_grad().put(g.clone());
                b.mutable_grad().put(g.clone());
                fused.step();
                loop.step();
                assertArrayEquals(TensorCodec.bytes(b.detach()), TensorCodec.bytes(a.detach()), "step " + (s + 1));
            }
        }
    }

    /**
     * A group of 1,500 small params (over {@code PerParam.SPLIT_AT}, so its per-param work runs on two threads):
     * still the for-loop's bits, and a bad gradient far into the group is reported with its index before
     * anything changes.
     */
    @Test
    void manySmallParamsSplitOverTwoThreads() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(21);
            List<Tensor> a = new java.util.ArrayList<>();
            List<Tensor> b = new java.util.ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                Tensor p = torch.randn(1 + i % 37).requires_grad_(true);
                a.add(p);
                b.add(p.detach().clone().requires_grad_(true));
            }
            RAdam fused = new RAdam(a, RAdamOptions.builder().fused(true).weightDecay(0.01).build());
            RAdam loop = new RAdam(b, RAdamOptions.builder().foreach(false).weightDecay(0.01).build());
            for (int s = 0; s < 8; s++) {
                for (int i = 0; i < a.size(); i++) {
                    Tensor g = (i + s) % 11 == 0 ? new Tensor() : torch.randn(a.get(i).sizes());
                    a.get(i).mutable_grad().put(g.defined() ? g.clone() : g);
                    b.get(i).mutable_grad().put(g.defined() ? g.clone() : new Tensor());
                }
                fused.step();
                loop.step();
            }
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(TensorCodec.bytes(b.get(i).detach()), TensorCodec.bytes(a.get(i).detach()), "param " + i);
            }
            byte[] before = TensorCodec.bytes(a.get(3).detach());
            a.get(1234).mutable_grad().put(torch.randn(a.get(1234).sizes()).to(ScalarType.Double));
            assertEquals("the gradient of param 1234 in param group 0 has dtype float64 but the param has dtype float32",
                    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, fused::step).getMessage());
            assertArrayEquals(before, TensorCodec.bytes(a.get(3).detach()), "nothing changed");
        }
    }
}
