package org.radam4j.io;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/**
 * Python's {@code torch.Size}, a tuple of ints, as {@link TorchFiles} reads and writes it; equal to any list of the
 * same {@link Long}s, as a {@code torch.Size} equals a tuple in Python.
 */
public final class TorchSize extends AbstractList<Long> {

    private final long[] dims;

    private TorchSize(long[] dims) {
        this.dims = dims;
    }

    /** The size {@code (dims...)}. */
    public static TorchSize of(long... dims) {
        return new TorchSize(dims.clone());
    }

    /** The size of these ints (Integer or Long). */
    public static TorchSize copyOf(List<?> dims) {
        long[] d = new long[dims.size()];
        for (int i = 0; i < d.length; i++) {
            Object x = dims.get(i);
            if (!(x instanceof Long || x instanceof Integer)) {
                throw new IllegalArgumentException("torch.Size() takes ints, not " + org.radam4j.internal.PyRepr.typeName(x));
            }
            d[i] = ((Number) x).longValue();
        }
        return new TorchSize(d);
    }

    /** The number of dims. */
    @Override
    public int size() {
        return dims.length;
    }

    /** Dim {@code index}'s size. */
    @Override
    public Long get(int index) {
        return dims[index];
    }

    /** The dims as an array (a copy). */
    public long[] dims() {
        return dims.clone();
    }

    /** As Python prints it: {@code torch.Size([2, 3])}. */
    @Override
    public String toString() {
        return "torch.Size(" + Arrays.toString(dims) + ")";
    }
}
