package org.radam4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestFactory;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.FusedKernel;
import org.radam4j.internal.TensorBytes;

/**
 * A step that fails, for any of the reasons below and on every path, leaves params and state exactly as they
 * were and surfaces as an {@link IllegalArgumentException} or {@link IllegalStateException} whose message has no
 * C++ frames. Each case first takes a good step, so that there is state to keep.
 */
@ExtendWith(NativeScope.class)
class FailedStepTest {

    @BeforeEach
    void seed() {
        torch.manual_seed(5);
    }

    private static final Map<String, Supplier<RAdamOptions.Builder>> PATHS = Map.of(
            "forloop", () -> RAdamOptions.builder().foreach(false),
            "foreach", () -> RAdamOptions.builder().foreach(true),
            "fused", () -> RAdamOptions.builder().fused(true));

    /** Everything a failed step must not change: each param's bytes and its state's, with the step counts. */
    private static List<byte[]> snapshot(RAdam opt, List<Tensor> params) {
        List<byte[]> out = new ArrayList<>();
        for (Tensor p : params) {
            out.add(TensorBytes.of(p.detach()));
            ParamState s = opt.state(p);
            if (s == null) {
                out.add(new byte[0]);
            } else {
                out.add(TensorBytes.of(s.step()));
                out.add(TensorBytes.of(s.expAvg()));
                out.add(TensorBytes.of(s.expAvgSq()));
            }
        }
        return out;
    }

