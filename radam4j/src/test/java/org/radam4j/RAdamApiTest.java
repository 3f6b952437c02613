package org.radam4j;

import org.radam4j.internal.PyRepr;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radam4j.NativeScope.param;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.internal.TensorBytes;

/** The optimizer's API: options, groups, lazy state, step and zeroGrad semantics, and its refusals. */
@ExtendWith(NativeScope.class)
class RAdamApiTest {

    @BeforeEach
    void seed() {
        torch.manual_seed(7);
    }

    private static byte[] bytes(Tensor t) {
        return TensorBytes.of(t);
    }

    @Test
    void defaultsAreTorchs() {
        RAdamOptions o = RAdamOptions.defaults();
        assertEquals(1e-3, o.lr());
        assertEquals(0.9, o.beta1());
        assertEquals(0.999, o.beta2());
        assertEquals(1e-8, o.eps());
        assertEquals(0.0, o.weightDecay());
        assertFalse(o.decoupledWeightDecay() || o.maximize() || o.capturable() || o.differentiable());
        assertNull(o.foreach());
        assertEquals(RAdamOptions.KEYS, List.copyOf(o.toMap().keySet()));
    }

    @Test
    void optionMessagesAreTorchs() {
        assertEquals("Invalid learning rate: nan",
                assertThrows(IllegalArgumentException.class, () -> RAdamOptions.builder().lr(Double.NaN).build()).getMessage());
        assertEquals("Invalid epsilon value: -1e-05",
                assertThrows(IllegalArgumentException.class, () -> RAdamOptions.builder().eps(-1e-5).build()).getMessage());
        assertEquals("Invalid weight_decay value: -0.0001",
                assertThrows(IllegalArgumentException.class, () -> RAdamOptions.builder().weightDecay(-1e-4).build()).getMessage());
        assertEquals("Invalid beta parameter at index 1: 2.5",
                assertThrows(IllegalArgumentException.class, () -> RAdamOptions.builder().betas(0.5, 2.5).build()).getMessage());
        assertEquals("Invalid learning rate: tensor(-1.)",
                assertThrows(IllegalArgumentException.class, () -> RAdamOptions.builder().lr(ones(1).neg()).build()).getMessage());
    }

    @Test
    void pythonFloatRepr() {
        assertEquals("1.0", PyRepr.of(1.0));
        assertEquals("-1e-08", PyRepr.of(-1e-8));
        assertEquals("0.0001", PyRepr.of(1e-4));
        assertEquals("1e-05", PyRepr.of(1e-5));
        assertEquals("1e+16", PyRepr.of(1e16));
        assertEquals("1234567890123456.0", PyRepr.of(1234567890123456.0));
        assertEquals("0.1", PyRepr.of(0.1));
        assertEquals("-inf", PyRepr.of(Double.NEGATIVE_INFINITY));
        assertEquals("1.5e+300", PyRepr.of(1.5e300));
    }

