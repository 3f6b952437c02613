package org.radam4j.fuzz;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.PyTuple;

/** Garbage of every kind a state dict can hold, and deep copies of such trees, for the fuzzers. */
final class RandomValues {

    private static final ScalarType[] DTYPES = {ScalarType.Float, ScalarType.Double, ScalarType.Half, ScalarType.BFloat16,
        ScalarType.ComplexFloat, ScalarType.Long, ScalarType.Bool, ScalarType.Int};
    private static final double[] DOUBLES = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0, 0.0, 1.0,
        1e300, -1e-300, 0.999, 2.0};
    private static final long[] LONGS = {0, 1, -1, 2, 3, 4, 7, 99, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE,
        Long.MIN_VALUE};

    private RandomValues() {
    }

    static Object garbage(Random r, int depth) {
        return switch (r.nextInt(depth > 2 ? 10 : 13)) {
            case 0 -> null;
            case 1 -> "garbage-" + r.nextInt(100);
            case 2 -> (int) LONGS[r.nextInt(LONGS.length)];
            case 3 -> LONGS[r.nextInt(LONGS.length)];
            case 4 -> DOUBLES[r.nextInt(DOUBLES.length)];
            case 5 -> r.nextBoolean();
            case 6 -> tensor(r);
            case 7 -> new ArrayList<>();
            case 8 -> new LinkedHashMap<>();
            case 9 -> PyTuple.of(r.nextDouble(), r.nextDouble());
            case 10 -> {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    l.add(garbage(r, depth + 1));
                }
                yield l;
            }
            case 11 -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    m.put(r.nextBoolean() ? (Object) r.nextInt(8) : "k" + r.nextInt(8), garbage(r, depth + 1));
                }
                yield m;
            }
            default -> PyTuple.of(garbage(r, depth + 1));
        };
    }

    /** A random CPU tensor: any dtype radam4j knows, 0 to 3 dims of 0 to 7 elements, or a 0-dim one. */
    static Tensor tensor(Random r) {
        int dims = r.nextInt(4);
        long[] shape = new long[dims];
        for (int i = 0; i < dims; i++) {
            shape[i] = r.nextInt(8);
        }
        return torch.randn(shape).mul(new org.bytedeco.pytorch.Scalar(3.0)).to(DTYPES[r.nextInt(DTYPES.length)]);
    }

    /** A copy of nested maps and lists (tensors are shared: loadStateDict copies what it keeps). */
    static Object deepCopy(Object v) {
        if (v instanceof PyTuple t) {
            List<Object> items = new ArrayList<>();
            t.forEach(x -> items.add(deepCopy(x)));
            return PyTuple.copyOf(items);
        }
        if (v instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            l.forEach(x -> c.add(deepCopy(x)));
            return c;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> c = new LinkedHashMap<>();
            m.forEach((k, x) -> c.put(k, deepCopy(x)));
            return c;
        }
        return v;
    }

    /** A snapshot of a state dict: a deep copy whose tensors are cloned, so later steps cannot change it. */
    static Object snapshot(Object v) {
        if (v instanceof Tensor t) {
            return t.clone();
        }
        if (v instanceof PyTuple t) {
            List<Object> items = new ArrayList<>();
            t.forEach(x -> items.add(snapshot(x)));
            return PyTuple.copyOf(items);
        }
        if (v instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            l.forEach(x -> c.add(snapshot(x)));
            return c;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> c = new LinkedHashMap<>();
            m.forEach((k, x) -> c.put(k, snapshot(x)));
            return c;
        }
        return v;
    }

    /** Changes one random place of a tree of maps and lists: replaces, deletes or adds a value. */
    @SuppressWarnings("unchecked")
    static void mutate(Object root, Random r) {
        Object node = root;
        for (int depth = 0; depth < 6; depth++) {
            List<Object> children = new ArrayList<>();
            if (node instanceof Map<?, ?> m) {
                children.addAll(m.keySet());
            } else if (node instanceof List<?> l && !(node instanceof PyTuple)) {
                for (int i = 0; i < l.size(); i++) {
                    children.add(i);
                }
            }
            if (children.isEmpty()) {
                return;
            }
            Object key = children.get(r.nextInt(children.size()));
            Object child = node instanceof Map<?, ?> m ? m.get(key) : ((List<?>) node).get((Integer) key);
            boolean descend = (child instanceof Map<?, ?> || (child instanceof List<?> && !(child instanceof PyTuple)))
                    && r.nextInt(3) > 0;
            if (descend) {
                node = child;
                continue;
            }
            int action = r.nextInt(10);
            if (node instanceof Map<?, ?> m) {
                Map<Object, Object> mm = (Map<Object, Object>) m;
                if (action == 0) {
                    mm.remove(key);
                } else if (action == 1) {
                    mm.put(r.nextBoolean() ? (Object) r.nextInt(1000) : "extra" + r.nextInt(10), garbage(r, 0));
                } else {
                    mm.put(key, garbage(r, 0));
                }
            } else {
                List<Object> ll = (List<Object>) node;
                if (action == 0) {
                    ll.remove((int) (Integer) key);
                } else if (action == 1) {
                    ll.add(garbage(r, 0));
                } else {
                    ll.set((Integer) key, garbage(r, 0));
                }
            }
            return;
        }
    }
}