    private static void assertUnchanged(List<byte[]> before, List<byte[]> after) {
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i), after.get(i), "value " + i + " changed by a failed step");
        }
    }

    private static String failsCleanly(RAdam opt, List<Tensor> params, Class<? extends RuntimeException> type) {
        List<byte[]> before = snapshot(opt, params);
        RuntimeException e = assertThrows(type, opt::step);
        assertUnchanged(before, snapshot(opt, params));
        assertFalse(e.getMessage().contains("frame #") || e.getMessage().contains("Exception raised from"),
                "no C++ frames: " + e.getMessage());
        assertNull(e.getCause(), "no cause carrying C++ frames");
        return e.getMessage();
    }

    /** A good step on {@code good}, then one more param that makes the next step fail. */
    private static List<Tensor> twoParams(Tensor bad) {
        Tensor good = torch.randn(40).requires_grad_(true);
        return List.of(good, bad);
    }

    private static void grads(List<Tensor> params) {
        for (Tensor p : params) {
            p.mutable_grad().put(torch.randn(p.sizes(), new TensorOptions(p.scalar_type())));
        }
    }

    @TestFactory
    Stream<DynamicTest> anExpandedParamIsRefusedBeforeAnythingChanges() {
        return PATHS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Tensor expanded = torch.zeros(1).expand(5).requires_grad_(true);
            List<Tensor> params = twoParams(expanded);
            RAdam opt = new RAdam(List.of(params.get(0)), e.getValue().get().build());
            grads(params.subList(0, 1));
            opt.step();
            opt.addParamGroup(ParamGroupSpec.of(expanded));
            grads(params);
            String m = failsCleanly(opt, params, IllegalStateException.class);
            assertTrue(m.startsWith("unsupported operation: more than one element of the written-to tensor refers to a "
                    + "single memory location."), m);
            assertNull(opt.state(expanded), "no state made by the failed step");
        }));
    }

    @TestFactory
    Stream<DynamicTest> anInferenceTensorIsRefusedBeforeAnythingChanges() {
        return PATHS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Tensor inference;
            try (InferenceMode mode = new InferenceMode()) {
                inference = torch.randn(6);
            }
            assertTrue(inference.is_inference());
            List<Tensor> params = twoParams(inference);
            RAdam opt = new RAdam(params, e.getValue().get().build());
            grads(params.subList(0, 1));
            opt.step();
            grads(params);
            String m = failsCleanly(opt, params, IllegalStateException.class);
            assertTrue(m.startsWith("Inplace update to inference tensor outside InferenceMode is not allowed."), m);
        }));
    }

    @TestFactory
    Stream<DynamicTest> aBadGradientIsRefusedBeforeAnythingChanges() {
        return PATHS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Tensor second = torch.randn(7).requires_grad_(true);
            List<Tensor> params = twoParams(second);
            RAdam opt = new RAdam(params, e.getValue().get().build());
            grads(params);
            opt.step();
            params.get(0).mutable_grad().put(torch.randn(40));
            second.mutable_grad().put(torch.randn(7).to(ScalarType.Double));
            String m = failsCleanly(opt, params, IllegalStateException.class);
            assertEquals("the gradient of param 1 in param group 0 has dtype float64 but the param has dtype float32", m);
        }));
    }

    /**
     * {@code differentiable} on a leaf that requires grad: PyTorch raises libtorch's error after advancing the
     * first params' step, exp_avg and exp_avg_sq; radam4j refuses before the step with the same message.
     */
    @Test
    void differentiableMisuseIsRefusedBeforeAnythingChanges() {
        Tensor leaf = torch.randn(4).requires_grad_(true);
        Tensor base = torch.randn(40).requires_grad_(true);
        Tensor nonLeaf = base.mul(new Scalar(1.0));
        List<Tensor> params = List.of(nonLeaf, leaf);
        RAdam opt = new RAdam(params, RAdamOptions.builder().differentiable(true).build());
        grads(params);
        String m = failsCleanly(opt, params, IllegalStateException.class);
        assertEquals("a leaf Variable that requires grad is being used in an in-place operation.", m);
        assertNull(opt.state(nonLeaf), "the param before the leaf was not stepped");
    }

    @Test
    void foreachWithDifferentiableIsRefusedWhenTheOptionsAreBuilt() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RAdamOptions.builder().foreach(true).differentiable(true).build());
        assertEquals("_foreach ops don't support autograd", e.getMessage());
        RAdam opt = new RAdam(List.of(torch.randn(3).requires_grad_(true)), RAdamOptions.builder().build());
        assertThrows(IllegalStateException.class, () -> opt.addParamGroup(ParamGroupSpec.of(torch.randn(2).requires_grad_(true))
                .foreach(true).differentiable(true)));
        assertEquals(1, opt.paramGroups().size(), "the refused group was not added");
    }

    /** The kernel checks its whole batch before it writes anything, step counters included. */
    @Test
    void aRefusedKernelCallLeavesTheStepCountersAlone() {
        Tensor step = torch.full(new long[0], new Scalar(3.0), new TensorOptions(ScalarType.Float));
        long[] addr = {step.data_ptr().address()};
        long[] zero = {0};
        double[] d = {1};
        FusedKernel.GroupScalars group = new FusedKernel.GroupScalars(1e-3, 0.9, 0.999, 1e-8, 0, 1, false, false, 0);
        assertThrows(IllegalArgumentException.class, () -> FusedKernel.step(group, new FusedKernel.ParamBatch(
                FusedKernel.FLOAT32, zero, zero, zero, zero, new long[] {4}, d, d, d, new boolean[] {true}, addr,
                new int[] {FusedKernel.STEP_FLOAT32}, new double[] {4}), 1));
        assertEquals(3.0, step.item_double(), "the counter is written only after every element is stepped");
    }

    /** After {@code set_default_dtype(float64)} PyTorch keeps {@code step} in float64 (its {@code _get_scalar_dtype()}). */
    @TestFactory
    Stream<DynamicTest> stepCountersFollowTheDefaultDtype() {
        return PATHS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            var before = torch.get_default_dtype();
            torch.set_default_dtype(torch.scalarTypeToTypeMeta(ScalarType.Double));
            try {
                Tensor p = torch.randn(5).requires_grad_(true);
                RAdam opt = new RAdam(List.of(p), e.getValue().get().build());
                for (int s = 0; s < 3; s++) {
                    grads(List.of(p));
                    opt.step();
                }
                assertEquals(ScalarType.Double, Dtypes.of(opt.state(p).step()));
                assertEquals(3.0, opt.state(p).step().item_double());
                Map<String, Object> sd = opt.stateDict();
                @SuppressWarnings("unchecked")
                Map<Object, Map<String, Object>> st = (Map<Object, Map<String, Object>>) sd.get("state");
                st.values().iterator().next().put("step", 3L);
                opt.loadStateDict(sd);
                assertEquals(ScalarType.Double, Dtypes.of(opt.state(p).step()), "a numeric step loads as float64 too");
            } finally {
                torch.set_default_dtype(before);
            }
            Tensor q = torch.randn(5).requires_grad_(true);
            RAdam opt = new RAdam(List.of(q), e.getValue().get().build());
            grads(List.of(q));
            opt.step();
            assertEquals(ScalarType.Float, Dtypes.of(opt.state(q).step()));
        }));
    }
}
