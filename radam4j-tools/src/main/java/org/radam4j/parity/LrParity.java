package org.radam4j.parity;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.ParamGroup;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.internal.LibM;
import org.radam4j.lr.ChainedScheduler;
import org.radam4j.lr.ConstantLR;
import org.radam4j.lr.CosineAnnealingLR;
import org.radam4j.lr.CosineAnnealingWarmRestarts;
import org.radam4j.lr.CyclicLR;
import org.radam4j.lr.ExponentialLR;
import org.radam4j.lr.LRScheduler;
import org.radam4j.lr.LambdaLR;
import org.radam4j.lr.LinearLR;
import org.radam4j.lr.MultiStepLR;
import org.radam4j.lr.MultiplicativeLR;
import org.radam4j.lr.OneCycleLR;
import org.radam4j.lr.PolynomialLR;
import org.radam4j.lr.ReduceLROnPlateau;
import org.radam4j.lr.SequentialLR;
import org.radam4j.lr.StepLR;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Replays the scheduler runs that {@code scripts/record_lr_schedulers.py} recorded (format in
 * {@code docs/lr-schedulers.md}) with radam4j's schedulers, and compares every group's lr and {@code betas[0]}
 * after every step with Python's, bit for bit.
 */
public final class LrParity {

    /** One run's verdict: {@code bitwise}, {@code FAIL ...} or {@code skipped (...)}. */
    public record Result(String name, String verdict) {
        public boolean passed() {
            return verdict.equals("bitwise");
        }

        public boolean skipped() {
            return verdict.startsWith("skipped");
        }
    }

    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private LrParity() {
    }

    public static JsonNode read(File recording) throws IOException {
        return JSON.readTree(recording);
    }

    public static List<Result> run(JsonNode recording) {
        List<Result> out = new ArrayList<>();
        for (JsonNode r : recording.get("runs")) {
            String name = r.get("name").asText();
            if (!r.get("error").isNull()) {
                out.add(new Result(name, "skipped (python: " + r.get("error").asText() + ")"));
                continue;
            }
            try (PointerScope scope = new PointerScope()) {
                out.add(new Result(name, replay(r)));
            } catch (RuntimeException e) {
                out.add(new Result(name, "FAIL java: " + e));
            }
        }
        return out;
    }

    /** An optimizer with one param per group at the config's initial lrs, as the recorder builds it. */
    public static RAdam optimizer(JsonNode lrs) {
        List<ParamGroupSpec> groups = new ArrayList<>();
        for (JsonNode lr : lrs) {
            Tensor p = torch.zeros(1);
            p.requires_grad_(true);
            groups.add(ParamGroupSpec.of(p).lr(lr.asDouble()));
        }
        return new RAdam(groups, RAdamOptions.builder().build());
    }

    private static String replay(JsonNode r) {
        JsonNode config = r.get("config");
        RAdam opt = optimizer(config.get("lrs"));
        LRScheduler s = build(opt, config);
        JsonNode metrics = config.get("metrics");
        JsonNode lrs = r.get("lrs");
        JsonNode beta1 = r.get("beta1");
        for (int step = 0; step < lrs.size(); step++) {
            if (step > 0) {
                if (metrics != null && !metrics.isNull()) {
                    ((ReduceLROnPlateau) s).step(metrics.get((step - 1) % metrics.size()).asDouble());
                } else {
                    s.step();
                }
            }
            List<ParamGroup> groups = opt.paramGroups();
            for (int g = 0; g < groups.size(); g++) {
                String d = differ(step, g, "", groups.get(g).lr(), lrs.get(step).get(g).asDouble());
                if (d == null && beta1 != null) {
                    d = differ(step, g, " betas[0]", groups.get(g).options().beta1(), beta1.get(step).get(g).asDouble());
                }
                if (d != null) {
                    return d;
                }
            }
        }
        return "bitwise";
    }

