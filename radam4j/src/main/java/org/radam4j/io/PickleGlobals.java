package org.radam4j.io;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.radam4j.PyTuple;

/**
 * The pickle globals {@link PickleReader} accepts, PyTorch's {@code weights_only} allow-list for what
 * {@code torch.save} writes, and what calling each of them ({@code REDUCE}) makes. Anything else is refused.
 */
final class PickleGlobals {

    private PickleGlobals() {
    }

    /**
     * The globals of PyTorch's weights-only allow-list that {@code torch.save} writes for the values radam4j
     * reads: containers, tensors and parameters, their sizes, devices and dtypes, bytes and sets.
     */
    private static final java.util.Set<String> ALLOWED = java.util.Set.of("collections.OrderedDict", "collections.Counter",
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
            "torch.Size", "torch.device", "_codecs.encode", "builtins.bytearray", "builtins.set", "builtins.complex");

    static Object global(String module, String name) throws TorchFileFormatException {
        if (module.equals("__builtin__")) {
            module = "builtins";
        }
        boolean dtype = module.equals("torch") && org.radam4j.internal.Dtypes.isName(name);
        boolean allowed = ALLOWED.contains(module + "." + name) || dtype
                || (module.equals("torch") && StorageTypes.of(name) != null);
        if (!allowed) {
            throw new TorchFileFormatException("the file needs the pickle global '" + module + "." + name
                    + "', which torch.load(weights_only=True) does not allow either (radam4j reads dicts, lists, tuples, "
                    + "sets, numbers, strings, bytes, tensors and parameters, sizes, devices and dtypes)");
        }
        if (dtype) {
            return new PyDtype("torch." + name);
        }
        return new PickleReader.Global(module, name);
    }

    static Object reduce(Object fn, Object args, PickleReader.Rebuilder rebuilder) throws TorchFileFormatException {
        if (!(fn instanceof PickleReader.Global g) || !(args instanceof PyTuple a)) {
            throw PickleReader.bad("REDUCE needs an allowed global and a tuple of arguments");
        }
        switch (g.module() + "." + g.name()) {
            case "collections.OrderedDict" -> {
                if (!a.isEmpty()) {
                    throw PickleReader.bad("OrderedDict() with arguments");
                }
                return new OrderedDict();
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                return rebuilder.rebuild(a);
            }
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                if (a.size() < 2 || !(a.get(0) instanceof org.bytedeco.pytorch.Tensor t) || !(a.get(1) instanceof Boolean rg)) {
                    throw PickleReader.bad("_rebuild_parameter(data, requires_grad, ...) with unexpected arguments");
                }
                t.requires_grad_(rg);
                return new Parameter(t);
            }
            case "collections.Counter" -> {
                if (a.size() > 1 || (a.size() == 1 && !(a.get(0) instanceof Map<?, ?>))) {
                    throw PickleReader.bad("Counter() takes one dict");
                }
                try {
                    return org.radam4j.PyCounter.copyOf(a.isEmpty() ? Map.of() : (Map<?, ?>) a.get(0), "a Counter");
                } catch (IllegalArgumentException e) {
                    throw PickleReader.bad(e.getMessage());
                }
            }
            case "torch.Size" -> {
                if (a.size() != 1 || !(a.get(0) instanceof List<?> dims)) {
                    throw PickleReader.bad("torch.Size() takes one tuple");
                }
                try {
                    return TorchSize.copyOf(dims);
                } catch (IllegalArgumentException e) {
                    throw PickleReader.bad(e.getMessage());
                }
            }
            case "torch.device" -> {
                if (a.isEmpty() || !(a.get(0) instanceof String type) || type.length() > 64
                        || (a.size() > 1 && a.get(1) != null && !(a.get(1) instanceof Long i && i >= 0 && i < Integer.MAX_VALUE))) {
                    throw PickleReader.bad("torch.device() takes a device type and an index below 2^31");
                }
                return new PyDevice(a.size() > 1 && a.get(1) != null ? type + ":" + a.get(1) : type);
            }
            case "_codecs.encode" -> {
                if (a.size() != 2 || !(a.get(0) instanceof String text) || !"latin1".equals(a.get(1))) {
                    throw PickleReader.bad("_codecs.encode(str, 'latin1') with unexpected arguments");
                }
                return latin1(text);
            }
            case "builtins.bytearray" -> {
                if (a.isEmpty()) {
                    return new byte[0];
                }
                if (a.get(0) instanceof byte[] b) {
                    return b.clone();
                }
                if (a.get(0) instanceof String text && a.size() == 2 && "latin1".equals(a.get(1))) {
                    return latin1(text);
                }
                throw PickleReader.bad("bytearray() with unexpected arguments");
            }
            case "builtins.set" -> {
                java.util.Set<Object> set = new java.util.LinkedHashSet<>();
                if (a.size() == 1 && a.get(0) instanceof List<?> items) {
                    for (Object x : items) {
                        set.add(PickleReader.key(x));
                    }
                } else if (!a.isEmpty()) {
                    throw PickleReader.bad(g.name() + "() takes one list");
                }
                return set;
            }
            case "builtins.complex" -> {
                if (a.size() != 2 || !(a.get(0) instanceof Number) || !(a.get(1) instanceof Number)) {
                    throw PickleReader.bad("complex(real, imag) with unexpected arguments");
                }
                return PyTuple.of(((Number) a.get(0)).doubleValue(), ((Number) a.get(1)).doubleValue());
            }
            default -> throw PickleReader.bad("the global " + g.module() + "." + g.name() + " cannot be called");
        }
    }

    /** Python's {@code str.encode('latin1')}, which fails (as here) on a character above U+00FF. */
    private static byte[] latin1(String text) throws TorchFileFormatException {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0xFF) {
                throw PickleReader.bad("'latin-1' codec can't encode character at position " + i + ": bytes hold only "
                        + "U+0000 to U+00FF");
            }
        }
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
