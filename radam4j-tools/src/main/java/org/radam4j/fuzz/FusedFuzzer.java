package org.radam4j.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TypeMeta;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.ParamGroupSpec;
import org.radam4j.ParamState;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.FusedKernel;
import org.radam4j.parity.TensorCodec;

/**
 * The fused path against the for-loop path (bit for bit with PyTorch on the CPU), on random configurations: each
 * draws dtypes (float32, float64, bfloat16, float16, complex64, mixed), params that are 0-dim, empty, odd-sized,
 * large enough for several chunks, or non-contiguous, one to three groups, lr as a double or a 0-dim float32,
 * float64 or bfloat16 tensor, changes of lr between steps, betas, eps (0 too), weight decay coupled or
 * decoupled, maximize, missing gradients, gradients with NaN and infinities, a state dict loaded mid-run, and
 * float64 as the default dtype. Every other configuration has the kernel look up bfloat16 and float16 functions in
 * tables however small the step ({@link FusedKernel#tablesFrom}). After every step the params and the whole state must be identical bit for bit,
 * NaN for NaN (a NaN's payload bits are not compared: libtorch's own kernels do not keep them alike).
 */
public final class FusedFuzzer {

    /** What a run found: configurations and steps compared, and each difference in words. */
    public record Report(int configs, long steps, List<String> differences) {
        public boolean ok() {
            return differences.isEmpty();
        }
    }

    private static final ScalarType[] DTYPES = {ScalarType.Float, ScalarType.Double, ScalarType.BFloat16, ScalarType.Half,
        ScalarType.ComplexFloat};
    private static final ScalarType[] LR_DTYPES = {ScalarType.Float, ScalarType.Double, ScalarType.BFloat16};

    private FusedFuzzer() {
    }

    /** Runs configurations {@code 0 .. count-1} of {@code seed}; configuration i is the same in every run. */
    public static Report run(int count, long seed) {
        List<String> differences = new ArrayList<>();
        long steps = 0;
        for (int i = 0; i < count; i++) {
            Random r = new Random(seed * 1_000_003L + i);
            boolean float64Default = r.nextInt(8) == 0;
            TypeMeta before = torch.get_default_dtype();
            boolean tables = i % 2 == 1;
            long tablesBefore = FusedKernel.tablesFrom(tables ? 0 : Long.MAX_VALUE);
            try (PointerScope scope = new PointerScope()) {
                if (float64Default) {
                    torch.set_default_dtype(torch.scalarTypeToTypeMeta(ScalarType.Double));
                }
                Config c = new Config(r, float64Default);
                String diff = c.run();
                steps += c.stepsRun;
                if (diff != null) {
                    differences.add("config " + i + " of seed " + seed + " (" + (tables ? "tables, " : "")
                            + c.describe() + "): " + diff);
                }
            } finally {
                FusedKernel.tablesFrom(tablesBefore);
                torch.set_default_dtype(before);
            }
        }
        return new Report(count, steps, differences);
    }

    /** One random configuration: twin params, one fused optimizer and one for-loop optimizer. */
    private static final class Config {
        final Random r;
        final boolean float64Default;
        final List<List<Tensor>> fusedGroups = new ArrayList<>();
        final List<List<Tensor>> loopGroups = new ArrayList<>();
        final List<String> groupText = new ArrayList<>();
        final List<Tensor> fusedLrs = new ArrayList<>();
        final List<Tensor> loopLrs = new ArrayList<>();
        final int steps;
        int stepsRun;

        Config(Random r, boolean float64Default) {
            this.r = r;
            this.float64Default = float64Default;
            this.steps = 1 + r.nextInt(12);
        }

        String describe() {
            return (float64Default ? "default float64, " : "") + steps + " steps, groups " + groupText;
        }

