package org.radam4j.internal;

import java.math.BigDecimal;

/**
 * How Python would name and print a value: {@code repr()} of floats, so that error messages read exactly as
 * PyTorch's do, and the Python type radam4j maps each Java value to.
 */
public final class PyRepr {

    private static volatile Class<?> tupleType;

    /**
     * The class whose instances are Python tuples, printed {@code (a, b)}: {@code org.radam4j.PyTuple} registers
     * itself when it is loaded (this package sits below it and cannot name it).
     */
    public static void tupleType(Class<? extends java.util.List<?>> type) {
        tupleType = type;
    }

    private static boolean isTuple(Object v) {
        Class<?> t = tupleType;
        return t != null && t.isInstance(v);
    }

    private PyRepr() {
    }

    /** {@code repr(float(x))}: {@code 1.0}, {@code -1e-08}, {@code 0.0001}, {@code 1e+16}, {@code nan}, {@code inf}. */
    public static String of(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        if (x == 0.0) {
            return (1.0 / x < 0) ? "-0.0" : "0.0";
        }
        BigDecimal d = new BigDecimal(Double.toString(Math.abs(x))).stripTrailingZeros();
        String digits = d.unscaledValue().toString();
        int decpt = digits.length() - d.scale();
        StringBuilder s = new StringBuilder(x < 0 ? "-" : "");
        if (decpt <= -4 || decpt > 16) {
            s.append(digits.charAt(0));
            if (digits.length() > 1) {
                s.append('.').append(digits, 1, digits.length());
            }
            int exp = decpt - 1;
            s.append('e').append(exp < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exp));
            s.append(e.length() < 2 ? "0" + e : e);
        } else if (decpt <= 0) {
            s.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= digits.length()) {
            s.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
        } else {
            s.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        }
        return s.toString();
    }

    /** How Python prints a 0-dim float tensor in a message: {@code tensor(-1.)}, {@code tensor(0.5000)}. */
    public static String tensorScalar(double x) {
        if (x == Math.rint(x) && !Double.isInfinite(x)) {
            return "tensor(" + (long) x + ".)";
        }
        return "tensor(" + String.format(java.util.Locale.ROOT, "%.4f", x) + ")";
    }

    /** The Python type name of a Java value as radam4j maps them: {@code int}, {@code float}, {@code list}, ... */
    public static String typeName(Object v) {
        if (v == null) {
            return "None";
        } else if (v instanceof Boolean) {
            return "bool";
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof java.math.BigInteger) {
            return "int";
        } else if (v instanceof Double || v instanceof Float) {
            return "float";
        } else if (v instanceof String) {
            return "str";
        } else if (isTuple(v)) {
            return "tuple";
        } else if (v instanceof java.util.List<?>) {
            return "list";
        } else if (v instanceof java.util.Map<?, ?>) {
            return "dict";
        } else if (v instanceof java.util.Set<?>) {
            return "set";
        } else if (v instanceof org.bytedeco.pytorch.Tensor) {
            return "Tensor";
        }
        return v.getClass().getName();
    }

    /** A value for an error message: its Python type, then its value unless it is a tensor or null. */
    public static String describe(Object v) {
        String type = typeName(v);
        if (v == null || v instanceof org.bytedeco.pytorch.Tensor) {
            return type;
        }
        return type + " " + (v instanceof String s ? (s.length() > 60 ? s.substring(0, 60) + "..." : s) : brief(v, 60));
    }

    /**
     * At most about {@code max} characters of a value's repr, for messages about values read from files: the work
     * is bounded by {@code max} whatever the value's size, depth, sharing or cycles; ints beyond 128 bits are
     * named by their size (their decimal digits cost quadratic time).
     */
    public static String brief(Object v, int max) {
        StringBuilder out = new StringBuilder();
        java.util.ArrayDeque<Object> todo = new java.util.ArrayDeque<>();
        todo.push(v == null ? NONE : v);
        while (!todo.isEmpty() && out.length() <= max) {
            Object x = todo.pop();
            if (x instanceof Text t) {
                out.append(t.text());
            } else if (x instanceof Items f) {
                if (!f.items().hasNext()) {
                    out.append(f.close());
                    continue;
                }
                Object next = f.items().next();
                if (f.started()) {
                    out.append(", ");
                }
                todo.push(new Items(f.items(), f.close(), true));
                if (next instanceof java.util.Map.Entry<?, ?> e) {
                    todo.push(e.getValue() == null ? NONE : e.getValue());
                    todo.push(new Text(": "));
                    todo.push(e.getKey() == null ? NONE : e.getKey());
                } else {
                    todo.push(next == null ? NONE : next);
                }
            } else if (x instanceof java.util.Map<?, ?> m) {
                out.append('{');
                todo.push(new Items(m.entrySet().iterator(), "}", false));
            } else if (isTuple(x)) {
                out.append('(');
                todo.push(new Items(((java.util.List<?>) x).iterator(), ")", false));
            } else if (x instanceof java.util.List<?> l) {
                out.append('[');
                todo.push(new Items(l.iterator(), "]", false));
            } else if (x instanceof java.util.Set<?> set) {
                out.append('{');
                todo.push(new Items(set.iterator(), "}", false));
            } else if (x instanceof java.math.BigInteger b && b.bitLength() > 128) {
                out.append("<an int of ").append(b.bitLength()).append(" bits>");
            } else if (x instanceof String str) {
                out.append(repr(str.length() > max ? str.substring(0, max) : str));
            } else if (x instanceof org.bytedeco.pytorch.Tensor) {
                out.append("<tensor>");
            } else if (x == NONE) {
                out.append("None");
            } else {
                String r = repr(x);
                out.append(r.length() > max ? r.substring(0, max) : r);
            }
        }
        return out.length() > max || !todo.isEmpty() ? out.substring(0, Math.min(out.length(), max)) + "..." : out.toString();
    }

    private static final Object NONE = new Object();

    private record Text(String text) {
    }

    private record Items(java.util.Iterator<?> items, String close, boolean started) {
    }

    /**
     * Python's {@code str()} of a value as radam4j maps them: {@code None}, {@code True}, {@code 0.001},
     * {@code (0.9, 0.999)}, {@code ['a', 'b']}, {@code {'k': 1}}, tensors as {@link TensorRepr}.
     */
    public static String str(Object v) {
        return v instanceof String s ? s : repr(v);
    }

    /** Python's {@code repr()}: like {@link #str} but strings are quoted. */
    public static String repr(Object v) {
        if (v == null) {
            return "None";
        } else if (v instanceof Boolean b) {
            return b ? "True" : "False";
        } else if (v instanceof Double || v instanceof Float) {
            return of(((Number) v).doubleValue());
        } else if (v instanceof String s) {
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
        } else if (v instanceof org.bytedeco.pytorch.Tensor t) {
            return TensorRepr.of(t);
        } else if (isTuple(v)) {
            java.util.List<?> t = (java.util.List<?>) v;
            StringBuilder s = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(repr(t.get(i)));
            }
            return s.append(t.size() == 1 ? ",)" : ")").toString();
        } else if (v instanceof java.util.List<?> l) {
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(repr(l.get(i)));
            }
            return s.append(']').toString();
        } else if (v instanceof java.util.Map<?, ?> m) {
            StringBuilder s = new StringBuilder("{");
            for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
                s.append(s.length() == 1 ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return s.append('}').toString();
        }
        return String.valueOf(v);
    }
}
