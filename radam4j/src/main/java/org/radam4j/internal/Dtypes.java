package org.radam4j.internal;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** PyTorch's names for the dtypes radam4j handles ({@code float32}, {@code bfloat16}, ...), both ways. */
public final class Dtypes {

    private Dtypes() {
    }

    /** PyTorch's name of a tensor's dtype, e.g. {@code float32}. */
    public static String name(Tensor t) {
        return name(of(t));
    }

    /**
     * A tensor's scalar type as the canonical enum constant. JavaCPP returns native enums as fresh objects that
     * only {@code intern()} maps to the constant, so {@code ==} and {@code switch} need this.
     */
    public static ScalarType of(Tensor t) {
        return t.scalar_type().intern();
    }

    /** PyTorch's name of a scalar type, e.g. {@code float32}; the C++ name for types radam4j does not know. */
    public static String name(ScalarType s) {
        return switch (s) {
            case Float -> "float32";
            case Double -> "float64";
            case Half -> "float16";
            case BFloat16 -> "bfloat16";
            case ComplexFloat -> "complex64";
            case ComplexDouble -> "complex128";
            case Long -> "int64";
            case Int -> "int32";
            case Short -> "int16";
            case Char -> "int8";
            case Byte -> "uint8";
            case Bool -> "bool";
            default -> s.name();
        };
    }

    /**
     * The scalar type of a PyTorch dtype name ({@code float32}, {@code torch.float32}, ...).
     *
     * @throws IllegalArgumentException for a name it does not know
     */
    /** Whether {@code name} ({@code float32}, {@code half}, ...) is a torch dtype radam4j knows, as a pickle global {@code torch.<name>}. */
    public static boolean isName(String name) {
        try {
            of(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public static ScalarType of(String name) {
        String n = name.startsWith("torch.") ? name.substring(6) : name;
        return switch (n) {
            case "float32", "float" -> ScalarType.Float;
            case "float64", "double" -> ScalarType.Double;
            case "float16", "half" -> ScalarType.Half;
            case "bfloat16" -> ScalarType.BFloat16;
            case "complex64", "cfloat" -> ScalarType.ComplexFloat;
            case "complex128", "cdouble" -> ScalarType.ComplexDouble;
            case "int64", "long" -> ScalarType.Long;
            case "int32", "int" -> ScalarType.Int;
            case "int16", "short" -> ScalarType.Short;
            case "int8" -> ScalarType.Char;
            case "uint8" -> ScalarType.Byte;
            case "bool" -> ScalarType.Bool;
            default -> throw new IllegalArgumentException("unknown dtype '" + name + "'");
        };
    }
}
