package org.radam4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.ParamGroup;
import org.radam4j.ParamGroupSpec;
import org.radam4j.ParamState;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.TensorBytes;

/**
 * Replays recorded RAdam runs ({@code docs/recording-format.md}: written by {@code scripts/radam4j_record.py}
 * in Python, by {@link Recorder} in Java, or converted from the golden JSON) with radam4j, and says for each
 * case whether every param and every state tensor after every step is identical, within tolerance, or not:
 *
 * <pre>{@code
 * for (Recordings.Verdict v : Recordings.replay(Path.of("run.pt"))) {
 *     assertTrue(v.passed(), v.toString());
 * }
 * }</pre>
 *
 * Bitwise identity is expected where the recording's op order is radam4j's: PyTorch 2.x's for-loop and foreach
 * paths on the CPU, and radam4j's own recordings. For other recordings (PyTorch 1.13, say) a verdict that is
 * not bitwise says so instead of failing.
 */
public final class Recordings {

    /** The format tag of a recording file. */
    public static final String FORMAT = "radam4j-recording/1";

    /** Each case's outcome. */
    public enum Status { BITWISE, WITHIN_TOLERANCE, FAIL }

    /**
     * One case's verdict.
     *
     * @param maxUlp the largest distance in units in the last place over every compared element
     * @param detail the first element out of tolerance (step, param, tensor, element, values), or a note
     */
    public record Verdict(String name, Status status, long maxUlp, String detail, String recordedWith) {
        public boolean passed() {
            return status != Status.FAIL;
        }

        /** One report line: {@code name: bitwise}, {@code name: within-tolerance max_ulp=N ...}, {@code name: FAIL ...}. */
        @Override
        public String toString() {
            return switch (status) {
                case BITWISE -> name + ": bitwise";
                case WITHIN_TOLERANCE -> name + ": within-tolerance max_ulp=" + maxUlp + (detail.isEmpty() ? "" : " " + detail);
                case FAIL -> name + ": FAIL " + detail;
            };
        }
    }

    private Recordings() {
    }

    /** Replays every case of a recording file on the path the recording used. */
    public static List<Verdict> replay(Path file) throws IOException {
        return replay(file, null);
    }

    /**
     * Replays every case of a recording file.
     *
     * @param path {@code "forloop"}, {@code "foreach"} or {@code "fused"} to force radam4j's path, or {@code null}
     *     for the recorded options
     * @throws TorchFileFormatException when the file is not a recording
     */
    @SuppressWarnings("unchecked")
    public static List<Verdict> replay(Path file, String path) throws IOException {
        Object root = TorchFiles.load(file);
        if (!(root instanceof Map<?, ?> m) || !FORMAT.equals(m.get("format"))) {
            throw new TorchFileFormatException(file + " is not a radam4j recording (format " + FORMAT + ")");
        }
        String version = String.valueOf(m.get("torch_version"));
        String producer = String.valueOf(m.get("producer"));
        List<Verdict> out = new ArrayList<>();
        for (Object c : (List<Object>) m.get("cases")) {
            try (PointerScope scope = new PointerScope()) {
                out.add(replayCase((Map<String, Object>) c, producer, version, path));
            }
        }
        return out;
    }

    /** Whether a recording's op order is radam4j's, so that bitwise identity is expected. */
    static boolean bitwiseExpected(String producer, String version, Object foreach, String path) {
        boolean ownOrder = producer.equals("java") || producer.equals("golden-json") || version.startsWith("2.");
        return ownOrder && !"fused".equals(path);
    }

    @SuppressWarnings("unchecked")
    private static Verdict replayCase(Map<String, Object> c, String producer, String version, String path) {
        String name = String.valueOf(c.get("name"));
        List<Tensor> init = (List<Tensor>) (List<?>) c.get("init");
        List<Tensor> params = new ArrayList<>();
        for (Tensor t : init) {
            Tensor p = t.detach().clone();
            p.requires_grad_(true);
            params.add(p);
        }
        RAdamOptions defaults = options((Map<String, Object>) c.get("defaults"), RAdamOptions.defaults(), path);
        List<ParamGroupSpec> specs = new ArrayList<>();
        List<List<Integer>> groupParams = new ArrayList<>();
        for (Object g : (List<Object>) c.get("groups")) {
            Map<String, Object> group = (Map<String, Object>) g;
            List<Integer> idx = new ArrayList<>();
            List<Tensor> ps = new ArrayList<>();
            for (Object i : (List<Object>) group.get("params")) {
                idx.add(((Number) i).intValue());
                ps.add(params.get(((Number) i).intValue()));
            }
            groupParams.add(idx);
            ParamGroupSpec spec = ParamGroupSpec.of(ps);
            options((Map<String, Object>) group.get("options"), defaults, path).toMap().forEach(spec::set);
            specs.add(spec);
        }
        RAdam opt = new RAdam(specs, defaults);
        Tally tally = new Tally();
        List<Object> steps = (List<Object>) c.get("steps");
        for (int s = 0; s < steps.size(); s++) {
            Map<String, Object> step = (Map<String, Object>) steps.get(s);
            Object opts = step.get("options");
            if (opts instanceof List<?> perGroup) {
                for (int g = 0; g < perGroup.size(); g++) {
                    ParamGroup pg = opt.paramGroups().get(g);
                    pg.setOptions(options((Map<String, Object>) perGroup.get(g), pg.options(), path));
                }
            }
            List<Object> grads = (List<Object>) step.get("grads");
            for (int i = 0; i < params.size(); i++) {
                Object gr = grads.get(i);
                params.get(i).mutable_grad().put(gr instanceof Tensor t ? t.detach().clone() : new Tensor());
            }
            opt.step();
            Map<String, Object> expect = (Map<String, Object>) step.get("expect");
            for (int i = 0; i < params.size() && !tally.failed(); i++) {
                ParamState st = opt.state(params.get(i));
                tally.compare(s, i, "params", params.get(i).detach(), ((List<Object>) expect.get("params")).get(i));
                tally.compare(s, i, "exp_avg", st == null ? null : st.expAvg(), ((List<Object>) expect.get("exp_avg")).get(i));
                tally.compare(s, i, "exp_avg_sq", st == null ? null : st.expAvgSq(), ((List<Object>) expect.get("exp_avg_sq")).get(i));
                tally.compare(s, i, "step", st == null ? null : st.step(), ((List<Object>) expect.get("step")).get(i));
            }
            if (tally.failed()) {
                break;
            }
        }
        opt.close();
        String with = producer.equals("python") ? "PyTorch " + version : version;
        if (tally.failed()) {
            return new Verdict(name, Status.FAIL, tally.maxUlp, tally.first, with);
        }
        if (tally.maxUlp == 0) {
            return new Verdict(name, Status.BITWISE, 0, "", with);
        }
        String note = bitwiseExpected(producer, version, null, path) ? ""
                : "(recorded with " + with + ", whose op order differs from radam4j's: bitwise not expected)";
        return new Verdict(name, Status.WITHIN_TOLERANCE, tally.maxUlp, note, with);
    }

