package org.radam4j.io;

import java.util.Map;

import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;

/** The {@code torch.<Name>Storage} classes that stand for a dtype in PyTorch's pickles. */
final class StorageTypes {

    private static final Map<ScalarType, String> NAMES = Map.ofEntries(
            Map.entry(ScalarType.Float, "FloatStorage"),
            Map.entry(ScalarType.Double, "DoubleStorage"),
            Map.entry(ScalarType.Half, "HalfStorage"),
            Map.entry(ScalarType.BFloat16, "BFloat16Storage"),
            Map.entry(ScalarType.ComplexFloat, "ComplexFloatStorage"),
            Map.entry(ScalarType.ComplexDouble, "ComplexDoubleStorage"),
            Map.entry(ScalarType.Long, "LongStorage"),
            Map.entry(ScalarType.Int, "IntStorage"),
            Map.entry(ScalarType.Short, "ShortStorage"),
            Map.entry(ScalarType.Char, "CharStorage"),
            Map.entry(ScalarType.Byte, "ByteStorage"),
            Map.entry(ScalarType.Bool, "BoolStorage"));

    private StorageTypes() {
    }

    static String name(ScalarType type) {
        String n = NAMES.get(type);
        if (n == null) {
            throw new IllegalArgumentException("cannot write a tensor of dtype " + Dtypes.name(type));
        }
        return n;
    }

    /** The dtype of {@code torch.<name>}, or null when it is not a storage class radam4j reads. */
    static ScalarType of(String name) {
        for (Map.Entry<ScalarType, String> e : NAMES.entrySet()) {
            if (e.getValue().equals(name)) {
                return e.getKey();
            }
        }
        return null;
    }
}