    private static String differ(int step, int group, String what, double java, double python) {
        if (Double.doubleToLongBits(java) == Double.doubleToLongBits(python)) {
            return null;
        }
        return "FAIL step " + step + " group " + group + what + ": java " + repr(java) + " python " + repr(python);
    }

    private static String repr(double d) {
        return Double.toString(d);
    }

    /** The scheduler a config names, with its keyword arguments (children for SequentialLR and ChainedScheduler). */
    public static LRScheduler build(RAdam opt, JsonNode spec) {
        String cls = spec.get("class").asText();
        JsonNode k = spec.has("kwargs") ? spec.get("kwargs") : JSON.createObjectNode();
        return switch (cls) {
            case "LambdaLR" -> new LambdaLR(opt, lambda(k.get("lr_lambda")));
            case "MultiplicativeLR" -> new MultiplicativeLR(opt, lambda(k.get("lr_lambda")));
            case "StepLR" -> new StepLR(opt, k.get("step_size").asLong(), dbl(k, "gamma", 0.1));
            case "MultiStepLR" -> new MultiStepLR(opt, longs(k.get("milestones")), dbl(k, "gamma", 0.1));
            case "ConstantLR" -> new ConstantLR(opt, dbl(k, "factor", 1.0 / 3), lng(k, "total_iters", 5));
            case "LinearLR" -> new LinearLR(opt, dbl(k, "start_factor", 1.0 / 3), dbl(k, "end_factor", 1.0),
                    lng(k, "total_iters", 5));
            case "ExponentialLR" -> new ExponentialLR(opt, k.get("gamma").asDouble());
            case "PolynomialLR" -> new PolynomialLR(opt, lng(k, "total_iters", 5), dbl(k, "power", 1.0));
            case "CosineAnnealingLR" -> new CosineAnnealingLR(opt, k.get("T_max").asLong(), dbl(k, "eta_min", 0.0));
            case "CosineAnnealingWarmRestarts" -> new CosineAnnealingWarmRestarts(opt, k.get("T_0").asLong(),
                    lng(k, "T_mult", 1), dbl(k, "eta_min", 0.0), -1);
            case "CyclicLR" -> cyclic(opt, k);
            case "OneCycleLR" -> oneCycle(opt, k);
            case "ReduceLROnPlateau" -> plateau(opt, k);
            case "SequentialLR" -> new SequentialLR(opt, children(opt, spec), longs(k.get("milestones")));
            case "ChainedScheduler" -> new ChainedScheduler(children(opt, spec));
            default -> throw new IllegalArgumentException("unknown scheduler class " + cls);
        };
    }

    private static List<LRScheduler> children(RAdam opt, JsonNode spec) {
        List<LRScheduler> out = new ArrayList<>();
        for (JsonNode c : spec.get("children")) {
            out.add(build(opt, c));
        }
        return out;
    }

    private static CyclicLR cyclic(RAdam opt, JsonNode k) {
        CyclicLR.Builder b = k.get("base_lr").isArray()
                ? CyclicLR.builder(opt, doubles(k.get("base_lr")), doubles(k.get("max_lr")))
                : CyclicLR.builder(opt, k.get("base_lr").asDouble(), k.get("max_lr").asDouble());
        ifPresent(k, "step_size_up", v -> b.stepSizeUp(v.asLong()));
        if (k.has("step_size_down") && !k.get("step_size_down").isNull()) {
            b.stepSizeDown(k.get("step_size_down").asLong());
        }
        ifPresent(k, "mode", v -> b.mode(v.asText()));
        ifPresent(k, "gamma", v -> b.gamma(v.asDouble()));
        ifPresent(k, "cycle_momentum", v -> b.cycleMomentum(v.asBoolean()));
        ifPresent(k, "base_momentum", v -> b.baseMomentum(v.asDouble()));
        ifPresent(k, "max_momentum", v -> b.maxMomentum(v.asDouble()));
        return b.build();
    }

