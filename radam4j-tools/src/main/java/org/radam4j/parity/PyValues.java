package org.radam4j.parity;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.PyRepr;

/**
 * Compares two trees of Python-like Java values exactly: the same Python types (int, float, bool, str, None,
 * tuple, list, dict, tensor), dict keys in the same order, tensors of the same dtype, shape and bytes.
 */
public final class PyValues {

    private PyValues() {
    }

    /** A dict key compared as Python compares it: an int is an int, whether Java holds it as Integer or Long. */
    private static Object key(Object k) {
        return k instanceof Integer i ? (Object) i.longValue() : k;
    }

    /** The first difference between {@code expected} and {@code actual}, or {@code null} when there is none. */
    public static String difference(Object expected, Object actual, String path) {
        String et = type(expected);
        String at = type(actual);
        if (!et.equals(at)) {
            return path + ": " + at + " " + shorten(actual) + ", expected " + et + " " + shorten(expected);
        }
        switch (et) {
            case "dict" -> {
                Map<?, ?> e = (Map<?, ?>) expected;
                Map<?, ?> a = (Map<?, ?>) actual;
                List<Object> ek = e.keySet().stream().map(PyValues::key).toList();
                List<Object> ak = a.keySet().stream().map(PyValues::key).toList();
                if (!ek.equals(ak)) {
                    return path + ": keys " + a.keySet() + ", expected " + e.keySet();
                }
                List<?> actualKeys = List.copyOf(a.keySet());
                int k = 0;
                for (Map.Entry<?, ?> entry : e.entrySet()) {
                    String d = difference(entry.getValue(), a.get(actualKeys.get(k++)), path + "[" + repr(entry.getKey()) + "]");
                    if (d != null) {
                        return d;
                    }
                }
                return null;
            }
            case "list", "tuple" -> {
                List<?> e = (List<?>) expected;
                List<?> a = (List<?>) actual;
                if (e.size() != a.size()) {
                    return path + ": " + a.size() + " items, expected " + e.size();
                }
                Iterator<?> ai = a.iterator();
                int i = 0;
                for (Object x : e) {
                    String d = difference(x, ai.next(), path + "[" + i++ + "]");
                    if (d != null) {
                        return d;
                    }
                }
                return null;
            }
            case "Tensor" -> {
                Tensor e = (Tensor) expected;
                Tensor a = (Tensor) actual;
                if (Dtypes.of(e) != Dtypes.of(a)) {
                    return path + ": dtype " + Dtypes.name(a) + ", expected " + Dtypes.name(e);
                }
                if (!Arrays.equals(e.sizes().vec().get(), a.sizes().vec().get())) {
                    return path + ": shape " + Arrays.toString(a.sizes().vec().get()) + ", expected "
                            + Arrays.toString(e.sizes().vec().get());
                }
                return Arrays.equals(TensorCodec.bytes(e), TensorCodec.bytes(a)) ? null : path + ": tensors differ";
            }
            case "float" -> {
                return Double.doubleToLongBits(((Number) expected).doubleValue())
                        == Double.doubleToLongBits(((Number) actual).doubleValue()) ? null
                        : path + ": " + actual + ", expected " + expected;
            }
            case "int" -> {
                return ((Number) expected).longValue() == ((Number) actual).longValue() ? null
                        : path + ": " + actual + ", expected " + expected;
            }
            default -> {
                return java.util.Objects.equals(expected, actual) ? null : path + ": " + actual + ", expected " + expected;
            }
        }
    }

    /** The Python type a Java value stands for. */
    static String type(Object v) {
        return PyRepr.typeName(v);
    }

    private static String repr(Object k) {
        return k instanceof String s ? "'" + s + "'" : String.valueOf(k);
    }

    private static String shorten(Object v) {
        String s = v instanceof Tensor ? "tensor" : String.valueOf(v);
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
