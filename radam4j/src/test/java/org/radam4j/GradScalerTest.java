package org.radam4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.internal.TensorBytes;
import org.radam4j.io.TorchFiles;

@ExtendWith(NativeScope.class)
class GradScalerTest {

    private static final List<RAdamOptions.Builder> PATHS = List.of(RAdamOptions.builder().foreach(false),
            RAdamOptions.builder().foreach(true), RAdamOptions.builder().fused(true));

    /** Two groups of two params each, seeded. */
    private static List<Tensor> params() {
        torch.manual_seed(3);
        List<Tensor> ps = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ps.add(NativeScope.param(5, 3));
        }
        return ps;
    }

    private static RAdam optimizer(List<Tensor> ps, RAdamOptions.Builder path) {
        return new RAdam(List.of(ParamGroupSpec.of(ps.subList(0, 2)), ParamGroupSpec.of(ps.subList(2, 4))),
                path.lr(0.01).build());
    }

    private static void setGrads(List<Tensor> ps, int step, double factor) {
        for (int i = 0; i < ps.size(); i++) {
            Tensor g = torch.sin(torch.arange(new Scalar(15)).to(torch.ScalarType.Float).add(new Scalar(i + step)))
                    .reshape(5, 3).mul(new Scalar(factor));
            ps.get(i).mutable_grad().put(g);
        }
    }

    private static List<byte[]> snapshot(List<Tensor> ps, RAdam opt) {
        List<byte[]> s = new ArrayList<>();
        for (Tensor p : ps) {
            s.add(TensorBytes.of(p));
            ParamState st = opt.state(p);
            if (st != null) {
                s.add(TensorBytes.of(st.step()));
                s.add(TensorBytes.of(st.expAvg()));
                s.add(TensorBytes.of(st.expAvgSq()));
            }
        }
        return s;
    }

    private static void assertSameBytes(List<byte[]> a, List<byte[]> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), what + " tensor " + i);
        }
    }

    @Test
    void scaledStepsEqualUnscaledOnesAndAnInfSkipsTheStepOnEveryPath() {
        for (RAdamOptions.Builder path : PATHS) {
            List<Tensor> ps = params();
            List<Tensor> ref = params();
            RAdam opt = optimizer(ps, path);
            RAdam plain = optimizer(ref, path);
            GradScaler scaler = new GradScaler("cpu");
            for (int step = 0; step < 3; step++) {
                scaler.scale(torch.ones(1));
                setGrads(ps, step, scaler.getScale());
                setGrads(ref, step, 1.0);
                scaler.step(opt);
                scaler.update();
                plain.step();
                assertSameBytes(snapshot(ref, plain), snapshot(ps, opt), path.build() + " clean step " + step);
            }
            assertEquals(65536.0, scaler.getScale());
            List<byte[]> before = snapshot(ps, opt);
            setGrads(ps, 9, scaler.getScale());
            ps.get(3).grad().get(2).get(1).fill_(new Scalar(Double.NaN));
            assertNull(scaler.step(opt, () -> "stepped"));
            scaler.update();
            assertSameBytes(before, snapshot(ps, opt), path.build() + " skipped step");
            assertEquals(32768.0, scaler.getScale());
            setGrads(ps, 10, scaler.getScale());
            ps.get(0).grad().get(0).get(0).fill_(new Scalar(Double.POSITIVE_INFINITY));
            scaler.unscale(opt);
            scaler.step(opt);
            scaler.update();
            assertSameBytes(before, snapshot(ps, opt), path.build() + " skipped after an explicit unscale");
            assertEquals(16384.0, scaler.getScale());
        }
    }

    /** {@code scaler.scale(loss).backward()} in a per-step scope leaves no handle behind. */
    @Test
    void theScaledLossGoesWithTheCallersScope() {
        List<Tensor> ps = params();
        RAdam opt = optimizer(ps, RAdamOptions.builder().fused(true));
        GradScaler scaler = new GradScaler("cpu");
        Runnable step = () -> {
            try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope()) {
                opt.zeroGrad();
                Tensor loss = ps.get(0).sum().add(ps.get(3).sum());
                scaler.scale(loss).backward();
                scaler.step(opt);
                scaler.update();
            }
        };
        for (int i = 0; i < 3; i++) {
            step.run();
        }
        long before = org.bytedeco.javacpp.Pointer.totalCount();
        for (int i = 0; i < 100; i++) {
            step.run();
        }
        assertEquals(before, org.bytedeco.javacpp.Pointer.totalCount());
    }

    @Test
    void theScaleGrowsAfterTheIntervalAndCanBeSet() {
        List<Tensor> ps = params();
        RAdam opt = optimizer(ps, RAdamOptions.builder());
        GradScaler scaler = new GradScaler("cpu", 8.0, 2.0, 0.5, 3, true);
        assertEquals(8.0, scaler.getScale(), "the initial scale before the first scale()");
        scaler.scale(torch.ones(1));
        for (int step = 0; step < 3; step++) {
            setGrads(ps, step, scaler.getScale());
            scaler.step(opt);
            scaler.update();
        }
        assertEquals(16.0, scaler.getScale());
        assertEquals(0L, scaler.stateDict().get("_growth_tracker"));
        scaler.update(3.0);
        assertEquals(3.0, scaler.getScale());
        scaler.update(torch.full(new long[] {1}, new Scalar(5.0)));
        assertEquals(5.0, scaler.getScale());
        assertEquals("new_scale should be a float or a 1-element torch.cuda.FloatTensor or torch.FloatTensor with "
                + "requires_grad=False.", assertThrows(IllegalStateException.class,
                        () -> scaler.update(torch.ones(1).requires_grad_(true))).getMessage());
    }

    @Test
    void callsOutOfOrderGetPyTorchsMessages() {
        List<Tensor> ps = params();
        RAdam opt = optimizer(ps, RAdamOptions.builder());
        GradScaler scaler = new GradScaler("cpu");
        assertEquals("Attempted step but _scale is None.  This may indicate your script did not use "
                + "scaler.scale(loss or outputs) earlier in the iteration.",
                assertThrows(IllegalStateException.class, () -> scaler.step(opt)).getMessage());
        scaler.scale(torch.ones(1));
        assertEquals("No inf checks were recorded prior to update.",
                assertThrows(IllegalStateException.class, scaler::update).getMessage());
        setGrads(ps, 0, 1.0);
        scaler.unscale(opt);
        assertEquals("unscale_() has already been called on this optimizer since the last update().",
                assertThrows(IllegalStateException.class, () -> scaler.unscale(opt)).getMessage());
        scaler.step(opt);
        assertEquals("step() has already been called since the last update().",
                assertThrows(IllegalStateException.class, () -> scaler.step(opt)).getMessage());
        assertEquals("unscale_() is being called after step().",
                assertThrows(IllegalStateException.class, () -> scaler.unscale(opt)).getMessage());
        scaler.update();
        ps.get(0).mutable_grad().put(torch.ones(5, 3).to(torch.ScalarType.Half));
        assertEquals("Attempting to unscale FP16 gradients.",
                assertThrows(IllegalArgumentException.class, () -> scaler.unscale(opt)).getMessage());
        assertEquals("The growth factor must be > 1.0.",
                assertThrows(IllegalStateException.class, () -> new GradScaler("cpu", 1, 1.0, 0.5, 1, true)).getMessage());
    }

    @Test
    void aDisabledScalerPassesThrough() {
        List<Tensor> ps = params();
        RAdam opt = optimizer(ps, RAdamOptions.builder());
        GradScaler scaler = new GradScaler("cpu", 65536.0, 2.0, 0.5, 2000, false);
        Tensor loss = torch.ones(1);
        assertSame(loss, scaler.scale(loss));
        setGrads(ps, 0, 1.0);
        List<byte[]> before = snapshot(ps, opt);
        assertEquals("ran", scaler.step(opt, () -> "ran"));
        scaler.update();
        assertTrue(!java.util.Arrays.equals(before.get(0), TensorBytes.of(ps.get(0))));
        assertEquals(1.0, scaler.getScale());
        assertEquals(Map.of(), scaler.stateDict());
    }

    @Test
    void theStateDictRoundTripsThroughAFile(@TempDir Path dir) throws Exception {
        GradScaler a = new GradScaler("cpu", 1024.0, 3.0, 0.25, 7, true);
        a.scale(torch.ones(1));
        assertEquals(List.of("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"),
                new ArrayList<>(a.stateDict().keySet()));
        TorchFiles.save(a.stateDict(), dir.resolve("scaler.pt"));
        @SuppressWarnings("unchecked")
        Map<String, ?> sd = (Map<String, ?>) TorchFiles.load(dir.resolve("scaler.pt"));
        GradScaler b = new GradScaler("cpu");
        b.loadStateDict(sd);
        assertEquals(a.stateDict(), b.stateDict());
        assertEquals(1024.0, b.getScale());
        assertEquals("The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.",
                assertThrows(IllegalStateException.class, () -> b.loadStateDict(Map.of())).getMessage());
    }

    /** PyTorch's {@code test_grad_scaling_state_dict}, ported: with the scale made lazily or not. */
    @Test
    void aLoadedStateDictSetsEveryFactorAndTheTracker() {
        for (boolean lazyInitScale : new boolean[] {true, false}) {
            GradScaler s0 = new GradScaler("cpu", 3.0, 4.0, 0.5, 2, true);
            GradScaler s1 = new GradScaler("cpu", 6.0, 7.0, 0.8, 1, true);
            if (lazyInitScale) {
                s1.scale(torch.full(new long[] {1}, new Scalar(4.0)));
            }
            s1.loadStateDict(s0.stateDict());
            assertEquals(3.0, s1.getScale());
            assertEquals(4.0, s1.getGrowthFactor());
            assertEquals(0.5, s1.getBackoffFactor());
            assertEquals(2L, s1.getGrowthInterval());
            assertEquals(0L, s1.getGrowthTracker());
        }
    }

    @Test
    void theFactorsCanBeSetBetweenUpdates() {
        List<Tensor> ps = params();
        RAdam opt = optimizer(ps, RAdamOptions.builder());
        GradScaler scaler = new GradScaler("cpu", 8.0, 2.0, 0.5, 100, true);
        scaler.scale(torch.ones(1));
        setGrads(ps, 0, scaler.getScale());
        scaler.step(opt);
        scaler.update();
        assertEquals(1L, scaler.getGrowthTracker());
        scaler.setGrowthInterval(2);
        scaler.setGrowthFactor(3.0);
        setGrads(ps, 1, scaler.getScale());
        scaler.step(opt);
        scaler.update();
        assertEquals(24.0, scaler.getScale(), "the second clean step reaches the new interval; grows by the new factor");
        assertEquals(0L, scaler.getGrowthTracker());
        scaler.setBackoffFactor(0.25);
        setGrads(ps, 2, scaler.getScale());
        ps.get(1).grad().get(0).get(0).fill_(new Scalar(Double.NaN));
        scaler.step(opt);
        scaler.update();
        assertEquals(6.0, scaler.getScale());
        assertEquals(List.of(6.0, 3.0, 0.25, 2L, 0L), new ArrayList<>(scaler.stateDict().values()));
    }

    @Test
    void aCudaScalerWithoutCudaIsDisabledAsInPyTorch() {
        org.junit.jupiter.api.Assumptions.assumeFalse(torch.cuda_is_available(), "CUDA is available here");
        GradScaler scaler = new GradScaler();
        assertTrue(!scaler.isEnabled());
        Tensor loss = torch.ones(1);
        assertSame(loss, scaler.scale(loss));
        assertEquals(1.0, scaler.getScale());
        assertTrue(new GradScaler("cpu").isEnabled());
    }

    /**
     * On a fused RAdam the kernel unscales as it reads: the same bits as unscaling with libtorch's op and then
     * stepping, for every dtype the kernel takes and a scale whose inverse is not exact (3); the gradients it read
     * stay scaled.
     */
    @Test
    void theFusedKernelUnscalesAsUnscaleThenStepDoes() {
        try {
            for (String isa : org.radam4j.internal.FusedKernel.isas()) {
                for (long tablesFrom : new long[] {0, -1}) {
                    assertTrue(org.radam4j.internal.FusedKernel.useIsa(isa));
                    org.radam4j.internal.FusedKernel.tablesFrom(tablesFrom);
                    fusedAgainstUnscaleThenStep(isa + (tablesFrom == 0 ? " with tables" : ""));
                }
            }
        } finally {
            org.radam4j.internal.FusedKernel.useIsa(null);
            org.radam4j.internal.FusedKernel.tablesFrom(-1);
        }
    }

    /**
     * Scales 3 (an inverse that is not exact), 2^16 (the default's) and 2, with gradients of three kinds: Gaussian,
     * at least 1 in magnitude (every unscaled bfloat16/float16 value is then a value of its dtype at scales 2^16 and
     * 2, so the kernel leaves its rounding out), and at least 1 but for one element of each near the dtype's smallest
     * normal times the scale (the product falls below it: the rounding is needed). Every one bit for bit as unscale,
     * then step.
     */
    private void fusedAgainstUnscaleThenStep(String variant) {
        for (torch.ScalarType dtype : List.of(torch.ScalarType.Float, torch.ScalarType.Double, torch.ScalarType.BFloat16,
                torch.ScalarType.Half)) {
            for (double scale : new double[] {3.0, 65536.0, 2.0}) {
                for (int kind = 0; kind < 3; kind++) {
                    fusedAgainstUnscaleThenStep(variant, dtype, scale, kind);
                }
            }
        }
    }

    private void fusedAgainstUnscaleThenStep(String variant, torch.ScalarType dtype, double scale, int kind) {
        List<Tensor> inKernel = new ArrayList<>();
        List<Tensor> explicit = new ArrayList<>();
        torch.manual_seed(11);
        List<Tensor> init = List.of(torch.randn(37, 29), torch.randn(1000), torch.randn(3), torch.randn(64, 16));
        for (List<Tensor> ps : List.of(inKernel, explicit)) {
            for (Tensor p : init) {
                ps.add(p.detach().to(dtype).requires_grad_(true));
            }
        }
        RAdam a = optimizer(inKernel, RAdamOptions.builder().fused(true).weightDecay(0.1).decoupledWeightDecay(true));
        RAdam b = optimizer(explicit, RAdamOptions.builder().fused(true).weightDecay(0.1).decoupledWeightDecay(true));
        GradScaler sa = new GradScaler("cpu", scale, 2.0, 0.5, 2000, true);
        sa.scale(torch.ones(1));
        // the dtype's smallest normal times the scale, a little below it: the unscaled value needs rounding
        double tiny = (dtype == torch.ScalarType.Half ? 0x1p-14 : 0x1p-126) * scale * 0.75;
        String what = variant + " " + dtype + " scale " + scale + " kind " + kind;
        for (int step = 0; step < 8; step++) {
            for (int i = 0; i < init.size(); i++) {
                Tensor g = torch.randn(init.get(i).sizes().vec().get()).mul(new Scalar(3.7));
                if (kind > 0) {
                    g = g.abs().add(new Scalar(1.0)).mul(g.sign().add(new Scalar(0.5)).sign());
                }
                g = g.to(dtype);
                if (kind == 2) {
                    g.view(-1).get(i).fill_(new Scalar(i % 2 == 0 ? tiny : -tiny));
                }
                inKernel.get(i).mutable_grad().put(g.clone());
                explicit.get(i).mutable_grad().put(g.clone());
            }
            byte[] scaledGrad = TensorBytes.of(inKernel.get(1).grad());
            sa.step(a);
            sa.update(scale);
            List<Tensor> grads = new ArrayList<>();
            explicit.forEach(p -> grads.add(p.grad()));
            AmpGrads.unscaleInPlace(grads, (float) (1.0 / scale));
            b.step();
            assertSameBytes(snapshot(explicit, b), snapshot(inKernel, a), what + " step " + step);
            assertArrayEquals(scaledGrad, TensorBytes.of(inKernel.get(1).grad()), "the kernel does not write gradients");
        }
    }

    /** One bfloat16 or float16 value per bit pattern given. */
    private static Tensor ofBits(torch.ScalarType dtype, int... bits) {
        Tensor t = torch.zeros(new long[] {bits.length}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Short));
        for (int i = 0; i < bits.length; i++) {
            t.get(i).fill_(new Scalar((short) bits[i]));
        }
        return t.view(dtype);
    }

    private static int scan(Tensor g, float inverse) {
        return org.radam4j.internal.FusedKernel.scan(org.radam4j.internal.FusedKernel.dtypeCode(org.radam4j.internal.Dtypes.of(g)),
                new long[] {g.data_ptr().address()}, new long[] {g.numel()}, 1, inverse);
    }

    /**
     * The scan says unscaling is exact exactly where every nonzero gradient is at least 2^k times the dtype's
     * smallest normal (bits {@code (k + 1) << 7} in bfloat16, {@code (k + 1) << 10} in float16) for an inverse scale
     * 2^-k with k >= 0; a non-finite value wins over everything.
     */
    @Test
    void theScanSaysWhereUnscalingNeedsNoRounding() {
        int exact = org.radam4j.internal.FusedKernel.SCAN_EXACT;
        int nonFinite = org.radam4j.internal.FusedKernel.SCAN_NON_FINITE;
        for (int k : new int[] {0, 1, 16}) {
            float inverse = (float) Math.pow(2, -k);
            int bf = (k + 1) << 7;
            int half = (k + 1) << 10;
            assertEquals(exact, scan(ofBits(torch.ScalarType.BFloat16, bf, 0, 0x8000, 0x3f80, bf | 0x8000), inverse));
            assertEquals(0, scan(ofBits(torch.ScalarType.BFloat16, 0x3f80, bf - 1), inverse));
            assertEquals(0, scan(ofBits(torch.ScalarType.BFloat16, 0x3f80, (bf - 1) | 0x8000), inverse));
            assertEquals(nonFinite, scan(ofBits(torch.ScalarType.BFloat16, bf - 1, 0x7f80), inverse));
            assertEquals(exact, scan(ofBits(torch.ScalarType.Half, half, 0, 0x7bff, half | 0x8000), inverse));
            assertEquals(0, scan(ofBits(torch.ScalarType.Half, 0x3c00, half - 1), inverse));
            assertEquals(nonFinite, scan(ofBits(torch.ScalarType.Half, 0x3c00, 0x7e00), inverse));
        }
        Tensor ones = ofBits(torch.ScalarType.BFloat16, 0x3f80, 0x3f80);
        assertEquals(0, scan(ones, 1.0f / 3), "not a power of two");
        assertEquals(0, scan(ones, 2.0f), "greater than 1");
        assertEquals(0, scan(torch.ones(4), 1.0f), "float32 has no rounding to leave out");
    }

    /** The fused route's check finds one inf or NaN anywhere, in every dtype, and the step is skipped. */
    @Test
    void theFusedCheckFindsOneNonFiniteElementInEveryDtype() {
        for (torch.ScalarType dtype : List.of(torch.ScalarType.Float, torch.ScalarType.Double, torch.ScalarType.BFloat16,
                torch.ScalarType.Half)) {
            for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}) {
                for (long at : new long[] {0, 777, 99_999}) {
                    Tensor p = torch.randn(100_000).to(dtype).requires_grad_(true);
                    Tensor q = torch.randn(10).to(dtype).requires_grad_(true);
                    RAdam opt = new RAdam(List.of(p, q), RAdamOptions.builder().fused(true).build());
                    GradScaler scaler = new GradScaler("cpu");
                    scaler.scale(torch.ones(1));
                    p.mutable_grad().put(torch.ones(100_000).to(dtype));
                    q.mutable_grad().put(torch.ones(10).to(dtype));
                    p.grad().get(at).fill_(new Scalar(bad));
                    byte[] before = TensorBytes.of(p);
                    scaler.step(opt);
                    scaler.update();
                    assertArrayEquals(before, TensorBytes.of(p), dtype + " " + bad + " at " + at);
                    assertEquals(32768.0, scaler.getScale(), dtype + " " + bad + " at " + at);
                    assertNull(opt.state(p));
                }
            }
        }
    }

    /** The largest finite value of each dtype, negative or not, and -0 are no reason to skip a step. */
    @Test
    void theFusedCheckPassesTheLargestFiniteValues() {
        Map<torch.ScalarType, Double> largest = Map.of(torch.ScalarType.Float, (double) Float.MAX_VALUE,
                torch.ScalarType.Double, Double.MAX_VALUE, torch.ScalarType.BFloat16, 3.3895313892515355e38,
                torch.ScalarType.Half, 65504.0);
        for (Map.Entry<torch.ScalarType, Double> e : largest.entrySet()) {
            for (double value : new double[] {e.getValue(), -e.getValue(), -0.0}) {
                Tensor p = torch.randn(10_000).to(e.getKey()).requires_grad_(true);
                RAdam opt = new RAdam(List.of(p), RAdamOptions.builder().fused(true).build());
                GradScaler scaler = new GradScaler("cpu", 1.0, 2.0, 0.5, 2000, true);
                scaler.scale(torch.ones(1));
                p.mutable_grad().put(torch.zeros(10_000).to(e.getKey()));
                p.grad().get(4321).fill_(new Scalar(value));
                scaler.step(opt);
                scaler.update();
                assertEquals(1.0, scaler.getScale(), e.getKey() + " " + value + ": no backoff");
                assertEquals(1.0, opt.state(p).step().item_double(), e.getKey() + " " + value + ": the step was taken");
            }
        }
    }
}
