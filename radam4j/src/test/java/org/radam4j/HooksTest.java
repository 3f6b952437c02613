package org.radam4j;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.internal.TensorBytes;

/** The Optimizer hooks, after PyTorch's own tests of them (test_optim.py). */
@ExtendWith(NativeScope.class)
class HooksTest {


    private static RAdam optimizer() {
        Tensor p = ones(2);
        p.requires_grad_(true);
        p.mutable_grad().put(ones(2));
        return new RAdam(List.of(p), RAdamOptions.builder().lr(0.01).build());
    }

    /** test_step_all_hooks: global pre, pre, (step), post, global post; removal stops them, twice is fine. */
    @Test
    void stepHooksRunInPyTorchsOrderUntilRemoved() {
        List<Integer> data = new ArrayList<>();
        RAdam opt1 = optimizer();
        RAdam opt2 = optimizer();
        RemovableHandle gpre = RAdam.registerGlobalStepPreHook((o, c) -> {
            data.add(0);
            return null;
        });
        RemovableHandle gpost = RAdam.registerGlobalStepPostHook((o, c) -> data.add(5));
        List<RemovableHandle> local = new ArrayList<>();
        for (RAdam o : List.of(opt1, opt2)) {
            local.add(o.registerStepPreHook((opt, c) -> {
                data.add(1);
                return null;
            }));
            local.add(o.registerStepPostHook((opt, c) -> data.add(2)));
        }
        try {
            opt1.step();
            assertEquals(List.of(0, 1, 2, 5), data);
            opt2.step();
            opt1.step();
            assertEquals(List.of(0, 1, 2, 5, 0, 1, 2, 5, 0, 1, 2, 5), data);
        } finally {
            gpre.remove();
            gpost.remove();
            local.forEach(RemovableHandle::remove);
        }
        gpre.remove();
        local.forEach(RemovableHandle::close);
        opt1.step();
        opt2.step();
        assertEquals(12, data.size());
    }

    @Test
    void aPreHookMayReplaceTheClosure() {
        RAdam opt = optimizer();
        try (RemovableHandle h = opt.registerStepPreHook((o, closure) -> () -> "replaced")) {
            Object loss = opt.step(() -> "original");
            assertEquals("replaced", loss);
        }
        assertEquals("original", opt.step(() -> "original"));
    }

    /** test_load_state_dict_pre_hook_and_prepend: a prepended hook returns a new map, a later one edits it. */
    @Test
    @SuppressWarnings("unchecked")
    void loadStateDictPreHooksPrependAndReplace() {
        RAdam opt = optimizer();
        opt.step();
        Map<String, Object> sd = opt.stateDict();
        opt.registerLoadStateDictPreHook((o, s) -> {
            ((Map<String, Object>) ((List<?>) s.get("param_groups")).get(0)).put("lr", 0.002);
            return null;
        }, false);
        opt.registerLoadStateDictPreHook((o, s) -> {
            Map<String, Object> copy = new LinkedHashMap<>(s);
            Map<String, Object> group = new LinkedHashMap<>((Map<String, Object>) ((List<?>) s.get("param_groups")).get(0));
            group.put("lr", 0.003);
            copy.put("param_groups", List.of(group));
            return copy;
        }, true);
        List<String> post = new ArrayList<>();
        opt.registerLoadStateDictPostHook(o -> post.add("second"), false);
        opt.registerLoadStateDictPostHook(o -> post.add("first"), true);
        opt.loadStateDict(sd);
        assertEquals(0.002, opt.paramGroups().get(0).lr());
        assertEquals(List.of("first", "second"), post);
        assertEquals(0.01, ((Map<String, Object>) ((List<?>) sd.get("param_groups")).get(0)).get("lr"),
                "the caller's map is untouched: the prepended hook replaced it before the other edited it");
    }

    @Test
    void stateDictHooks() {
        RAdam opt = optimizer();
        List<String> calls = new ArrayList<>();
        opt.registerStateDictPreHook(o -> calls.add("pre"), false);
        opt.registerStateDictPostHook((o, sd) -> {
            sd.put("note", "post");
            return null;
        }, false);
        opt.registerStateDictPostHook((o, sd) -> new LinkedHashMap<>(Map.of("replaced", true)), true);
        Map<String, Object> sd = opt.stateDict();
        assertEquals(List.of("pre"), calls);
        assertEquals(Map.of("replaced", true, "note", "post").keySet(), sd.keySet(),
                "the prepended hook's replacement went on to the next hook");
    }

    @Test
    void aHookThatThrowsLeavesTheOptimizerAsItWas() {
        RAdam opt = optimizer();
        Tensor p = opt.paramGroups().get(0).params().get(0);
        byte[] before = TensorBytes.of(p);
        RemovableHandle h = opt.registerStepPreHook((o, c) -> {
            throw new IllegalStateException("no");
        });
        assertEquals("no", assertThrows(IllegalStateException.class, opt::step).getMessage());
        assertArrayEquals(before, TensorBytes.of(p));
        assertNull(opt.state(p));
        h.remove();

        opt.step();
        Map<String, Object> sd = opt.stateDict();
        byte[] stepped = TensorBytes.of(opt.state(p).expAvg());
        opt.registerLoadStateDictPreHook((o, s) -> {
            throw new IllegalArgumentException("bad hook");
        }, false);
        assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(sd));
        assertArrayEquals(stepped, TensorBytes.of(opt.state(p).expAvg()));
        assertEquals(1.0, opt.state(p).step().item_double());
    }

    @Test
    void aHookMayRemoveItselfWhileRunning() {
        RAdam opt = optimizer();
        List<String> calls = new ArrayList<>();
        RemovableHandle[] self = new RemovableHandle[1];
        self[0] = opt.registerStepPostHook((o, c) -> {
            calls.add("once");
            self[0].remove();
        });
        opt.registerStepPostHook((o, c) -> calls.add("always"));
        opt.step();
        opt.step();
        assertEquals(List.of("once", "always", "always"), calls);
    }
}
