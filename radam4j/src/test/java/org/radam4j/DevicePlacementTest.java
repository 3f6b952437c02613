package org.radam4j;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Device handling without a GPU: whole steps on PyTorch's {@code meta} device (shapes and devices, no data),
 * and the capturable variants, which PyTorch runs only on CUDA-like devices, run here on CPU tensors through
 * their cores. (libtorch 2.10 has no meta kernel for {@code where}, so the capturable cores cannot run on meta.)
 */
@ExtendWith(NativeScope.class)
class DevicePlacementTest {

    @BeforeEach
    void seed() {
        torch.manual_seed(3);
    }

    private static Tensor meta(Tensor t) {
        return t.to(new Device("meta"), Dtypes.of(t));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void wholeStepOnMetaKeepsStateOnTheParamsDevice(boolean foreach) {
        List<Tensor> params = new ArrayList<>();
        for (Tensor t : new Tensor[] {randn(4, 3), randn(5).to(ScalarType.Double), randn(2, 2).to(ScalarType.ComplexFloat)}) {
            Tensor p = meta(t);
            p.requires_grad_(true);
            p.mutable_grad().put(meta(ones(t.sizes().vec().get()).to(Dtypes.of(t))));
            params.add(p);
        }
        RAdam opt = new RAdam(params, RAdamOptions.builder().foreach(foreach).weightDecay(0.1).maximize(true).build());
        for (int s = 0; s < 7; s++) {
            opt.step();
        }
        for (Tensor p : params) {
            ParamState st = opt.state(p);
            assertTrue(p.is_meta());
            assertTrue(st.expAvg().is_meta() && st.expAvgSq().is_meta(), "moments on the param's device");
            assertEquals("cpu", Tensors.deviceName(st.step()), "the non-capturable step counter stays on the CPU");
            assertEquals(7.0, st.step().item_double());
            assertEquals(Dtypes.of(p), Dtypes.of(st.expAvg()));
        }
    }

    @Test
    void capturableRefusesMetaAndCpuWithPyTorchsMessage() {
        Tensor p = meta(randn(3));
        p.mutable_grad().put(meta(ones(3)));
        RAdam loop = new RAdam(List.of(p), RAdamOptions.builder().capturable(true).build());
        assertEquals("If capturable=True, params and state_steps must be on supported devices: ['cuda', 'xpu', 'hpu', "
                + "'privateuseone', 'xla'].", assertThrows(IllegalStateException.class, loop::step).getMessage());
        RAdam foreach = new RAdam(List.of(p), RAdamOptions.builder().capturable(true).foreach(true).build());
        assertEquals("If capturable=True, params and state_steps must be on supported devices: ['cuda', 'xpu', 'hpu', "
                + "'privateuseone'].", assertThrows(IllegalStateException.class, foreach::step).getMessage());
        assertEquals(null, foreach.state(p));
    }

    @Test
    void capturableStateLivesOnTheParamsDevice() {
        Tensor p = meta(randn(3));
        ParamState s = RAdam.newState(p, RAdamOptions.builder().capturable(true).build());
        assertTrue(s.step().is_meta() && s.expAvg().is_meta());
        assertEquals(ScalarType.Float, Dtypes.of(s.step()));
        assertEquals(0, s.step().dim());
    }

    /**
     * On CPU tensors the capturable math tracks the regular path. It computes bias corrections and rho_t from the
     * float32 step counter in float32, as PyTorch's does; rho_t's cancellation (about 1999 - 1994 at step 6)
     * costs about 1e-4 relative in rect, hence 1e-5 on params after 20 steps of lr 0.01.
     */
    @ParameterizedTest
    @ValueSource(strings = {"forloop", "foreach", "forloop-lr-tensor", "foreach-lr-tensor"})
    void capturableMathMatchesTheRegularPath(String variant) {
        boolean foreach = variant.startsWith("foreach");
        RAdamOptions.Builder b = RAdamOptions.builder().lr(0.01).weightDecay(0.1).foreach(foreach);
        if (variant.endsWith("lr-tensor")) {
            b.lr(ones(1).mul_(new org.bytedeco.pytorch.Scalar(0.01)));
        }
        RAdamOptions regular = b.build();
        RAdamOptions capturable = b.capturable(true).build();
        Tensor p = randn(64).to(ScalarType.Double);
        Tensor q = p.clone();
        ParamState sp = RAdam.newState(p, regular);
        ParamState sq = RAdam.newState(q, capturable);
        StepPath.Kind kind = foreach ? StepPath.Kind.FOREACH : StepPath.Kind.FORLOOP;
        for (int i = 0; i < 20; i++) {
            Tensor g = randn(64).to(ScalarType.Double);
            StepPath.of(kind).step(GroupTensors.of(List.of(p), List.of(g), List.of(sp.expAvg()), List.of(sp.expAvgSq()),
                    List.of(sp.step())), regular);
            StepPath.of(kind).step(GroupTensors.of(List.of(q), List.of(g), List.of(sq.expAvg()), List.of(sq.expAvgSq()),
                    List.of(sq.step())), capturable);
        }
        assertTrue(torch.allclose(q, p, 1e-5, 1e-5, false), "capturable and regular paths agree: max diff " + q.sub(p).abs().max().item_double());
        assertTrue(torch.allclose(sq.expAvg(), sp.expAvg(), 1e-5, 1e-7, false), "exp_avg agrees");
        assertEquals(20.0, sq.step().item_double());
    }
}
