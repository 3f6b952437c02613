package org.radam4j.cli;

import static org.bytedeco.pytorch.global.torch.randn;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Benchmarks;
import org.radam4j.internal.Dtypes;
import org.radam4j.GradScaler;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code scripts/radam4j bench [--json FILE] [--steps N] [--threads T] [--rows SPEC,...] [--impl LIST] [--isa NAME]
 * [--rounds R]}: the
 * median step time of RAdam's for-loop, foreach and fused paths and of libtorch's own C++ {@code Adam} (an
 * unfused C++ optimizer doing similar work) on the same params and gradients, with the effective bandwidth at
 * 28 bytes per float32 element (read param, grad, exp_avg, exp_avg_sq; write three), a memory-bandwidth probe
 * and the ratios, all measured in one run. With {@code --rounds R} each row runs R rounds of the probe and every impl
 * in turn, and reports medians over the rounds (ratios and shares of the probe taken round by round), so that a
 * shared machine's swings in bandwidth fall on every impl alike.
 */
final class Bench {

    /** One benchmark row: params of the given element counts, all of {@code dtype}. */
    record Shape(String label, long[] sizes, ScalarType dtype) {
        static Shape parse(String spec) {
            String[] parts = spec.split(":");
            String[] cs = parts[0].split("x");
            if (cs.length != 2) {
                throw new IllegalArgumentException("a row is COUNTxSIZE[:dtype], e.g. 200x4096 or 8x1000000:bfloat16, not " + spec);
            }
            long[] sizes = new long[Integer.parseInt(cs[0])];
            Arrays.fill(sizes, Long.parseLong(cs[1]));
            return new Shape(parts[0], sizes, parts.length > 1 ? Dtypes.of(parts[1]) : ScalarType.Float);
        }

        long elements() {
            return Arrays.stream(sizes).sum();
        }

        /** Bytes moved per step: 4 tensors read, 3 written, at the dtype's width (28 B per float32 element). */
        double bytesPerStep() {
            return elements() * 7.0 * (dtype == ScalarType.Float ? 4 : dtype == ScalarType.Double ? 8 : 2);
        }
    }

    static final List<String> DEFAULT_ROWS = List.of("200x4096", "50x100000", "8x1000000", "4x16000000", "8x1000000:bfloat16");
    static final List<String> IMPLS = List.of("forloop", "foreach", "fused", "libtorch_adam");
    /**
     * {@code --peer}: the same step computed as DeepSpeed's CPU Adam computes Adam (float math, one rounding per
     * store; not PyTorch's bits), float32 and bfloat16, beside the fused step: the price of exactness.
     */
    static final String PEER = "peer";
    /**
     * GradScaler steps ({@code scaler.step(opt); scaler.update()}, scale 1 so the gradients keep their values): the
     * for-loop and foreach paths unscale every gradient in a pass of their own first, the fused path checks for
     * inf and unscales inside the kernel.
     */
    static final List<String> SCALED_IMPLS = List.of("forloop_scaled", "foreach_scaled", "fused_scaled");
    /**
     * The inf/NaN scan of {@code fused_scaled} alone (it reads every gradient once before the kernel runs); its GB/s
     * count the gradient bytes only. With {@code fused} in the same run, the line after gives the scaled step's
     * floor on this machine: fused plus the scan.
     */
    static final String CHECK = "fused_check";

    private Bench() {
    }

