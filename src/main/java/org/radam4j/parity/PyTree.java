package org.radam4j.parity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.radam4j.PyTuple;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The golden files' rendering of Python objects, as Java values: {@code {"dict": [[k, v], ...]}} → an ordered
 * {@link Map} (integer keys stay {@link Integer}s), {@code {"list": [...]}} → {@link List}, {@code {"tuple":
 * [...]}} → {@link PyTuple}, {@code {"tensor": {...}}} → a tensor; plain JSON numbers → {@link Long} or {@link Double}.
 * Option maps written as plain JSON ({@code "betas": [0.9, 0.999]}) convert the same way.
 */
public final class PyTree {

    private PyTree() {
    }

    public static Object toJava(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber()) {
            return n.canConvertToInt() ? (Object) n.intValue() : (Object) n.longValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isTextual()) {
            return n.textValue();
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(toJava(e)));
            return l;
        }
        if (n.has("tensor") && n.size() == 1) {
            return TensorCodec.decode(n.get("tensor"));
        }
        if (n.has("list") && n.size() == 1) {
            return toJava(n.get("list"));
        }
        if (n.has("tuple") && n.size() == 1) {
            return PyTuple.copyOf((List<?>) toJava(n.get("tuple")));
        }
        if (n.has("dict") && n.size() == 1 && n.get("dict").isArray()) {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (JsonNode kv : n.get("dict")) {
                if (!kv.isArray() || kv.size() != 2) {
                    throw new IllegalArgumentException("a 'dict' entry must be a [key, value] pair, but got " + kv);
                }
                m.put(toJava(kv.get(0)), toJava(kv.get(1)));
            }
            return m;
        }
        Map<Object, Object> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), toJava(e.getValue())));
        return m;
    }
}
