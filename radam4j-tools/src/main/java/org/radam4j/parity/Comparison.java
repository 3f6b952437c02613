package org.radam4j.parity;

import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;

/**
 * Accumulates the comparisons of one case: whether every tensor was identical to the recorded one, the
 * largest relative difference, whether all were within tolerance, and the first mismatch.
 */
final class Comparison {

    private boolean bitwise = true;
    private boolean withinTolerance = true;
    private double maxRel;
    private long maxUlps;
    private String firstMismatch;
    private String firstOutOfTolerance;

    /** Compares a tensor with its recorded encoding; {@code where} names it in a mismatch. */
    void tensor(String where, Tensor actual, Tensor expected, Tolerance tol) {
        if (actual == null || expected == null) {
            if (actual != expected) {
                fail(where + ": " + (actual == null ? "missing, expected a tensor" : "expected none, got a tensor"));
            }
            return;
        }
        ScalarType type = Dtypes.of(expected);
        if (Dtypes.of(actual) != type) {
            fail(where + ": dtype " + Dtypes.name(actual) + ", expected " + Dtypes.name(expected));
            return;
        }
        long[] as = actual.sizes().vec().get();
        long[] es = expected.sizes().vec().get();
        if (!Arrays.equals(as, es)) {
            fail(where + ": shape " + Arrays.toString(as) + ", expected " + Arrays.toString(es));
            return;
        }
        byte[] a = TensorCodec.bytes(actual);
        byte[] e = TensorCodec.bytes(expected);
        double[] av = TensorCodec.values(type, a);
        double[] ev = TensorCodec.values(type, e);
        values(where, av, ev, Arrays.equals(a, e), tol);
        for (int i = 0; i < av.length; i++) {
            maxUlps = Math.max(maxUlps, ulps(type, av[i], ev[i]));
        }
    }

    /** Compares scalars (step counts, losses). */
    void scalar(String where, double actual, double expected, Tolerance tol) {
        values(where, new double[] {actual}, new double[] {expected},
                Double.doubleToLongBits(actual) == Double.doubleToLongBits(expected), tol);
    }

    private void values(String where, double[] a, double[] e, boolean identical, Tolerance tol) {
        double maxAbs = 0;
        boolean ok = true;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - e[i]);
            if (Double.isNaN(a[i]) != Double.isNaN(e[i])) {
                d = Double.POSITIVE_INFINITY;
            } else if (Double.isNaN(d)) {
                d = 0;
            }
            maxAbs = Math.max(maxAbs, d);
            if (d > 0) {
                maxRel = Math.max(maxRel, e[i] != 0 ? d / Math.abs(e[i]) : d);
            }
            ok &= tol.accepts(a[i], e[i]);
        }
        if (!identical) {
            if (bitwise) {
                firstMismatch = where + ": max abs diff " + maxAbs;
            }
            bitwise = false;
        }
        if (!ok && withinTolerance) {
            withinTolerance = false;
            firstOutOfTolerance = where + ": max abs diff " + maxAbs + " beyond rtol " + tol.rtol() + " atol " + tol.atol();
        }
    }

    /** A structural mismatch (missing state, wrong dtype or shape): fails both ways. */
    void fail(String why) {
        if (bitwise) {
            firstMismatch = why;
        }
        if (withinTolerance) {
            firstOutOfTolerance = why;
        }
        bitwise = false;
        withinTolerance = false;
    }

    /** The distance in units in the last place of the dtype (float32 for complex64). */
    static long ulps(ScalarType type, double a, double e) {
        if (Double.isNaN(a) || Double.isNaN(e)) {
            return Double.isNaN(a) && Double.isNaN(e) ? 0 : Long.MAX_VALUE;
        }
        return switch (type) {
            case Double, ComplexDouble -> Math.abs(ordered(Double.doubleToLongBits(a)) - ordered(Double.doubleToLongBits(e)));
            case BFloat16 -> Math.abs(ordered32(Float.floatToIntBits((float) a)) - ordered32(Float.floatToIntBits((float) e))) >> 16;
            case Half -> Math.round(Math.abs(a - e) / Math.max(Math.ulp((float) e) * 8192.0, 0x1p-24));
            default -> Math.abs(ordered32(Float.floatToIntBits((float) a)) - ordered32(Float.floatToIntBits((float) e)));
        };
    }

    private static long ordered(long bits) {
        return bits < 0 ? Long.MIN_VALUE - bits : bits;
    }

    private static long ordered32(int bits) {
        return bits < 0 ? (long) Integer.MIN_VALUE - bits : bits;
    }

    long maxUlps() {
        return maxUlps;
    }

    boolean bitwise() {
        return bitwise;
    }

    boolean withinTolerance() {
        return withinTolerance;
    }

    double maxRel() {
        return maxRel;
    }

    String firstMismatch() {
        return firstMismatch;
    }

    String firstOutOfTolerance() {
        return firstOutOfTolerance;
    }
}
