package org.radam4j.parity;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Tolerances for comparing a path with the one PyTorch recorded: PyTorch's {@code torch.testing.assert_close}
 * defaults per dtype, {@code |actual - expected| <= atol + rtol * |expected|}.
 *
 * @param rtol relative tolerance
 * @param atol absolute tolerance
 */
public record Tolerance(double rtol, double atol) {

    /** PyTorch's default tolerance for a dtype (complex: that of its real type). */
    public static Tolerance of(ScalarType type) {
        return switch (type) {
            case Float, ComplexFloat -> new Tolerance(1.3e-6, 1e-5);
            case Double, ComplexDouble -> new Tolerance(1e-7, 1e-7);
            case BFloat16 -> new Tolerance(1.6e-2, 1e-5);
            case Half -> new Tolerance(1e-3, 1e-5);
            default -> new Tolerance(0, 0);
        };
    }

    boolean accepts(double actual, double expected) {
        if (Double.isNaN(actual) || Double.isNaN(expected)) {
            return Double.isNaN(actual) && Double.isNaN(expected);
        }
        if (actual == expected) {
            return true;
        }
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }
}