    static int run(List<String> args) throws IOException {
        String json = null;
        int steps = 15;
        int threads = 2;
        List<String> rows = DEFAULT_ROWS;
        List<String> impls = IMPLS;
        String isa = null;
        String model = null;
        int rounds = 1;
        boolean peer = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--peer")) {
                peer = true;
                continue;
            }
            if (i + 1 >= args.size()) {
                System.err.println("radam4j bench: " + a + " needs a value");
                return 2;
            }
            String v = args.get(++i);
            switch (a) {
                case "--json" -> json = v;
                case "--steps" -> steps = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--rows" -> rows = Arrays.asList(v.split(","));
                case "--impl" -> impls = Arrays.asList(v.split(","));
                case "--isa" -> isa = v;
                case "--model" -> model = v;
                case "--rounds" -> rounds = Integer.parseInt(v);
                default -> {
                    System.err.println("radam4j bench: unknown option " + a);
                    return 2;
                }
            }
        }
        if (steps < 10) {
            System.err.println("radam4j bench: --steps must be at least 10");
            return 2;
        }
        if (rounds < 1) {
            System.err.println("radam4j bench: --rounds must be at least 1");
            return 2;
        }
        List<Shape> shapes = new ArrayList<>();
        try {
            if (model != null) {
                shapes.addAll(ModelShapes.rows(model));
            } else {
                rows.forEach(r -> shapes.add(Shape.parse(r)));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("radam4j bench: " + e.getMessage());
            return 2;
        }
        if (peer && !impls.contains(PEER)) {
            impls = new ArrayList<>(impls);
            impls.add(PEER);
        }
        for (String impl : impls) {
            if (!IMPLS.contains(impl) && !SCALED_IMPLS.contains(impl) && !impl.equals(PEER) && !impl.equals(CHECK)) {
                System.err.println("radam4j bench: unknown impl " + impl + " (" + String.join(", ", IMPLS) + ", "
                        + String.join(", ", SCALED_IMPLS) + ", " + CHECK + ")");
                return 2;
            }
        }
        if ((impls.contains("fused") || impls.contains("fused_scaled") || impls.contains(PEER) || impls.contains(CHECK))
                && Benchmarks.fusedUnavailableReason() != null) {
            System.err.println("radam4j bench: " + Benchmarks.fusedUnavailableReason());
            return 1;
        }
        if (isa != null && !Benchmarks.useFusedInstructionSet(isa)) {
            System.err.println("radam4j bench: this CPU cannot run the fused kernel's " + isa + " variant; it runs "
                    + String.join(", ", Benchmarks.fusedInstructionSets()));
            return 1;
        }
        torch.set_num_threads(threads);
        double bandwidth = Benchmarks.memoryBandwidthGbps(32_000_000, threads, 5);
        System.out.println(String.format(Locale.ROOT, "radam4j bench: %d threads, median of at least %d steps and 1 s, after at least 3 warm-up steps and 2 s; "
                + "fused kernel: %s (%s)", torch.get_num_threads(), steps, Benchmarks.fusedInstructionSet(),
                Benchmarks.fusedPlans(threads)));
        if (rounds > 1) {
            System.out.println(String.format(Locale.ROOT, "%d rounds per row, each the probe then every impl in turn; a row's "
                    + "figures and ratios are medians over its rounds, its share of bw against each round's own probe", rounds));
        }
        System.out.println("cpu: " + Benchmarks.cpuId() + "; flags " + String.join(" ", cpuFlags()) + "; libtorch kernels "
                + torch.get_cpu_capability().getString());
        System.out.println(String.format(Locale.ROOT, "memory bandwidth (read 4 x 128 MB, write 3 back, no arithmetic): "
                + "%.1f GB/s", bandwidth));
        System.out.println(String.format(Locale.ROOT, "%-12s %-9s %-14s %11s %9s %9s", "params", "dtype", "impl", "ms/step",
                "GB/s", "of bw"));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Shape shape : shapes) {
            List<String> rowImpls = new ArrayList<>();
            for (String impl : impls) {
                if (!impl.equals(PEER) || shape.dtype() == ScalarType.Float || shape.dtype() == ScalarType.BFloat16) {
                    rowImpls.add(impl);
                }
            }
            Map<String, Double> medians = new LinkedHashMap<>();
            Map<String, Double> shares = new LinkedHashMap<>();
            Map<String, String> refused = new LinkedHashMap<>();
            Map<String, List<Double>> perRound = measureRow(shape, rowImpls, steps, threads, rounds, bandwidth, shares,
                    refused);
            for (String impl : rowImpls) {
                if (!perRound.containsKey(impl)) {
                    System.out.println(String.format(Locale.ROOT, "%-12s %-9s %-14s %11s   (%s)", shape.label(),
                            Dtypes.name(shape.dtype()), impl, "-", refused.get(impl)));
                    continue;
                }
                double ms = median(perRound.get(impl));
                medians.put(impl, ms);
                double gbps = bytesOf(shape, impl) / (ms / 1e3) / 1e9;
                System.out.println(String.format(Locale.ROOT, "%-12s %-9s %-14s %11.3f %9.2f %8.0f%%", shape.label(),
                        Dtypes.name(shape.dtype()), impl, ms, gbps, 100 * shares.get(impl)));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("params", shape.label());
                row.put("dtype", Dtypes.name(shape.dtype()));
                row.put("impl", impl);
                row.put("median_ms", ms);
                row.put("gbps", gbps);
                row.put("of_bandwidth", shares.get(impl));
                row.put("round_ms", perRound.get(impl));
                out.add(row);
            }
            Map<String, Double> ratio = ratios(perRound);
            if (medians.containsKey("fused_scaled") && medians.size() > 1) {
                StringBuilder line = new StringBuilder("  fused_scaled takes");
                for (String impl : medians.keySet()) {
                    if (!impl.equals("fused_scaled") && !impl.equals(CHECK)) {
                        line.append(String.format(Locale.ROOT, " %.2fx the time of %s,", ratio.get("fused_scaled/" + impl), impl));
                    }
                }
                System.out.println(line.substring(0, line.length() - 1));
            }
            if (medians.containsKey("fused") && medians.containsKey(CHECK)) {
                System.out.println(String.format(Locale.ROOT, "  scaled step's floor here: fused + the scan = %.3f ms, %.2fx "
                        + "the time of fused", medians.get("fused") + medians.get(CHECK), ratio.get("floor")));
            }
            if (medians.containsKey("fused") && medians.size() > (medians.containsKey(CHECK) ? 2 : 1)) {
                StringBuilder line = new StringBuilder("  fused is");
                for (String impl : medians.keySet()) {
                    if (!impl.equals("fused") && !impl.equals(CHECK)) {
                        line.append(String.format(Locale.ROOT, " %.1fx %s,", ratio.get(impl + "/fused"), impl));
                    }
                }
                System.out.println(line.substring(0, line.length() - 1) + " (times faster)");
            }
        }
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("threads", threads);
            doc.put("rounds", rounds);
            doc.put("bandwidth_gbps", bandwidth);
            doc.put("fused_isa", Benchmarks.fusedInstructionSet());
            doc.put("fused_plans", Benchmarks.fusedPlans(threads));
            doc.put("libtorch_capability", torch.get_cpu_capability().getString());
            doc.put("cpu", Benchmarks.cpuId());
            doc.put("cpu_flags", cpuFlags());
            doc.put("rows", out);
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(new File(json), doc);
        }
        return 0;
    }

    /** The CPU's flags that choose the fused kernel's variant, from /proc/cpuinfo (empty where it is absent). */
    static List<String> cpuFlags() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split(" "))
                            .filter(f -> f.equals("avx2") || f.equals("fma") || f.equals("f16c") || f.startsWith("avx512"))
                            .toList();
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return List.of();
    }

    /**
     * The row's step times: every impl on its own fresh params with fixed gradients, all made and warmed up first,
     * then {@code rounds} rounds of the probe and each impl in turn; per impl, its median step time of each round.
     * {@code shares}: per impl, the median over the rounds of its GB/s over that round's probe ({@code bandwidth}
     * with one round). An impl whose step throws what the library throws for a call it refuses (as GradScaler's
     * unscale refuses float16 gradients) goes to {@code refused} with the message, and is not timed.
     */
    static Map<String, List<Double>> measureRow(Shape shape, List<String> impls, int steps, int threads, int rounds,
            double bandwidth, Map<String, Double> shares, Map<String, String> refused) {
        try (PointerScope scope = new PointerScope()) {
            Map<String, Runnable> runs = new LinkedHashMap<>();
            for (String impl : impls) {
                Runnable step = prepare(shape, impl, threads);
                try {
                    long warmUntil = System.nanoTime() + 2_000_000_000L;
                    for (int i = 0; i < 3 || System.nanoTime() < warmUntil; i++) {
                        timed(step);
                    }
                } catch (IllegalArgumentException | IllegalStateException e) {
                    refused.put(impl, e.getMessage());
                    continue;
                }
                runs.put(impl, step);
            }
            if (runs.isEmpty()) {
                return new LinkedHashMap<>();
            }
            Map<String, List<Double>> perRound = new LinkedHashMap<>();
            Map<String, List<Double>> shareRounds = new LinkedHashMap<>();
            long window = Math.max(200_000_000L, 1_000_000_000L / rounds);
            for (int r = 0; r < rounds; r++) {
                double probe = rounds == 1 ? bandwidth : Benchmarks.memoryBandwidthGbps(32_000_000, threads, 5);
                for (Map.Entry<String, Runnable> e : runs.entrySet()) {
                    List<Double> ms = new ArrayList<>();
                    long until = System.nanoTime() + window;
                    while (ms.size() < steps || System.nanoTime() < until) {
                        ms.add(timed(e.getValue()));
                    }
                    double m = median(ms);
                    perRound.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(m);
                    double gbps = bytesOf(shape, e.getKey()) / (m / 1e3) / 1e9;
                    shareRounds.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(gbps / probe);
                }
            }
            shareRounds.forEach((impl, list) -> shares.put(impl, median(list)));
            return perRound;
        }
    }

    /**
     * Per pair of impls, the median over the rounds of their time ratio: {@code "a/b"} is a's time over b's; and
     * {@code "floor"}, (fused + fused_check) over fused, where both ran.
     */
    static Map<String, Double> ratios(Map<String, List<Double>> perRound) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (perRound.isEmpty()) {
            return out;
        }
        int rounds = perRound.values().iterator().next().size();
        for (String a : perRound.keySet()) {
            for (String b : perRound.keySet()) {
                List<Double> r = new ArrayList<>();
                for (int i = 0; i < rounds; i++) {
                    r.add(perRound.get(a).get(i) / perRound.get(b).get(i));
                }
                out.put(a + "/" + b, median(r));
            }
        }
        if (perRound.containsKey("fused") && perRound.containsKey(CHECK)) {
            List<Double> r = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                double f = perRound.get("fused").get(i);
                r.add((f + perRound.get(CHECK).get(i)) / f);
            }
            out.put("floor", median(r));
        }
        return out;
    }

    /** Bytes an impl moves per step: the step's traffic, or the gradients alone for the scan. */
    static double bytesOf(Shape shape, String impl) {
        return impl.equals(CHECK) ? shape.bytesPerStep() / 7 : shape.bytesPerStep();
    }

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static double timed(Runnable step) {
        long t0 = System.nanoTime();
        try (PointerScope s = new PointerScope()) {
            step.run();
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * One step of an impl on fresh params (seeded) with fixed gradients; its tensors live in the caller's
     * {@code PointerScope}.
     */
    static Runnable prepare(Shape shape, String impl, int threads) {
        torch.manual_seed(0);
        List<Tensor> params = new ArrayList<>();
        for (long size : shape.sizes()) {
            Tensor p = randn(size).to(shape.dtype());
            p.requires_grad_(true);
            p.mutable_grad().put(randn(size).mul_(new org.bytedeco.pytorch.Scalar(1e-2)).to(shape.dtype()));
            params.add(p);
        }
        if (impl.equals(PEER)) {
            return Benchmarks.peerStep(params, threads);
        }
        if (impl.equals(CHECK)) {
            return Benchmarks.nonFiniteCheck(params, threads);
        }
        if (impl.equals("libtorch_adam")) {
            try (AdamOptions o = new AdamOptions(1e-3)) {
                o.weight_decay().put(1e-2);
                Adam adam = new Adam(new TensorVector(params.toArray(new Tensor[0])), o);
                return adam::step;
            }
        }
        RAdamOptions.Builder b = RAdamOptions.builder().lr(1e-3).weightDecay(1e-2).decoupledWeightDecay(true);
        switch (impl.replace("_scaled", "")) {
            case "forloop" -> b.foreach(false);
            case "foreach" -> b.foreach(true);
            default -> b.fused(true);
        }
        RAdam opt = new RAdam(params, b.build());
        if (!impl.endsWith("_scaled")) {
            return opt::step;
        }
        GradScaler scaler = new GradScaler("cpu", 1.0, 2.0, 0.5, Integer.MAX_VALUE, true);
        scaler.scale(torch.ones(1)).close();
        return () -> {
            scaler.step(opt);
            scaler.update();
        };
    }
}
