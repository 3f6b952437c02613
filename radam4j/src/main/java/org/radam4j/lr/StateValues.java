package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.PyRepr;

/**
 * Reads a scheduler's state dict values as Python wrote them (ints, floats, bools, strings, lists, None), with
 * an {@link IllegalArgumentException} naming the key when a value has the wrong type. A key that is absent keeps
 * the current value: PyTorch's {@code load_state_dict} is a {@code __dict__.update}. What a scheduler's
 * {@link LRScheduler#loadFields} reads its own fields with.
 */
public final class StateValues {

    private final Map<String, ?> map;

    StateValues(Map<String, ?> map) {
        if (map == null) {
            throw new IllegalArgumentException("a scheduler state_dict must be a dict, but got None");
        }
        this.map = map;
    }

    /** Whether the state dict has {@code key}. */
    public boolean has(String key) {
        return map.containsKey(key);
    }

    /** The value under {@code key} as it is, or null. */
    public Object raw(String key) {
        return map.get(key);
    }

    /** A number (int, float or a 1-element tensor), or {@code current} when the key is missing. */
    public double real(String key, double current) {
        return has(key) ? toReal(map.get(key), key) : current;
    }

    /** An int (or an integral float), or {@code current} when the key is missing. */
    public long integer(String key, long current) {
        if (!has(key)) {
            return current;
        }
        Object v = map.get(key);
        if (v instanceof Number n && !(v instanceof Double || v instanceof Float)) {
            return n.longValue();
        }
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            return d.longValue();
        }
        throw wrong(key, "an int", v);
    }

    /** A bool, or {@code current} when the key is missing. */
    public boolean bool(String key, boolean current) {
        return typed(key, current, Boolean.class, "a bool");
    }

    /** A str, or {@code current} when the key is missing. */
    public String string(String key, String current) {
        return typed(key, current, String.class, "a str");
    }

    private <T> T typed(String key, T current, Class<T> type, String what) {
        if (!has(key)) {
            return current;
        }
        Object v = map.get(key);
        if (type.isInstance(v)) {
            return type.cast(v);
        }
        throw wrong(key, what, v);
    }

    /** A list of numbers (or None for "absent"), or {@code current} when the key is missing. */
    public List<Double> reals(String key, List<Double> current) {
        if (!has(key)) {
            return current;
        }
        Object v = map.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> l)) {
            throw wrong(key, "a list of numbers", v);
        }
        List<Double> out = new ArrayList<>();
        for (Object x : l) {
            out.add(toReal(x, key));
        }
        return out;
    }

    static double toReal(Object v, String key) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof Tensor t && t.numel() == 1) {
            return t.item_double();
        }
        throw wrong(key, "a number", v);
    }

    static IllegalArgumentException wrong(String key, String what, Object v) {
        return new IllegalArgumentException("scheduler state_dict['" + key + "'] must be " + what + ", but got "
                + (v == null ? "None" : PyRepr.describe(v)));
    }
}
