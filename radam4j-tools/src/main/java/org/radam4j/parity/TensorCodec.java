package org.radam4j.parity;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.TensorBytes;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The golden files' tensor encoding, {@code {"dtype", "shape", "b64"}}: base64 of the raw little-endian bytes
 * in C-contiguous order (bfloat16/float16 as their bit patterns, complex64 as interleaved float32 pairs).
 */
public final class TensorCodec {

    private TensorCodec() {
    }

    /**
     * A new CPU tensor from its JSON encoding.
     *
     * @throws IllegalArgumentException when the node is not a tensor encoding or its byte count does not match
     */
    public static Tensor decode(JsonNode node) {
        if (node == null || !node.isObject() || !node.has("dtype") || !node.has("shape") || !node.has("b64")) {
            throw new IllegalArgumentException("not a tensor encoding {dtype, shape, b64}: " + abbreviate(node));
        }
        ScalarType type = Dtypes.of(node.get("dtype").asText());
        JsonNode shapeNode = node.get("shape");
        if (!shapeNode.isArray()) {
            throw new IllegalArgumentException("tensor 'shape' must be a list of sizes: " + abbreviate(node));
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw new IllegalArgumentException("tensor 'shape' must hold non-negative integers: " + shapeNode);
            }
            shape[i] = d.asLong();
            numel = Math.multiplyExact(numel, shape[i]);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(node.get("b64").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor 'b64' is not valid base64: " + e.getMessage());
        }
        long expected = numel * TensorBytes.elementSize(type);
        if (bytes.length != expected) {
            throw new IllegalArgumentException("tensor of dtype " + node.get("dtype").asText() + " and shape " + shapeNode
                    + " needs " + expected + " bytes, but 'b64' holds " + bytes.length);
        }
        return TensorBytes.toTensor(type, shape, bytes);
    }

    /** The raw little-endian bytes of a tensor in C-contiguous order (copied to the CPU if needed). */
    public static byte[] bytes(Tensor t) {
        return TensorBytes.of(t);
    }

    /** The JSON-ready encoding of a tensor. */
    public static Map<String, Object> encode(Tensor t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dtype", Dtypes.name(t));
        m.put("shape", t.sizes().vec().get());
        m.put("b64", Base64.getEncoder().encodeToString(bytes(t)));
        return m;
    }

    /** The elements as doubles (complex: real and imaginary parts interleaved). */
    public static double[] values(ScalarType type, byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int size = TensorBytes.elementSize(type);
        int n = raw.length / (type == ScalarType.ComplexFloat ? 4 : type == ScalarType.ComplexDouble ? 8 : size);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (type) {
                case Float, ComplexFloat -> b.getFloat();
                case Double, ComplexDouble -> b.getDouble();
                case BFloat16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                case Half -> halfToFloat(b.getShort());
                case Long -> b.getLong();
                case Int -> b.getInt();
                case Short -> b.getShort();
                case Char -> b.get();
                case Byte -> b.get() & 0xff;
                case Bool -> b.get() != 0 ? 1 : 0;
                default -> throw new IllegalArgumentException("unsupported dtype " + type);
            };
        }
        return v;
    }

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            float f = mant * 0x1p-24f;
            return sign != 0 ? -f : f;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static String abbreviate(JsonNode node) {
        String s = String.valueOf(node);
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
