package org.radam4j.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Python's {@code repr(tensor)} with PyTorch's default print options (precision 4, line width 80, summary above
 * 1000 elements with 3 edge items): {@code tensor(3.)}, {@code tensor([0.0010, 0.2000])},
 * {@code tensor([1.0000e-05, 2.0000e+00], dtype=torch.float64)}. Complex tensors print their real view.
 */
public final class TensorRepr {

    private static final int PRECISION = 4;
    private static final int LINE_WIDTH = 80;
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;

    private TensorRepr() {
    }

    public static String of(Tensor t) {
        if (t == null || t.isNull() || !t.defined()) {
            return "None";
        }
        ScalarType type = Dtypes.of(t);
        List<String> suffixes = new ArrayList<>();
        if (!t.is_cpu()) {
            suffixes.add("device='" + t.device().str().getString() + "'");
        }
        String body;
        if (t.is_meta()) {
            body = "...";
            suffixes.add("size=" + shape(t));
        } else if (t.numel() == 0) {
            body = "[]";
            if (t.dim() != 1) {
                suffixes.add("size=" + shape(t));
            }
        } else {
            try (PointerScope scope = new PointerScope()) {
                Tensor real = t.is_complex() ? org.bytedeco.pytorch.global.torch.view_as_real(t.detach()) : t.detach();
                Tensor d = real.to(new org.bytedeco.pytorch.Device("cpu"), ScalarType.Double).contiguous();
                long[] sizes = real.sizes().vec().get();
                double[] values = new double[(int) d.numel()];
                new DoublePointer(d.data_ptr()).get(values);
                boolean summarize = t.numel() > THRESHOLD;
                Formatter f = new Formatter(type, values, sizes, summarize);
                body = tensorStr(values, sizes, 0, 0, 7, f, summarize);
            }
        }
        boolean defaultType = type == ScalarType.Float || type == ScalarType.Long || type == ScalarType.Bool;
        if (!defaultType) {
            suffixes.add("dtype=torch." + Dtypes.name(type));
        }
        if (t.requires_grad()) {
            suffixes.add("requires_grad=True");
        }
        StringBuilder s = new StringBuilder("tensor(").append(body);
        int lastLine = s.length() - s.lastIndexOf("\n") + 1;
        for (String suffix : suffixes) {
            if (lastLine + suffix.length() + 2 > LINE_WIDTH) {
                s.append(",\n").append(" ".repeat(7)).append(suffix);
                lastLine = 7 + suffix.length();
            } else {
                s.append(", ").append(suffix);
                lastLine += suffix.length() + 2;
            }
        }
        return s.append(')').toString();
    }

