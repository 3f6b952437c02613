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
        n.properties().forEach(e -> m.put(e.getKey(), toJava(e.getValue())));
        return m;
    }

    /** The JSON encoding of a Java value: the inverse of {@link #toJava} (maps become {@code {"dict": ...}}). */
    public static JsonNode toJson(Object v) {
        com.fasterxml.jackson.databind.node.JsonNodeFactory f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        if (v == null) {
            return f.nullNode();
        } else if (v instanceof Boolean b) {
            return f.booleanNode(b);
        } else if (v instanceof Integer || v instanceof Long) {
            return f.numberNode(((Number) v).longValue());
        } else if (v instanceof Double d) {
            return f.numberNode(d);
        } else if (v instanceof String s) {
            return f.textNode(s);
        } else if (v instanceof org.bytedeco.pytorch.Tensor t) {
            com.fasterxml.jackson.databind.node.ObjectNode o = f.objectNode();
            o.set("tensor", new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(TensorCodec.encode(t)));
            return o;
        } else if (v instanceof List<?> l) {
            com.fasterxml.jackson.databind.node.ArrayNode a = f.arrayNode();
            l.forEach(x -> a.add(toJson(x)));
            com.fasterxml.jackson.databind.node.ObjectNode o = f.objectNode();
            o.set(v instanceof PyTuple ? "tuple" : "list", a);
            return o;
        } else if (v instanceof Map<?, ?> m) {
            com.fasterxml.jackson.databind.node.ArrayNode a = f.arrayNode();
            m.forEach((k, x) -> a.add(f.arrayNode().add(toJson(k)).add(toJson(x))));
            com.fasterxml.jackson.databind.node.ObjectNode o = f.objectNode();
            o.set("dict", a);
            return o;
        }
        throw new IllegalArgumentException("no JSON encoding for a " + v.getClass().getName());
    }
}
