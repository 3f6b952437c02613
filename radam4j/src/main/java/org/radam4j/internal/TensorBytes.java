package org.radam4j.internal;

import static org.bytedeco.pytorch.global.torch.empty;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** A tensor's raw little-endian bytes in C-contiguous order, both ways: the storage format of golden and .pt files. */
public final class TensorBytes {

    private TensorBytes() {
    }

    /** The bytes of one element of a dtype radam4j reads and writes. */
    public static int elementSize(ScalarType type) {
        return switch (type) {
            case Double, Long, ComplexFloat -> 8;
            case ComplexDouble -> 16;
            case Float, Int -> 4;
            case Half, BFloat16, Short -> 2;
            case Byte, Char, Bool -> 1;
            default -> throw new IllegalArgumentException("unsupported dtype " + Dtypes.name(type));
        };
    }

    /** The raw bytes of a tensor in C-contiguous order, copied to the CPU if needed. */
    public static byte[] of(Tensor t) {
        try (Tensor c = (t.is_cuda() ? t.cpu() : t).contiguous()) {
            int n = Math.toIntExact(c.nbytes());
            byte[] out = new byte[n];
            if (n > 0) {
                try (BytePointer p = new BytePointer(c.data_ptr())) {
                    p.capacity(n).limit(n).get(out);
                }
            }
            return out;
        }
    }

    /** A new, uninitialised 1-D CPU tensor of {@code numel} elements of {@code type}. */
    public static Tensor allocate(ScalarType type, long numel) {
        try (TensorOptions o = new TensorOptions(type); MemoryFormatOptional mf = new MemoryFormatOptional()) {
            return org.bytedeco.pytorch.global.torch.empty(new long[] {numel}, o, mf);
        }
    }

    /**
     * A new CPU tensor of the given dtype and shape holding {@code bytes}.
     *
     * @throws IllegalArgumentException when the byte count does not match the shape
     */
    public static Tensor toTensor(ScalarType type, long[] shape, byte[] bytes) {
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative size in shape");
            }
            numel = Math.multiplyExact(numel, d);
        }
        if (Math.multiplyExact(numel, (long) elementSize(type)) != bytes.length) {
            throw new IllegalArgumentException("a " + Dtypes.name(type) + " tensor of " + numel + " elements needs "
                    + numel * elementSize(type) + " bytes, but " + bytes.length + " were given");
        }
        Tensor t;
        try (TensorOptions o = new TensorOptions(type); MemoryFormatOptional mf = new MemoryFormatOptional()) {
            t = empty(shape, o, mf);
        }
        if (bytes.length > 0) {
            try (BytePointer p = new BytePointer(t.data_ptr())) {
                p.capacity(bytes.length).limit(bytes.length).put(bytes);
            }
        }
        return t;
    }
}
