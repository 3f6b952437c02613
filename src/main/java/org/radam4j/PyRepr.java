package org.radam4j;

import java.math.BigDecimal;

/** Python's {@code repr()} of floats, so that error messages read exactly as PyTorch's do. */
final class PyRepr {

    private PyRepr() {
    }

    /** {@code repr(float(x))}: {@code 1.0}, {@code -1e-08}, {@code 0.0001}, {@code 1e+16}, {@code nan}, {@code inf}. */
    static String of(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        if (x == 0.0) {
            return (1.0 / x < 0) ? "-0.0" : "0.0";
        }
        BigDecimal d = new BigDecimal(Double.toString(Math.abs(x))).stripTrailingZeros();
        String digits = d.unscaledValue().toString();
        int decpt = digits.length() - d.scale();
        StringBuilder s = new StringBuilder(x < 0 ? "-" : "");
        if (decpt <= -4 || decpt > 16) {
            s.append(digits.charAt(0));
            if (digits.length() > 1) {
                s.append('.').append(digits, 1, digits.length());
            }
            int exp = decpt - 1;
            s.append('e').append(exp < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exp));
            s.append(e.length() < 2 ? "0" + e : e);
        } else if (decpt <= 0) {
            s.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= digits.length()) {
            s.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
        } else {
            s.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        }
        return s.toString();
    }

    /** How Python prints a 0-dim float tensor in a message: {@code tensor(-1.)}, {@code tensor(0.5000)}. */
    static String tensorScalar(double x) {
        if (x == Math.rint(x) && !Double.isInfinite(x)) {
            return "tensor(" + (long) x + ".)";
        }
        return "tensor(" + String.format(java.util.Locale.ROOT, "%.4f", x) + ")";
    }
}
