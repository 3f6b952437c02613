package org.radam4j.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NamedJitModule;
import org.bytedeco.pytorch.NamedTensor;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.named_buffer_iterator;
import org.bytedeco.pytorch.named_buffer_list;
import org.bytedeco.pytorch.named_module_iterator;
import org.bytedeco.pytorch.named_module_list;
import org.bytedeco.pytorch.named_parameter_iterator;
import org.bytedeco.pytorch.named_parameter_list;
import org.bytedeco.pytorch.parameter_iterator;
import org.bytedeco.pytorch.parameter_list;

/**
 * JavaCPP's TorchScript {@code *_list} types as Java lists and maps, walked by counting to {@code size()}: the
 * natural C++ loop, {@code it != list.end()}, cannot be written in Java ({@code equals} compares the wrappers'
 * addresses, so the loop runs past the end and {@code access()} aborts the JVM). Each returned tensor or module is
 * a new handle to the module's own.
 */
public final class JitLists {

    private JitLists() {
    }

    /** Walks {@code size} elements from {@code begin}, reading each with {@code access} and moving on with {@code next}. */
    private static <I, T> List<T> walk(long size, Supplier<I> begin, Function<I, T> access, Function<I, ?> next) {
        List<T> out = new ArrayList<>((int) Math.min(size, Integer.MAX_VALUE));
        if (size <= 0) {
            return out;
        }
        I it = begin.get();
        for (long i = 0; i < size; i++) {
            out.add(access.apply(it));
            if (i + 1 < size) {
                next.apply(it);
            }
        }
        return out;
    }

    /** The elements of a {@code parameter_list} ({@code module.parameters()}), in order. */
    public static List<Tensor> list(parameter_list list) {
        return walk(list.size(), list::begin, it -> new Tensor(it.access()), parameter_iterator::increment);
    }

    /** The name-tensor pairs of a {@code named_parameter_list} ({@code module.named_parameters()}), in order. */
    public static Map<String, Tensor> map(named_parameter_list list) {
        return named(walk(list.size(), list::begin, named_parameter_iterator::access, named_parameter_iterator::increment));
    }

    /** The name-tensor pairs of a {@code named_buffer_list} ({@code module.named_buffers()}), in order. */
    public static Map<String, Tensor> map(named_buffer_list list) {
        return named(walk(list.size(), list::begin, named_buffer_iterator::access, named_buffer_iterator::increment));
    }

    /** The name-module pairs of a {@code named_module_list} ({@code module.named_modules()}), in order. */
    public static Map<String, JitModule> map(named_module_list list) {
        Map<String, JitModule> m = new LinkedHashMap<>();
        for (NamedJitModule n : walk(list.size(), list::begin, named_module_iterator::access, named_module_iterator::increment)) {
            m.put(name(n.name()), new JitModule(n.value()));
        }
        return m;
    }

    /** A name as JavaCPP returns it: {@code null} for the empty string (the root module's name). */
    private static String name(org.bytedeco.javacpp.BytePointer p) {
        return p == null || p.isNull() ? "" : p.getString();
    }

    private static Map<String, Tensor> named(List<NamedTensor> items) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (NamedTensor n : items) {
            m.put(name(n.name()), new Tensor(n.value()));
        }
        return m;
    }

    /** Python's {@code dict(module.named_parameters())}: dotted names in module order. */
    public static Map<String, Tensor> namedParameters(JitModule module) {
        return map(module.named_parameters(true));
    }

    /**
     * The named parameters whose name starts with {@code prefix} ({@code "head."}, say): how a backbone and a head
     * are given different param groups.
     */
    public static Map<String, Tensor> namedParameters(JitModule module, String prefix) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        namedParameters(module).forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                m.put(k, v);
            }
        });
        return m;
    }
}
