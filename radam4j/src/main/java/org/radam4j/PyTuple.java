package org.radam4j;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

import org.radam4j.internal.PyRepr;

/**
 * A Python tuple: an immutable {@link List} that {@link org.radam4j.io.TorchFiles} writes as a tuple and reads tuples into
 * (so {@code betas} stays a tuple through a file). Anywhere else it is just a list.
 */
public final class PyTuple extends AbstractList<Object> {

    static {
        PyRepr.tupleType(PyTuple.class);
    }

    private final Object[] items;
    private int hash;
    private boolean hashed;

    private PyTuple(Object[] items) {
        this.items = items;
    }

    public static PyTuple of(Object... items) {
        return new PyTuple(items.clone());
    }

    public static PyTuple copyOf(List<?> items) {
        return new PyTuple(items.toArray());
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }

    @Override
    public String toString() {
        return "(" + String.join(", ", Arrays.stream(items).map(String::valueOf).toList()) + (items.length == 1 ? ",)" : ")");
    }

    /**
     * {@link List#hashCode()}'s value, computed once where every element is immutable (as the elements of a
     * tuple that Python can hash are), so that tuples of tuples that share parts hash in linear time.
     */
    @Override
    public int hashCode() {
        if (hashed) {
            return hash;
        }
        int h = 1;
        boolean stable = true;
        for (Object o : items) {
            h = 31 * h + (o == null ? 0 : o.hashCode());
            stable &= !(o instanceof java.util.Collection<?> && !(o instanceof PyTuple)) && !(o instanceof java.util.Map<?, ?>);
        }
        if (stable) {
            hash = h;
            hashed = true;
        }
        return h;
    }

    @Override
    public boolean equals(Object o) {
        return o == this || (o instanceof List<?> && (!(o instanceof PyTuple t) || t.hashCode() == hashCode())
                && super.equals(o));
    }
}
