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
}
