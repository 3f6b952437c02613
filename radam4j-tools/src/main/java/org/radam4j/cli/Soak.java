package org.radam4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.Autocast;
import org.radam4j.ClipGrad;
import org.radam4j.GradScaler;
import org.radam4j.RAdamOptions;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code scripts/radam4j soak [--steps N] [--impl forloop,foreach,fused] [--zero-grad none|zero]}: trains the demo
 * network for N steps (default 100,000) through {@code step(closure)} with each path (a path with {@code _amp}, e.g.
 * {@code fused_amp}: the mixed-precision loop instead, float16 autocast, {@code scaler.scale(loss).backward()},
 * the total gradient norm, {@code scaler.step}, {@code scaler.update}), printing after warm-up
 * and every 10% of the run the process RSS and the number of live JavaCPP handles, then the RSS growth after
 * warm-up. {@code scripts/radam4j soak} runs the JVM with a fixed, pre-touched heap, so that the heap's own growth
 * does not show as RSS growth and what grows is native memory. Linux only (it reads {@code /proc/self/status}).
 */
final class Soak {

    /** What one path's soak measured. */
    record Result(String impl, long steps, long nativeKbAfterWarmup, long nativeKbAtEnd, long handlesAfterWarmup,
            long handlesAtEnd) {
        double nativeGrowthPercent() {
            return 100.0 * (nativeKbAtEnd - nativeKbAfterWarmup) / nativeKbAfterWarmup;
        }
    }

    private Soak() {
    }

    static int run(List<String> args) throws IOException {
        long steps = 100_000;
        boolean setToNone = true;
        List<String> impls = List.of("forloop", "foreach", "fused");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = i + 1 < args.size() ? args.get(i + 1) : null;
            if (a.equals("--steps") && v != null) {
                steps = Long.parseLong(v);
                i++;
            } else if (a.equals("--zero-grad") && v != null && (v.equals("none") || v.equals("zero"))) {
                setToNone = v.equals("none");
                i++;
            } else if (a.equals("--impl") && v != null) {
                impls = Arrays.asList(v.split(","));
                i++;
            } else {
                System.err.println("radam4j soak: unknown or incomplete option " + a
                        + " (usage: soak [--steps N] [--impl forloop,foreach,fused,fused_amp,...] [--zero-grad none|zero])");
                return 2;
            }
        }
        if (steps < 100) {
            System.err.println("radam4j soak: --steps must be at least 100");
            return 2;
        }
        JsonNode data = DemoTraining.load();
        boolean ok = true;
        for (String impl : impls) {
            Result r = soak(data, impl, steps, setToNone, true);
            System.out.println(String.format(Locale.ROOT, "%s: RSS growth after warm-up %+.2f%% (%d kB -> %d kB), "
                    + "live JavaCPP handles %d -> %d", impl, r.nativeGrowthPercent(), r.nativeKbAfterWarmup(),
                    r.nativeKbAtEnd(), r.handlesAfterWarmup(), r.handlesAtEnd()));
            ok &= r.nativeGrowthPercent() <= 2.0;
        }
        return ok ? 0 : 1;
    }

    /** Trains with one path for {@code steps} steps; the first 10% (at least 50) are warm-up. */
    static Result soak(JsonNode data, String impl, long steps, boolean setToNone, boolean print) throws IOException {
        long warmup = Math.max(50, steps / 10);
        long every = Math.max(1, steps / 10);
        long baseNative = 0;
        long baseHandles = 0;
        try (PointerScope scope = new PointerScope()) {
            RAdamOptions.Builder b = RAdamOptions.builder().lr(1e-3).weightDecay(1e-4).decoupledWeightDecay(true);
            boolean amp = impl.endsWith("_amp");
            switch (amp ? impl.substring(0, impl.length() - 4) : impl) {
                case "forloop" -> b.foreach(false);
                case "foreach" -> b.foreach(true);
                case "fused" -> b.fused(true);
                default -> throw new IllegalArgumentException("unknown impl " + impl
                        + " (forloop, foreach, fused, each also with _amp)");
            }
            DemoTraining run = DemoTraining.start(data, b.build());
            GradScaler scaler = amp ? new GradScaler("cpu") : null;
            if (print) {
                System.out.println(String.format(Locale.ROOT, "soak %s: %d steps of the demo network, zeroGrad(%b) in the "
                        + "closure; warm-up %d steps", impl, steps, setToNone, warmup));
            }
            for (long s = 1; s <= steps; s++) {
                try (PointerScope step = new PointerScope()) {
                    if (scaler == null) {
                        run.step(setToNone);
                    } else {
                        ampStep(run, scaler, setToNone);
                    }
                }
                if (s == warmup) {
                    baseNative = rssKb();
                    baseHandles = Pointer.totalCount();
                    if (print) {
                        System.out.println(String.format(Locale.ROOT, "  step %8d  rss %8d kB  handles %6d  (after warm-up)",
                                s, baseNative, baseHandles));
                    }
                } else if (s > warmup && s % every == 0 && print) {
                    long n = rssKb();
                    System.out.println(String.format(Locale.ROOT, "  step %8d  rss %8d kB  handles %6d  %+.2f%%",
                            s, n, Pointer.totalCount(), 100.0 * (n - baseNative) / baseNative));
                }
            }
            long endNative = rssKb();
            long endHandles = Pointer.totalCount();
            run.opt().close();
            return new Result(impl, steps, baseNative, endNative, baseHandles, endHandles);
        }
    }

    /** One step of the mixed-precision loop, as a Python user writes it (see README, "Mixed precision"). */
    private static void ampStep(DemoTraining run, GradScaler scaler, boolean setToNone) {
        run.opt().zeroGrad(setToNone);
        Tensor loss;
        try (Autocast ac = Autocast.enter("cpu", ScalarType.Half)) {
            loss = run.model().loss(run.x(), run.y());
        }
        scaler.scale(loss).backward();
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : run.model().module().parameters().get()) {
            grads.add(p.grad());
        }
        ClipGrad.getTotalNorm(grads, 2.0, false, null).close();
        scaler.step(run.opt());
        scaler.update();
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