    @Test
    void acceptsModuleParametersAndNamedParameters() {
        org.bytedeco.pytorch.Module module = new org.bytedeco.pytorch.Module();
        module.register_module("0", new org.bytedeco.pytorch.LinearImpl(8, 16));
        module.register_module("1", new org.bytedeco.pytorch.TanhImpl());
        module.register_module("2", new org.bytedeco.pytorch.LinearImpl(16, 1));
        TensorVector params = module.parameters();
        RAdam a = new RAdam(params);
        assertEquals(4, a.paramGroups().get(0).params().size());
        assertNull(a.paramGroups().get(0).paramNames());
        RAdam b = new RAdam(module.named_parameters(), RAdamOptions.defaults());
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), b.paramGroups().get(0).paramNames());
        assertTrue(b.paramGroups().get(0).params().get(0).is_same(params.get(0)));
    }

    @Test
    void refusesUnorderedCollections() {
        Set<Tensor> set = new HashSet<>(List.of(param(2)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RAdam(set, RAdamOptions.defaults()))
                .getMessage().startsWith("optimizer parameters need to be organized in ordered collections"));
        Map<String, Tensor> unordered = new java.util.HashMap<>(Map.of("a", param(2)));
        assertThrows(IllegalArgumentException.class, () -> new RAdam(unordered, RAdamOptions.defaults()));
    }

    @Test
    void groupsTakeDefaultsKeepUnknownKeysAndStayLive() {
        Tensor a = param(3);
        Tensor b = param(2);
        RAdam opt = new RAdam(List.of(ParamGroupSpec.of(a).lr(0.1).set("note", "head"), ParamGroupSpec.of(b)),
                RAdamOptions.builder().lr(0.01).eps(1e-6).build());
        ParamGroup g0 = opt.paramGroups().get(0);
        assertEquals(0.1, g0.lr());
        assertEquals(1e-6, g0.options().eps());
        assertEquals("head", g0.extras().get("note"));
        assertEquals(0.01, opt.paramGroups().get(1).lr());
        assertEquals(List.of("lr", "note", "betas", "eps", "weight_decay", "maximize", "foreach", "capturable",
                "decoupled_weight_decay", "differentiable"), List.copyOf(g0.toMap().keySet()));
        g0.setLr(0.5);
        assertEquals(0.5, opt.paramGroups().get(0).lr());
        assertThrows(UnsupportedOperationException.class, () -> opt.paramGroups().remove(0));
        assertThrows(IllegalArgumentException.class, () -> g0.setLr(-1));
        assertEquals(0.5, g0.lr());
    }

    @Test
    void stateIsCreatedLazilyAndOnlyForParamsWithGradients() {
        Tensor a = param(4);
        Tensor b = param(2, 2);
        RAdam opt = new RAdam(List.of(a, b), RAdamOptions.defaults());
        assertNull(opt.state(a));
        a.mutable_grad().put(ones(4));
        byte[] before = bytes(b);
        opt.step();
        ParamState s = opt.state(a);
        assertNotNull(s);
        assertNull(opt.state(b), "a param without a gradient gets no state");
        assertArrayEquals(before, bytes(b), "and is not changed");
        assertEquals(ScalarType.Float, Dtypes.of(s.step()));
        assertEquals(0, s.step().dim());
        assertTrue(s.step().device().is_cpu());
        assertEquals(1.0, s.step().item_double());
        assertArrayEquals(a.sizes().vec().get(), s.expAvg().sizes().vec().get());
        opt.step();
        assertEquals(2.0, opt.state(a).step().item_double());
    }

    @Test
    void closureRunsWithGradEnabledAndItsLossIsReturned() {
        Tensor p = param(3);
        RAdam opt = new RAdam(List.of(p), RAdamOptions.defaults());
        boolean[] enabled = new boolean[1];
        try (org.bytedeco.pytorch.NoGradGuard off = new org.bytedeco.pytorch.NoGradGuard()) {
            Tensor loss = opt.step(() -> {
                enabled[0] = GradMode.is_enabled();
                Tensor l = p.mul(p).sum();
                l.backward();
                return l;
            });
            assertTrue(enabled[0]);
            assertNotNull(loss);
            assertFalse(GradMode.is_enabled(), "the caller's grad mode is restored");
        }
        assertNotNull(opt.state(p));
    }

    @Test
    void zeroGradSetsToNoneOrZeroesInPlace() {
        Tensor p = param(3);
        RAdam opt = new RAdam(List.of(p), RAdamOptions.defaults());
        p.mutable_grad().put(ones(3));
        opt.zeroGrad(false);
        assertTrue(p.grad().defined());
        assertEquals(0.0, p.grad().abs().sum().item_double());
        assertFalse(p.grad().requires_grad());
        opt.zeroGrad();
        assertFalse(p.grad().defined());
    }

    @Test
    void mismatchedGradientIsRejectedBeforeAnythingChanges() {
        Tensor a = param(3);
        Tensor b = param(2);
        RAdam opt = new RAdam(List.of(ParamGroupSpec.of(a), ParamGroupSpec.of(b)), RAdamOptions.defaults());
        a.mutable_grad().put(ones(3));
        b.mutable_grad().put(ones(3));
        byte[] before = bytes(a);
        IllegalStateException e = assertThrows(IllegalStateException.class, opt::step);
        assertEquals("the gradient of param 0 in param group 1 has shape [3] but the param has shape [2]", e.getMessage());
        assertArrayEquals(before, bytes(a), "group 0 was not stepped");
        assertNull(opt.state(a), "nor was its state created");

        b.mutable_grad().put(ones(2).to(ScalarType.Double));
        assertTrue(assertThrows(IllegalStateException.class, opt::step).getMessage().contains("has dtype float64 but the param has dtype float32"));
        b.mutable_grad().put(ones(2).to_sparse());
        assertEquals("RAdam does not support sparse gradients", assertThrows(IllegalStateException.class, opt::step).getMessage());
        assertArrayEquals(before, bytes(a));
        b.mutable_grad().put(ones(2));
        opt.step();
        assertNotNull(opt.state(a));
    }

    @Test
    void foreachGroupsByDeviceAndDtypeInFirstSeenOrder() {
        Tensor a = param(3);
        Tensor b = param(2).to(ScalarType.Double);
        Tensor c = param(4);
        assertEquals(List.of(List.of(0, 2), List.of(1)), ForeachRAdam.groupByDeviceAndDtype(List.of(a, b, c)));
    }

    @Test
    void foreachAndForLoopAgreeOnMixedDtypes() {
        Tensor[] ps = {param(5), param(3).to(ScalarType.Double), param(2, 2)};
        Tensor[] qs = new Tensor[ps.length];
        for (int i = 0; i < ps.length; i++) {
            ps[i] = ps[i].detach().requires_grad_(true);
            qs[i] = ps[i].detach().clone().requires_grad_(true);
        }
        RAdam foreach = new RAdam(List.of(ps), RAdamOptions.builder().foreach(true).lr(0.1).build());
        RAdam forloop = new RAdam(List.of(qs), RAdamOptions.builder().foreach(false).lr(0.1).build());
        for (int s = 0; s < 10; s++) {
            for (int i = 0; i < ps.length; i++) {
                Tensor g = randn(ps[i].sizes().vec().get()).to(Dtypes.of(ps[i]));
                ps[i].mutable_grad().put(g);
                qs[i].mutable_grad().put(g);
            }
            foreach.step();
            forloop.step();
        }
        for (int i = 0; i < ps.length; i++) {
            assertTrue(torch.allclose(ps[i], qs[i], 1e-5, 1e-6, false), "param " + i);
            assertEquals(10.0, foreach.state(ps[i]).step().item_double());
        }
    }

    @Test
    void tensorLrIsSharedAndOneElementTensorsAreSqueezed() {
        Tensor lr = ones(1).mul_(new Scalar(0.01));
        Tensor p = param(3);
        Tensor q = p.detach().clone();
        q.requires_grad_(true);
        RAdam withTensor = new RAdam(List.of(p), RAdamOptions.builder().lr(lr).build());
        RAdam withDouble = new RAdam(List.of(q), RAdamOptions.builder().lr(0.01f).build());
        for (int i = 0; i < 8; i++) {
            Tensor g = randn(3);
            p.mutable_grad().put(g);
            q.mutable_grad().put(g);
            withTensor.step();
            withDouble.step();
        }
        assertArrayEquals(bytes(q), bytes(p), "a float32 tensor lr gives the same float32 update as its value");
        assertSame(lr, withTensor.paramGroups().get(0).options().lrTensor());
    }

    @Test
    void stepOutsideAndInsideACallersPointerScopeKeepsState() {
        Tensor p = param(3);
        RAdam opt = new RAdam(List.of(p), RAdamOptions.defaults());
        for (int i = 0; i < 3; i++) {
            try (PointerScope s = new PointerScope()) {
                p.mutable_grad().put(ones(3));
                opt.step();
            }
        }
        assertEquals(3.0, opt.state(p).step().item_double());
    }

    @Test
    void dynamicCreateTakesGroupMaps() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("params", List.of(param(2)));
        g.put("lr", 0.2);
        RAdam opt = RAdam.create(List.of(g), RAdamOptions.defaults());
        assertEquals(0.2, opt.paramGroups().get(0).lr());
        assertEquals("params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.DoubleTensor",
                assertThrows(IllegalArgumentException.class,
                        () -> RAdam.create(ones(2).to(ScalarType.Double), RAdamOptions.defaults())).getMessage());
    }
}