    private static String shape(Tensor t) {
        long[] sizes = t.sizes().vec().get();
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < sizes.length; i++) {
            s.append(i == 0 ? "" : ", ").append(sizes[i]);
        }
        return s.append(sizes.length == 1 ? ",)" : ")").toString();
    }

    /** Elements of dims [dim, ...) from flat offset {@code offset}, as PyTorch's {@code _tensor_str_with_formatter}. */
    private static String tensorStr(double[] v, long[] sizes, int dim, long offset, int indent, Formatter f, boolean summarize) {
        if (sizes.length == 0) {
            return f.format(v[0]);
        }
        long stride = 1;
        for (int i = dim + 1; i < sizes.length; i++) {
            stride *= sizes[i];
        }
        long n = sizes[dim];
        List<String> parts = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            if (summarize && n > 2 * EDGE && i == EDGE) {
                parts.add(dim == sizes.length - 1 ? " ..." : "...");
                i = n - EDGE - 1;
                continue;
            }
            parts.add(dim == sizes.length - 1 ? f.format(v[(int) (offset + i)])
                    : tensorStr(v, sizes, dim + 1, offset + i * stride, indent + 1, f, summarize));
        }
        if (dim == sizes.length - 1) {
            int perLine = Math.max((int) Math.floor((LINE_WIDTH - indent) / (double) (f.width + 2)), 1);
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < parts.size(); i++) {
                if (i > 0) {
                    s.append(i % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
                }
                s.append(parts.get(i));
            }
            return s.append(']').toString();
        }
        String sep = "," + "\n".repeat(sizes.length - dim - 1) + " ".repeat(indent + 1);
        return "[" + String.join(sep, parts) + "]";
    }

    /** PyTorch's {@code _Formatter}: integer, fixed or scientific notation, padded to a common width. */
    private static final class Formatter {
        final boolean floating;
        final boolean bool;
        boolean intMode = true;
        boolean sciMode;
        int width = 1;

        Formatter(ScalarType type, double[] values, long[] sizes, boolean summarize) {
            floating = type != ScalarType.Long && type != ScalarType.Int && type != ScalarType.Short
                    && type != ScalarType.Char && type != ScalarType.Byte && type != ScalarType.Bool;
            bool = type == ScalarType.Bool;
            List<Double> shown = shown(values, sizes, summarize);
            if (!floating) {
                for (double x : shown) {
                    width = Math.max(width, format(x).length());
                }
                return;
            }
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            boolean any = false;
            for (double x : shown) {
                if (Double.isFinite(x) && x != 0) {
                    any = true;
                    min = Math.min(min, Math.abs(x));
                    max = Math.max(max, Math.abs(x));
                    intMode &= x == Math.ceil(x);
                }
            }
            if (!any) {
                return;
            }
            sciMode = max / min > 1000.0 || max > 1.0e8 || (!intMode && min < 1.0e-4);
            for (double x : shown) {
                if (Double.isFinite(x) && x != 0) {
                    width = Math.max(width, format(x).length());
                }
            }
        }

        private static List<Double> shown(double[] values, long[] sizes, boolean summarize) {
            List<Double> out = new ArrayList<>();
            if (!summarize) {
                for (double x : values) {
                    out.add(x);
                }
                return out;
            }
            for (int i = 0; i < values.length; i++) {
                long rest = i;
                boolean edge = true;
                for (int d = sizes.length - 1; d >= 0; d--) {
                    long idx = rest % sizes[d];
                    rest /= sizes[d];
                    edge &= sizes[d] <= 2 * EDGE || idx < EDGE || idx >= sizes[d] - EDGE;
                }
                if (edge) {
                    out.add(values[i]);
                }
            }
            return out;
        }

        String format(double x) {
            String s;
            if (bool) {
                s = x != 0 ? "True" : "False";
            } else if (!floating) {
                s = Long.toString((long) x);
            } else if (Double.isNaN(x)) {
                s = "nan";
            } else if (Double.isInfinite(x)) {
                s = x > 0 ? "inf" : "-inf";
            } else if (sciMode) {
                s = scientific(x);
            } else if (intMode) {
                s = new BigDecimal(x).setScale(0, RoundingMode.HALF_EVEN).toPlainString() + ".";
                if (x == 0 && 1 / x < 0) {
                    s = "-0.";
                }
            } else {
                s = new BigDecimal(x).setScale(PRECISION, RoundingMode.HALF_EVEN).toPlainString();
                if (x < 0 && !s.startsWith("-")) {
                    s = "-" + s;
                }
            }
            return " ".repeat(Math.max(0, width - s.length())) + s;
        }

        private static String scientific(double x) {
            if (x == 0) {
                return (1 / x < 0 ? "-" : "") + "0." + "0".repeat(PRECISION) + "e+00";
            }
            BigDecimal d = new BigDecimal(x).round(new MathContext(PRECISION + 1, RoundingMode.HALF_EVEN));
            int exp = d.precision() - d.scale() - 1;
            BigDecimal mantissa = d.movePointLeft(exp).setScale(PRECISION, RoundingMode.HALF_EVEN);
            return mantissa.toPlainString() + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
    }
}