    /** Options from a recorded map over {@code base}, with the path forced when asked. */
    private static RAdamOptions options(Map<String, Object> recorded, RAdamOptions base, String path) {
        Map<String, Object> m = new LinkedHashMap<>(recorded);
        if (m.get("lr") instanceof Tensor t) {
            m.put("lr", t.detach().clone());
        }
        if (path != null) {
            m.put("foreach", path.equals("foreach"));
            m.put("fused", path.equals("fused"));
            if (path.equals("fused")) {
                m.put("foreach", null);
            }
        }
        return RAdamOptions.fromMap(m, base);
    }

    /** The element-by-element comparison of one case: the largest ulp distance, and the first failure. */
    private static final class Tally {
        long maxUlp;
        String first;

        boolean failed() {
            return first != null;
        }

        void compare(int step, int param, String what, Tensor java, Object recorded) {
            if (failed()) {
                return;
            }
            String where = "step " + (step + 1) + ", param " + param + " " + what;
            if (java == null || !(recorded instanceof Tensor r)) {
                if ((java == null) != (recorded == null)) {
                    first = where + ": " + (java == null ? "no state in Java" : "no state recorded");
                }
                return;
            }
            Tensor a = java.is_complex() ? org.bytedeco.pytorch.global.torch.view_as_real(java) : java;
            Tensor b = r.is_complex() ? org.bytedeco.pytorch.global.torch.view_as_real(r) : r;
            if (a.numel() != b.numel() || Dtypes.of(a) != Dtypes.of(b)) {
                first = where + ": java " + Dtypes.name(a) + a.numel() + " elements, recorded " + Dtypes.name(b) + b.numel();
                return;
            }
            ScalarType t = Dtypes.of(a);
            double[] x = doubles(a);
            double[] y = doubles(b);
            double rtol = t == ScalarType.Double ? 1e-10 : t == ScalarType.BFloat16 ? 2e-2 : t == ScalarType.Half ? 2e-3 : 2e-5;
            double atol = t == ScalarType.Double ? 1e-13 : t == ScalarType.Float || t == ScalarType.ComplexFloat ? 1e-7 : 1e-5;
            for (int e = 0; e < x.length; e++) {
                if (Double.compare(x[e], y[e]) == 0 || (Double.isNaN(x[e]) && Double.isNaN(y[e]))) {
                    continue;
                }
                maxUlp = Math.max(maxUlp, ulps(x[e], y[e], t));
                if (!(Math.abs(x[e] - y[e]) <= atol + rtol * Math.abs(y[e]))) {
                    first = where + " element " + e + ": java " + x[e] + ", recorded " + y[e];
                    return;
                }
            }
        }

        private static double[] doubles(Tensor t) {
            Tensor d = t.detach().to(ScalarType.Double).contiguous();
            byte[] raw = TensorBytes.of(d);
            java.nio.DoubleBuffer buf = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
            double[] out = new double[buf.remaining()];
            buf.get(out);
            return out;
        }

        /** Units in the last place of the dtype between two of its values. */
        private static long ulps(double a, double b, ScalarType t) {
            if (t == ScalarType.Double) {
                return Math.abs(ordered(Double.doubleToLongBits(a)) - ordered(Double.doubleToLongBits(b)));
            }
            long fa = ordered32(Float.floatToIntBits((float) a));
            long fb = ordered32(Float.floatToIntBits((float) b));
            long shift = t == ScalarType.BFloat16 ? 16 : t == ScalarType.Half ? 13 : 0;
            return Math.abs(fa - fb) >> shift;
        }

        private static long ordered(long bits) {
            return bits < 0 ? Long.MIN_VALUE - bits : bits;
        }

        private static long ordered32(int bits) {
            return bits < 0 ? (long) Integer.MIN_VALUE - bits : bits;
        }
    }
}
