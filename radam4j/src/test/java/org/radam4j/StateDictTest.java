package org.radam4j;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.radam4j.NativeScope.param;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.internal.TensorBytes;

/** stateDict() in PyTorch's layout and loadStateDict()'s rules, checks and atomicity. */
@ExtendWith(NativeScope.class)
class StateDictTest {

    @BeforeEach
    void seed() {
        torch.manual_seed(5);
    }

    private static RAdam stepped(Tensor... params) {
        RAdam opt = new RAdam(List.of(params), RAdamOptions.builder().lr(0.01).build());
        for (Tensor p : params) {
            p.mutable_grad().put(ones(p.sizes().vec().get()));
        }
        opt.step();
        opt.step();
        return opt;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> sd) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : sd.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map<?, ?> m) {
                Map<Object, Object> c = new LinkedHashMap<>();
                m.forEach((k, x) -> c.put(k, x instanceof Map<?, ?> mm ? new LinkedHashMap<>((Map<Object, Object>) mm) : x));
                v = c;
            } else if (v instanceof List<?> l) {
                List<Object> c = new ArrayList<>();
                l.forEach(x -> c.add(x instanceof Map<?, ?> mm ? new LinkedHashMap<>((Map<Object, Object>) mm) : x));
                v = c;
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void layoutIsPyTorchs() {
        Tensor a = param(3);
        Tensor b = param(2, 2);
        RAdam opt = stepped(a, b);
        Map<String, Object> sd = opt.stateDict();
        assertEquals(List.of("state", "param_groups"), List.copyOf(sd.keySet()));
        Map<Integer, Map<String, Object>> state = (Map<Integer, Map<String, Object>>) sd.get("state");
        assertEquals(List.of(0, 1), List.copyOf(state.keySet()));
        assertEquals(List.of("step", "exp_avg", "exp_avg_sq"), List.copyOf(state.get(0).keySet()));
        Map<String, Object> g = (Map<String, Object>) ((List<?>) sd.get("param_groups")).get(0);
        assertEquals(List.of("lr", "betas", "eps", "weight_decay", "maximize", "foreach", "capturable",
                "decoupled_weight_decay", "differentiable", "params"), List.copyOf(g.keySet()));
        assertInstanceOf(PyTuple.class, g.get("betas"));
        assertEquals(0, g.get("weight_decay"), "PyTorch's default weight_decay is the int 0");
        assertNull(g.get("foreach"));
        assertEquals(List.of(0, 1), g.get("params"));
        Tensor exported = (Tensor) state.get(0).get("exp_avg");
        assertTrue(exported.is_alias_of(opt.state(a).expAvg()), "state tensors are shared, as in PyTorch");
    }

    @Test
    void loadCastsStateToTheParamsDtypeButKeepsStepAsSaved() {
        Tensor a = param(3);
        RAdam src = stepped(a);
        Tensor b = param(3).to(ScalarType.Double).detach().requires_grad_(true);
        RAdam dst = new RAdam(List.of(b), RAdamOptions.defaults());
        dst.loadStateDict(src.stateDict());
        assertEquals(ScalarType.Double, Dtypes.of(dst.state(b).expAvg()));
        assertEquals(ScalarType.Float, Dtypes.of(dst.state(b).step()));
        assertEquals(2.0, dst.state(b).step().item_double());
        assertEquals(0.01, dst.paramGroups().get(0).lr(), "the saved options win");
        assertFalse(dst.state(b).expAvg().is_alias_of(src.state(a).expAvg()), "loaded tensors are copies");
    }

    @Test
    @SuppressWarnings("unchecked")
    void olderStateDictsLoad() {
        Tensor a = param(3);
        RAdam src = stepped(a);
        Map<String, Object> sd = deepCopy(src.stateDict());
        Map<String, Object> g = (Map<String, Object>) ((List<?>) sd.get("param_groups")).get(0);
        for (String k : List.of("foreach", "maximize", "capturable", "differentiable", "decoupled_weight_decay")) {
            g.remove(k);
        }
        ((Map<Integer, Map<String, Object>>) sd.get("state")).get(0).put("step", 2.0);
        Map<String, Tensor> named = new LinkedHashMap<>();
        Tensor b = param(3);
        named.put("w", b);
        RAdam dst = new RAdam(named, RAdamOptions.builder().maximize(true).build());
        dst.loadStateDict(sd);
        assertFalse(dst.paramGroups().get(0).options().maximize(), "a missing maximize takes PyTorch's default");
        assertEquals(List.of("w"), dst.paramGroups().get(0).paramNames(), "the current names stay");
        assertEquals(ScalarType.Float, Dtypes.of(dst.state(b).step()));
        assertEquals(0, dst.state(b).step().dim());
    }

    @Test
    @SuppressWarnings("unchecked")
    void invalidStateDictsAreRefusedNamingTheKeyAndChangeNothing() {
        Tensor a = param(3);
        Tensor b = param(2);
        RAdam opt = stepped(a, b);
        Map<String, Object> good = deepCopy(opt.stateDict());
        byte[] before = TensorBytes.of(opt.state(a).expAvg());
        List<Consumer<Map<String, Object>>> breakers = List.of(
                sd -> ((Map<Integer, Map<String, Object>>) sd.get("state")).get(1).put("exp_avg", ones(3)),
                sd -> ((Map<Integer, Map<String, Object>>) sd.get("state")).get(0).put("exp_avg_sq", "nope"),
                sd -> ((Map<String, Object>) ((List<?>) sd.get("param_groups")).get(0)).put("lr", -1.0),
                sd -> ((Map<String, Object>) ((List<?>) sd.get("param_groups")).get(0)).put("betas", List.of(0.9)),
                sd -> ((Map<String, Object>) ((List<?>) sd.get("param_groups")).get(0)).put("maximize", "yes"),
                sd -> ((Map<Integer, Map<String, Object>>) sd.get("state")).put(7, Map.of()),
                sd -> sd.remove("state"),
                sd -> ((Map<Integer, Map<String, Object>>) sd.get("state")).get(0).remove("step"));
        List<String> expected = List.of(
                "state_dict['state'][1]['exp_avg'] has shape [3] but its param has shape [2]",
                "state_dict['state'][0]['exp_avg_sq'] must be a tensor, but got str",
                "state_dict['param_groups'][0]: Invalid learning rate: -1.0",
                "state_dict['param_groups'][0]: param group option 'betas' must be a list of 2 numbers, but got list [0.9]",
                "state_dict['param_groups'][0]: param group option 'maximize' must be a boolean, but got str yes",
                "state_dict['state'][7] refers to no param of the optimizer's param groups",
                "state_dict is missing the key 'state'",
                "state_dict['state'][0]['step'] is missing");
        for (int i = 0; i < breakers.size(); i++) {
            Map<String, Object> bad = deepCopy(good);
            breakers.get(i).accept(bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(bad));
            assertEquals(expected.get(i), e.getMessage());
            assertArrayEquals(before, TensorBytes.of(opt.state(a).expAvg()));
            assertEquals(0.01, opt.paramGroups().get(0).lr());
            assertEquals(2.0, opt.state(b).step().item_double());
        }
        opt.loadStateDict(good);
        Tensor scaled = opt.state(a).expAvg().mul(new Scalar(1.0));
        assertArrayEquals(before, TensorBytes.of(scaled));
    }
}