        String run() {
            ScalarType main = DTYPES[r.nextInt(DTYPES.length)];
            int groups = 1 + r.nextInt(3);
            List<ParamGroupSpec> fusedSpecs = new ArrayList<>();
            List<ParamGroupSpec> loopSpecs = new ArrayList<>();
            for (int g = 0; g < groups; g++) {
                List<Tensor> fp = new ArrayList<>();
                List<Tensor> lp = new ArrayList<>();
                StringBuilder text = new StringBuilder("[");
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    ScalarType dtype = r.nextInt(4) == 0 ? DTYPES[r.nextInt(DTYPES.length)] : main;
                    Tensor p = param(dtype, text);
                    fp.add(p);
                    lp.add(twin(p));
                }
                fusedGroups.add(fp);
                loopGroups.add(lp);
                ParamGroupSpec fs = ParamGroupSpec.of(fp);
                ParamGroupSpec ls = ParamGroupSpec.of(lp);
                options(fs, ls, text);
                fusedSpecs.add(fs);
                loopSpecs.add(ls);
                groupText.add(text.append(']').toString());
            }
            RAdam fused = new RAdam(fusedSpecs, RAdamOptions.builder().fused(true).build());
            RAdam loop = new RAdam(loopSpecs, RAdamOptions.builder().foreach(false).build());
            int loadAt = r.nextInt(3) == 0 ? r.nextInt(steps) : -1;
            for (int s = 0; s < steps; s++) {
                try (PointerScope scope = new PointerScope()) {
                    grads(s);
                    if (s > 0 && r.nextInt(5) == 0) {
                        changeLr(fused, loop);
                    }
                    fused.step();
                    loop.step();
                    stepsRun++;
                    String d = compare(fused, loop, s);
                    if (d != null) {
                        return d;
                    }
                    if (s == loadAt) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> sd = (Map<String, Object>) RandomValues.snapshot(loop.stateDict());
                        fused.loadStateDict(sd);
                        loop.loadStateDict(sd);
                        groupText.add("state dict loaded after step " + (s + 1));
                    }
                }
            }
            fused.close();
            loop.close();
            return null;
        }

        Tensor param(ScalarType dtype, StringBuilder text) {
            int kind = r.nextInt(10);
            Tensor base;
            String what;
            switch (kind) {
                case 0 -> {
                    base = torch.randn(new long[0]);
                    what = "0-dim";
                }
                case 1 -> {
                    base = torch.randn(0);
                    what = "empty";
                }
                case 2 -> {
                    base = torch.randn(3 + r.nextInt(9), 2 + r.nextInt(9)).t();
                    what = "transposed";
                }
                case 3 -> {
                    base = torch.randn(2 * (1 + r.nextInt(50))).slice(0, new org.bytedeco.pytorch.LongOptional(0),
                            new org.bytedeco.pytorch.LongOptional(Long.MAX_VALUE), 2);
                    what = "strided";
                }
                case 4 -> {
                    base = torch.randn(65_536 + 1 + r.nextInt(70_000));
                    what = "large";
                }
                default -> {
                    base = torch.randn(1 + r.nextInt(300));
                    what = "odd";
                }
            }
            Tensor p = base.mul(new Scalar(Math.pow(10, r.nextInt(4) - 2))).to(dtype);
            if (kind == 2 || kind == 3) {
                p = p.detach();
                if (kind == 2 && p.is_contiguous()) {
                    p = p.t().contiguous().t();
                }
            } else {
                p = p.contiguous();
            }
            p.requires_grad_(true);
            text.append(what).append(' ').append(Dtypes.name(p)).append(Long.toString(p.numel())).append(", ");
            return p;
        }

        /** A copy of {@code p} with the same values and strides. */
        Tensor twin(Tensor p) {
            Tensor t = torch.empty_strided(p.sizes(), p.strides(), new TensorOptions(Dtypes.of(p)));
            t.copy_(p.detach());
            t.requires_grad_(true);
            return t;
        }

        void options(ParamGroupSpec fs, ParamGroupSpec ls, StringBuilder text) {
            double lr = Math.pow(10, -4 + 3 * r.nextDouble());
            if (r.nextBoolean()) {
                ScalarType lrType = LR_DTYPES[r.nextInt(LR_DTYPES.length)];
                Tensor fl = torch.scalar_tensor(new Scalar(lr), new TensorOptions(lrType));
                Tensor ll = fl.clone();
                fusedLrs.add(fl);
                loopLrs.add(ll);
                fs.lr(fl);
                ls.lr(ll);
                text.append("lr ").append(Dtypes.name(fl)).append(" tensor ").append(lr);
            } else {
                fusedLrs.add(null);
                loopLrs.add(null);
                fs.lr(lr);
                ls.lr(lr);
                text.append("lr ").append(lr);
            }
            double beta1 = r.nextInt(4) == 0 ? 0.0 : 0.5 + 0.49 * r.nextDouble();
            double beta2 = r.nextInt(4) == 0 ? 0.999 : 0.5 + 0.4999 * r.nextDouble();
            double eps = new double[] {1e-8, 0.0, 1e-3, 1e-6}[r.nextInt(4)];
            double wd = r.nextBoolean() ? 0.0 : r.nextDouble() * 0.5;
            boolean decoupled = r.nextBoolean();
            boolean maximize = r.nextInt(4) == 0;
            for (ParamGroupSpec s : List.of(fs, ls)) {
                s.betas(beta1, beta2).eps(eps).weightDecay(wd).decoupledWeightDecay(decoupled).maximize(maximize);
            }
            text.append(", betas (").append(beta1).append(", ").append(beta2).append("), eps ").append(eps)
                    .append(", weight_decay ").append(wd).append(decoupled ? " decoupled" : "")
                    .append(maximize ? ", maximize" : "");
        }

        void grads(int step) {
            for (int g = 0; g < fusedGroups.size(); g++) {
                for (int k = 0; k < fusedGroups.get(g).size(); k++) {
                    Tensor fp = fusedGroups.get(g).get(k);
                    Tensor lp = loopGroups.get(g).get(k);
                    if (r.nextInt(7) == 0) {
                        fp.mutable_grad().put(new Tensor());
                        lp.mutable_grad().put(new Tensor());
                        continue;
                    }
                    Tensor grad = torch.randn(fp.sizes(), new TensorOptions(Dtypes.of(fp)))
                            .mul(new Scalar(Math.pow(10, r.nextInt(5) - 3)));
                    if (fp.numel() > 0 && r.nextInt(8) == 0) {
                        double special = new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}[r.nextInt(3)];
                        grad.view(-1).narrow(0, r.nextInt((int) Math.min(fp.numel(), Integer.MAX_VALUE)), 1)
                                .fill_(new Scalar(special));
                    }
                    if (fp.dim() == 2 && r.nextBoolean()) {
                        grad = grad.t().contiguous().t();
                    }
                    fp.mutable_grad().put(twin(grad).detach());
                    lp.mutable_grad().put(twin(grad).detach());
                }
            }
        }

        void changeLr(RAdam fused, RAdam loop) {
            for (int g = 0; g < fusedGroups.size(); g++) {
                double lr = Math.pow(10, -4 + 3 * r.nextDouble());
                if (fusedLrs.get(g) != null) {
                    fusedLrs.get(g).fill_(new Scalar(lr));
                    loopLrs.get(g).fill_(new Scalar(lr));
                } else {
                    fused.paramGroups().get(g).setLr(lr);
                    loop.paramGroups().get(g).setLr(lr);
                }
            }
            groupText.add("lr changed before step " + (stepsRun + 1));
        }

        String compare(RAdam fused, RAdam loop, int step) {
            for (int g = 0; g < fusedGroups.size(); g++) {
                for (int k = 0; k < fusedGroups.get(g).size(); k++) {
                    Tensor fp = fusedGroups.get(g).get(k);
                    Tensor lp = loopGroups.get(g).get(k);
                    String where = "step " + (step + 1) + ", group " + g + ", param " + k + " ";
                    String d = difference(fp, lp);
                    if (d != null) {
                        return where + "param " + d;
                    }
                    ParamState fs = fused.state(fp);
                    ParamState ls = loop.state(lp);
                    if ((fs == null) != (ls == null)) {
                        return where + "state exists on one path only";
                    }
                    if (fs != null) {
                        for (String[] pair : new String[][] {{"step"}, {"exp_avg"}, {"exp_avg_sq"}}) {
                            Tensor a = pair[0].equals("step") ? fs.step() : pair[0].equals("exp_avg") ? fs.expAvg() : fs.expAvgSq();
                            Tensor b = pair[0].equals("step") ? ls.step() : pair[0].equals("exp_avg") ? ls.expAvg() : ls.expAvgSq();
                            d = Dtypes.of(a) != Dtypes.of(b) ? "dtype " + Dtypes.name(a) + " against " + Dtypes.name(b) : difference(a, b);
                            if (d != null) {
                                return where + pair[0] + " " + d;
                            }
                        }
                    }
                }
            }
            return null;
        }
    }

    /**
     * Where two tensors of one dtype and shape differ bit for bit, NaN matching any NaN, or {@code null}: the
     * first element that differs with both values.
     */
    static String difference(Tensor a, Tensor b) {
        Tensor ra = a.is_complex() ? torch.view_as_real(a.detach()) : a.detach();
        Tensor rb = b.is_complex() ? torch.view_as_real(b.detach()) : b.detach();
        byte[] x = TensorCodec.bytes(ra.contiguous());
        byte[] y = TensorCodec.bytes(rb.contiguous());
        if (x.length != y.length) {
            return "has " + x.length + " bytes against " + y.length;
        }
        int width = (int) ra.element_size();
        for (int e = 0; e * width < x.length; e++) {
            long u = bits(x, e, width);
            long v = bits(y, e, width);
            if (u != v && !(isNaN(u, width, Dtypes.of(ra)) && isNaN(v, width, Dtypes.of(ra)))) {
                return "element " + e + ": fused bits 0x" + Long.toHexString(u) + ", for-loop bits 0x" + Long.toHexString(v);
            }
        }
        return null;
    }

    private static long bits(byte[] b, int e, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = (v << 8) | (b[e * width + i] & 0xff);
        }
        return v;
    }

    private static boolean isNaN(long bits, int width, ScalarType t) {
        return switch (width) {
            case 8 -> Double.isNaN(Double.longBitsToDouble(bits));
            case 4 -> Float.isNaN(Float.intBitsToFloat((int) bits));
            default -> t == ScalarType.BFloat16 ? (bits & 0x7fff) > 0x7f80 : (bits & 0x7fff) > 0x7c00;
        };
    }
}
