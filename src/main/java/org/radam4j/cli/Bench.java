package org.radam4j.cli;

import static org.bytedeco.pytorch.global.torch.randn;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.Dtypes;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code scripts/radam4j bench [--json FILE] [--steps N] [--threads T] [--rows SPEC,...]}: the median step time
 * of each RAdam path on the same params and gradients, with the effective bandwidth at 28 bytes per float32
 * element (read param, grad, exp_avg, exp_avg_sq; write three of them) and the ratios between paths, measured
 * in one run.
 */
final class Bench {

    /** One benchmark shape: {@code count} params of {@code size} elements of {@code dtype}. */
    record Shape(int count, long size, ScalarType dtype) {
        static Shape parse(String spec) {
            String[] parts = spec.split(":");
            String[] cs = parts[0].split("x");
            if (cs.length != 2) {
                throw new IllegalArgumentException("a row is COUNTxSIZE[:dtype], e.g. 200x4096 or 8x1000000:bfloat16, not " + spec);
            }
            return new Shape(Integer.parseInt(cs[0]), Long.parseLong(cs[1]), parts.length > 1 ? Dtypes.of(parts[1]) : ScalarType.Float);
        }

        String label() {
            return count + "x" + size;
        }

        long elements() {
            return count * size;
        }
    }

    static final List<String> DEFAULT_ROWS = List.of("200x4096", "50x100000", "8x1000000", "4x16000000", "8x1000000:bfloat16");

    private Bench() {
    }

    static int run(List<String> args) throws IOException {
        String json = null;
        int steps = 20;
        int threads = 2;
        List<String> rows = DEFAULT_ROWS;
        List<String> impls = List.of("forloop", "foreach");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
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
        torch.set_num_threads(threads);
        System.out.println(String.format(Locale.ROOT, "radam4j bench: %d threads, median of %d steps after %d warm-up steps",
                torch.get_num_threads(), steps, 3));
        System.out.println(String.format(Locale.ROOT, "%-14s %-9s %-14s %12s %10s", "params", "dtype", "impl", "ms/step", "GB/s"));
        List<Map<String, Object>> out = new ArrayList<>();
        for (String spec : rows) {
            Shape shape = Shape.parse(spec);
            Map<String, Double> medians = new LinkedHashMap<>();
            for (String impl : impls) {
                double ms = measure(shape, impl, steps);
                medians.put(impl, ms);
                double gbps = shape.elements() * 28.0 / (ms / 1e3) / 1e9;
                System.out.println(String.format(Locale.ROOT, "%-14s %-9s %-14s %12.3f %10.2f", shape.label(),
                        Dtypes.name(shape.dtype()), impl, ms, gbps));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("params", shape.label());
                row.put("dtype", Dtypes.name(shape.dtype()));
                row.put("impl", impl);
                row.put("median_ms", ms);
                row.put("gbps", gbps);
                out.add(row);
            }
            if (medians.containsKey("forloop") && medians.containsKey("foreach")) {
                System.out.println(String.format(Locale.ROOT, "%-14s %-9s foreach is %.2fx the for-loop's speed", "", "",
                        medians.get("forloop") / medians.get("foreach")));
            }
        }
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("threads", threads);
            doc.put("rows", out);
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(new File(json), doc);
        }
        return 0;
    }

    /** Median milliseconds per {@code step()} of one path on fresh params with fixed gradients. */
    static double measure(Shape shape, String impl, int steps) {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(0);
            List<Tensor> params = new ArrayList<>();
            for (int i = 0; i < shape.count(); i++) {
                Tensor p = randn(shape.size()).to(shape.dtype());
                p.requires_grad_(true);
                p.mutable_grad().put(randn(shape.size()).to(shape.dtype()));
                params.add(p);
            }
            RAdamOptions o = RAdamOptions.builder().lr(1e-3).weightDecay(1e-2).decoupledWeightDecay(true)
                    .foreach(switch (impl) {
                        case "forloop" -> false;
                        case "foreach" -> true;
                        default -> throw new IllegalArgumentException("unknown impl " + impl + " (forloop, foreach)");
                    }).build();
            RAdam opt = new RAdam(params, o);
            for (int i = 0; i < 3; i++) {
                opt.step();
            }
            double[] ms = new double[steps];
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                opt.step();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            return steps % 2 == 1 ? ms[steps / 2] : (ms[steps / 2 - 1] + ms[steps / 2]) / 2;
        }
    }
}
