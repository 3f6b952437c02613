package org.radam4j.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.named_buffer_list;
import org.bytedeco.pytorch.named_module_list;
import org.bytedeco.pytorch.named_parameter_list;
import org.bytedeco.pytorch.parameter_list;
import org.radam4j.Libtorch;
import org.radam4j.internal.JitLists;

/**
 * A TorchScript module's ({@link JitModule}'s) parameters, buffers and submodules as Java lists and maps, in the
 * order and under the dotted names Python's {@code named_parameters()}, {@code named_buffers()} and
 * {@code named_modules()} give.
 *
 * <p>JavaCPP's {@code *_list} types are walked by counting to {@code size()}. The natural C++ loop,
 * {@code it != list.end()}, cannot be written in Java: {@code equals} compares the Java wrappers' addresses, so
 * the loop runs past the end and {@code access()} aborts the JVM. The returned tensors and modules are new
 * handles to the module's own (updating a tensor in place updates the module), independent of the list they
 * came from; they belong to the caller's {@code PointerScope}, if any.
 */
public final class JitModules {

    static {
        Libtorch.load();
    }

    private JitModules() {
    }

    /** The elements of a {@code parameter_list} ({@code module.parameters()}), in order. */
    public static List<Tensor> list(parameter_list list) {
        return JitLists.list(list);
    }

    /** The name-tensor pairs of a {@code named_parameter_list} ({@code module.named_parameters()}), in order. */
    public static Map<String, Tensor> map(named_parameter_list list) {
        return JitLists.map(list);
    }

    /** The name-tensor pairs of a {@code named_buffer_list} ({@code module.named_buffers()}), in order. */
    public static Map<String, Tensor> map(named_buffer_list list) {
        return JitLists.map(list);
    }

    /** The name-module pairs of a {@code named_module_list} ({@code module.named_modules()}), in order. */
    public static Map<String, JitModule> map(named_module_list list) {
        return JitLists.map(list);
    }

    /** Python's {@code list(module.parameters())}. */
    public static List<Tensor> parameters(JitModule module) {
        return list(module.parameters(true));
    }

    /** Python's {@code dict(module.named_parameters())}: dotted names in module order. */
    public static Map<String, Tensor> namedParameters(JitModule module) {
        return JitLists.map(module.named_parameters(true));
    }

    /**
     * The named parameters whose name starts with {@code prefix} ({@code "head."}, say): how a backbone and a head
     * are given different param groups.
     */
    public static Map<String, Tensor> namedParameters(JitModule module, String prefix) {
        return JitLists.namedParameters(module, prefix);
    }

    /** Python's {@code dict(module.named_buffers())}: BatchNorm's running statistics and {@code num_batches_tracked}, say. */
    public static Map<String, Tensor> namedBuffers(JitModule module) {
        return map(module.named_buffers(true));
    }

    /**
     * Python's {@code module.state_dict()} keys and tensors: for each module in {@code named_modules()} order, its
     * own parameters and then its own buffers, under their dotted names.
     */
    public static Map<String, Tensor> stateTensors(JitModule module) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, JitModule> sub : map(module.named_modules()).entrySet()) {
            String prefix = sub.getKey().isEmpty() ? "" : sub.getKey() + ".";
            map(sub.getValue().named_parameters(false)).forEach((k, v) -> m.put(prefix + k, v));
            map(sub.getValue().named_buffers(false)).forEach((k, v) -> m.put(prefix + k, v));
        }
        return Collections.unmodifiableMap(m);
    }
}
