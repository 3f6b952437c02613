package org.radam4j;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python's {@code collections.Counter} of ints, as PyTorch's {@code MultiStepLR} keeps its milestones:
 * {@link org.radam4j.io.TorchFiles} writes it as a {@code Counter} and reads {@code Counter}s into it, so a
 * scheduler state dict crosses to Python and back unchanged. Read-only; keys and counts are {@link Long}s.
 */
public final class PyCounter extends AbstractMap<Object, Object> {

    private final Map<Object, Object> counts;

    private PyCounter(Map<Object, Object> counts) {
        this.counts = Collections.unmodifiableMap(counts);
    }

    /** {@code Counter(items)}: each distinct item with the number of times it occurs, in first-seen order. */
    public static PyCounter of(List<Long> items) {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (Long x : items) {
            m.merge(x, 1L, (a, b) -> (Long) a + (Long) b);
        }
        return new PyCounter(m);
    }

    /**
     * {@code Counter(mapping)} of int keys and int counts.
     *
     * @throws IllegalArgumentException when a key or count is not an int; {@code what} names the value
     */
    public static PyCounter copyOf(Map<?, ?> mapping, String what) {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : mapping.entrySet()) {
            if (!(e.getKey() instanceof Long || e.getKey() instanceof Integer)
                    || !(e.getValue() instanceof Long || e.getValue() instanceof Integer)) {
                throw new IllegalArgumentException(what + " must map int epochs to int counts of 64 bits, but has "
                        + org.radam4j.internal.PyRepr.brief(e.getKey(), 40) + ": "
                        + org.radam4j.internal.PyRepr.brief(e.getValue(), 40));
            }
            Number k = (Number) e.getKey();
            Number c = (Number) e.getValue();
            m.put(k.longValue(), c.longValue());
        }
        return new PyCounter(m);
    }

    /** How many times {@code key} was counted (0 when never). */
    public long count(long key) {
        Object c = counts.get(key);
        return c == null ? 0 : (Long) c;
    }

    /** The counts, keyed by epoch. */
    public Map<Long, Long> asLongs() {
        Map<Long, Long> m = new LinkedHashMap<>();
        counts.forEach((k, v) -> m.put((Long) k, (Long) v));
        return m;
    }

    public PyCounter copy() {
        return new PyCounter(new LinkedHashMap<>(counts));
    }

    @Override
    public Set<Entry<Object, Object>> entrySet() {
        return counts.entrySet();
    }

    @Override
    public String toString() {
        return "Counter(" + super.toString().replace('=', ':') + ")";
    }
}
