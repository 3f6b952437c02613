package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.NativeScope;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.io.ModuleStates;
import org.radam4j.io.JitModules;

/**
 * The {@code *_list} walks at their ends (empty, one element, the last element) and what is built on them:
 * RAdam over a TorchScript module's params, groups by name prefix, its state dict.
 */
@ExtendWith(NativeScope.class)
class JitModulesTest {


    private static JitModule module(String name, int params, int buffers) {
        JitModule m = new JitModule(new QualifiedName(name));
        for (int i = 0; i < params; i++) {
            m.register_parameter("w" + i, torch.full(new long[] {2}, new Scalar((double) i)).requires_grad_(true), false);
        }
        for (int i = 0; i < buffers; i++) {
            m.register_buffer("b" + i, torch.full(new long[] {1}, new Scalar(10.0 + i)));
        }
        return m;
    }

    @Test
    void anEmptyListWalksToNothing() {
        JitModule m = module("Empty", 0, 0);
        assertEquals(List.of(), JitModules.parameters(m));
        assertEquals(Map.of(), JitModules.namedParameters(m));
        assertEquals(Map.of(), JitModules.namedBuffers(m));
        assertEquals(Map.of(), ModuleStates.stateDict(m));
        assertEquals("optimizer got an empty parameter list", assertThrows(IllegalArgumentException.class,
                () -> new RAdam(m.parameters(true), RAdamOptions.builder().build())).getMessage());
    }

    @Test
    void oneElement() {
        JitModule m = module("One", 1, 1);
        List<Tensor> ps = JitModules.parameters(m);
        assertEquals(1, ps.size());
        assertEquals(0.0, ps.get(0).get(1).item_double());
        assertEquals(List.of("w0"), List.copyOf(JitModules.namedParameters(m).keySet()));
        assertEquals(List.of("w0", "b0"), List.copyOf(ModuleStates.stateDict(m).keySet()));
    }

    /** The last element is read and the walk stops there (the C++-style loop ran past it and aborted the JVM). */
    @Test
    void theLastElementIsReadAndNothingBeyond() {
        JitModule m = module("Three", 3, 2);
        JitModule sub = module("Sub", 2, 1);
        m.register_module("sub", sub);
        List<Tensor> ps = JitModules.parameters(m);
        assertEquals(5, ps.size());
        assertEquals(1.0, ps.get(4).get(0).item_double(), "the last param is sub.w1");
        assertEquals(List.of("w0", "w1", "w2", "sub.w0", "sub.w1"), List.copyOf(JitModules.namedParameters(m).keySet()));
        assertEquals(List.of("b0", "b1", "sub.b0"), List.copyOf(JitModules.namedBuffers(m).keySet()));
        assertEquals(List.of("w0", "w1", "w2", "b0", "b1", "sub.w0", "sub.w1", "sub.b0"),
                List.copyOf(ModuleStates.stateDict(m).keySet()), "Python's state_dict order: per module, params then buffers");
        assertEquals(List.of("sub.w0", "sub.w1"), List.copyOf(JitModules.namedParameters(m, "sub.").keySet()));
    }

    @Test
    void radamUpdatesTheModulesOwnTensorsWithPythonsParamNames() {
        JitModule m = module("Net", 2, 0);
        m.register_module("head", module("Head", 1, 0));
        RAdam opt = new RAdam(List.of(ParamGroupSpec.named(m, "w"), ParamGroupSpec.named(m, "head.").lr(0.1)),
                RAdamOptions.builder().lr(0.01).build());
        assertEquals(List.of("w0", "w1"), opt.paramGroups().get(0).paramNames());
        assertEquals(List.of("head.w0"), opt.paramGroups().get(1).paramNames());
        for (Tensor p : JitModules.parameters(m)) {
            p.mutable_grad().put(torch.ones(2));
        }
        opt.step();
        Map<String, Tensor> after = JitModules.namedParameters(m);
        assertEquals(0.0 - 0.01, after.get("w0").get(0).item_double(), 1e-6, "the module's own tensor moved");
        assertEquals(0.0 - 0.1, after.get("head.w0").get(0).item_double(), 1e-6);
        assertEquals("no parameter of the module has a name starting with 'tail.'",
                assertThrows(IllegalArgumentException.class, () -> ParamGroupSpec.named(m, "tail.")).getMessage());
    }

    @Test
    void loadChecksEverythingBeforeItCopies() {
        JitModule m = module("Net", 2, 1);
        Map<String, Object> good = new LinkedHashMap<>();
        ModuleStates.stateDict(m).forEach((k, v) -> good.put(k, v.clone().add(new Scalar(1.0))));
        Map<String, Object> bad = new LinkedHashMap<>(good);
        bad.put("w1", torch.zeros(3));
        Tensor before = ModuleStates.stateDict(m).get("w0").clone();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModuleStates.load(m, bad)).getMessage()
                .startsWith("size mismatch for w1"));
        assertTrue(torch.equal(before, ModuleStates.stateDict(m).get("w0")), "w0 was not copied before the check failed");
        ModuleStates.load(m, good);
        assertEquals(1.0, ModuleStates.stateDict(m).get("w0").get(0).item_double());
        assertSame(IllegalArgumentException.class, assertThrows(IllegalArgumentException.class,
                () -> ModuleStates.load(m, Map.of("w0", torch.zeros(2)))).getClass());
    }
}