    private static OneCycleLR oneCycle(RAdam opt, JsonNode k) {
        OneCycleLR.Builder b = k.get("max_lr").isArray() ? OneCycleLR.builder(opt, doubles(k.get("max_lr")))
                : OneCycleLR.builder(opt, k.get("max_lr").asDouble());
        ifPresent(k, "total_steps", v -> b.totalSteps(v.asLong()));
        ifPresent(k, "epochs", v -> b.epochs(v.asLong()));
        ifPresent(k, "steps_per_epoch", v -> b.stepsPerEpoch(v.asLong()));
        ifPresent(k, "pct_start", v -> b.pctStart(v.asDouble()));
        ifPresent(k, "anneal_strategy", v -> b.annealStrategy(v.asText()));
        ifPresent(k, "cycle_momentum", v -> b.cycleMomentum(v.asBoolean()));
        ifPresent(k, "base_momentum", v -> b.baseMomentum(v.asDouble()));
        ifPresent(k, "max_momentum", v -> b.maxMomentum(v.asDouble()));
        ifPresent(k, "div_factor", v -> b.divFactor(v.asDouble()));
        ifPresent(k, "final_div_factor", v -> b.finalDivFactor(v.asDouble()));
        ifPresent(k, "three_phase", v -> b.threePhase(v.asBoolean()));
        return b.build();
    }

    private static ReduceLROnPlateau plateau(RAdam opt, JsonNode k) {
        ReduceLROnPlateau.Builder b = ReduceLROnPlateau.builder(opt);
        ifPresent(k, "mode", v -> b.mode(v.asText()));
        ifPresent(k, "factor", v -> b.factor(v.asDouble()));
        ifPresent(k, "patience", v -> b.patience(v.asLong()));
        ifPresent(k, "threshold", v -> b.threshold(v.asDouble()));
        ifPresent(k, "threshold_mode", v -> b.thresholdMode(v.asText()));
        ifPresent(k, "cooldown", v -> b.cooldown(v.asLong()));
        if (k.has("min_lr")) {
            if (k.get("min_lr").isArray()) {
                b.minLr(doubles(k.get("min_lr")));
            } else {
                b.minLr(k.get("min_lr").asDouble());
            }
        }
        ifPresent(k, "eps", v -> b.eps(v.asDouble()));
        return b.build();
    }

    /** The lambdas a config can name (docs/lr-schedulers.md), as the recorder defines them in Python. */
    static LongToDoubleFunction lambda(JsonNode spec) {
        return switch (spec.get("kind").asText()) {
            case "power" -> {
                double base = spec.get("base").asDouble();
                yield epoch -> LibM.pow(base, epoch);
            }
            case "constant" -> {
                double value = spec.get("value").asDouble();
                yield epoch -> value;
            }
            case "linear_warmup" -> {
                long steps = spec.get("steps").asLong();
                yield epoch -> Math.min(1.0, (double) (epoch + 1) / steps);
            }
            default -> throw new IllegalArgumentException("unknown lambda kind " + spec.get("kind").asText());
        };
    }

    private static double dbl(JsonNode k, String key, double dflt) {
        return k.has(key) ? k.get(key).asDouble() : dflt;
    }

    private static long lng(JsonNode k, String key, long dflt) {
        return k.has(key) ? k.get(key).asLong() : dflt;
    }

    private static List<Long> longs(JsonNode a) {
        List<Long> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asLong()));
        return out;
    }

    private static List<Double> doubles(JsonNode a) {
        List<Double> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asDouble()));
        return out;
    }

    /** Calls {@code set} with the config's value of {@code key}, where the config has one (a Python default otherwise). */
    private static void ifPresent(JsonNode config, String key, java.util.function.Consumer<JsonNode> set) {
        if (config.has(key)) {
            set.accept(config.get(key));
        }
    }
}
