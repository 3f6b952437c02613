package org.radam4j.io;

import org.radam4j.Libtorch;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.Dtypes;

/**
 * A JavaCPP module's or TorchScript module's {@code state_dict()} as an ordered Java map (parameters and buffers,
 * by PyTorch's dotted names), and PyTorch's strict {@code load_state_dict} into such a module: the same keys, the same shapes; values
 * are copied into the module's own tensors (cast to their dtype and device), all checked before any is written.
 */
public final class ModuleStates {

    static {
        Libtorch.load();
    }


    private ModuleStates() {
    }

    /**
     * The module's parameters and buffers by name, as PyTorch's {@code module.state_dict()} gives them: detached
     * tensors that share storage with the module.
     */
    public static Map<String, Tensor> stateDict(Module module) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        put(m, module.named_parameters());
        put(m, module.named_buffers());
        return m;
    }

    private static void put(Map<String, Tensor> m, StringTensorDict dict) {
        for (long i = 0; i < dict.size(); i++) {
            m.put(dict.get(i).key().getString(), dict.get(i).value().detach());
        }
    }

    /**
     * Copies {@code stateDict} into the module's parameters and buffers.
     *
     * @throws IllegalArgumentException listing missing and unexpected keys, or naming a value that is not a
     *     tensor of the right shape; the module is unchanged then
     */
    public static void load(Module module, Map<?, ?> stateDict) {
        load(stateDict(module), stateDict);
    }

    /**
     * A TorchScript module's {@code state_dict()}: its parameters and buffers (BatchNorm's running statistics and
     * {@code num_batches_tracked} included) under the keys Python's {@code model.state_dict()} uses, detached and
     * sharing storage with the module. Python's {@code load_state_dict(strict=True)} accepts it.
     */
    public static Map<String, Tensor> stateDict(JitModule module) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        JitModules.stateTensors(module).forEach((k, v) -> m.put(k, v.detach()));
        return m;
    }

    /**
     * PyTorch's strict {@code load_state_dict} into a TorchScript module: the same keys and shapes, checked for
     * every entry before any is copied.
     *
     * @throws IllegalArgumentException as {@link #load(Module, Map)}; the module is unchanged then
     */
    public static void load(JitModule module, Map<?, ?> stateDict) {
        load(stateDict(module), stateDict);
    }

    private static void load(Map<String, Tensor> own, Map<?, ?> stateDict) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        java.util.List<String> unexpected = new java.util.ArrayList<>();
        for (String k : own.keySet()) {
            if (!stateDict.containsKey(k)) {
                missing.add(k);
            }
        }
        for (Object k : stateDict.keySet()) {
            if (!(k instanceof String s) || !own.containsKey(s)) {
                unexpected.add(String.valueOf(k));
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict: Missing key(s): " + missing
                    + ". Unexpected key(s): " + unexpected + ".");
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Object v = stateDict.get(e.getKey());
            if (!(v instanceof Tensor t) || t.isNull() || !t.defined()) {
                throw new IllegalArgumentException("state_dict['" + e.getKey() + "'] must be a tensor");
            }
            long[] want = e.getValue().sizes().vec().get();
            long[] got = t.sizes().vec().get();
            if (!Arrays.equals(want, got)) {
                throw new IllegalArgumentException("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Arrays.toString(got) + " from checkpoint, the shape in current model is " + Arrays.toString(want) + ".");
            }
            if (t.is_complex() && !e.getValue().is_complex()) {
                throw new IllegalArgumentException("state_dict['" + e.getKey() + "'] is " + Dtypes.name(t)
                        + ", which cannot be copied into a " + Dtypes.name(e.getValue()) + " tensor");
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                e.getValue().copy_((Tensor) stateDict.get(e.getKey()));
            }
        }
    }
}
