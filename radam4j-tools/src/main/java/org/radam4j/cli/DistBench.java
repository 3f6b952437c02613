package org.radam4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.RAdamOptions;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.GradAverager;
import org.radam4j.dist.ZeroRedundancyRAdam;

/**
 * {@code scripts/radam4j dist-bench [--elements M] [--steps S] [--timeout-s T]}: ZeroRedundancyRAdam on 1, 2 and
 * 3 local ranks over M million float32 elements (40 params): the RAdam state bytes each rank holds, and the
 * median step time per rank (gradient averaging plus the ZeRO step). Then 2 ranks with a T s timeout (default
 * 10), rank 1 killed: how long rank 0 takes to exit with an error.
 */
final class DistBench {

    private DistBench() {
    }

    static int run(List<String> args) throws Exception {
        double elements = 4;
        int steps = 20;
        int timeout = 10;
        for (int i = 0; i + 1 < args.size(); i += 2) {
            switch (args.get(i)) {
                case "--elements" -> elements = Double.parseDouble(args.get(i + 1));
                case "--steps" -> steps = Integer.parseInt(args.get(i + 1));
                case "--timeout-s" -> timeout = Integer.parseInt(args.get(i + 1));
                default -> {
                    System.err.println("usage: scripts/radam4j dist-bench [--elements MILLIONS] [--steps S] [--timeout-s T]");
                    return 2;
                }
            }
        }
        Path dir = Files.createTempDirectory("radam4j-dist-bench");
        System.out.println(String.format(Locale.ROOT, "dist-bench: %.1f M float32 elements in 40 params, %d steps, Gloo on 127.0.0.1",
                elements, steps));
        System.out.println("ranks  rank  state MB   of whole   step ms (median)");
        long whole = 0;
        for (int n = 1; n <= 3; n++) {
            List<Process> procs = Launch.start(n, DistBench.class.getName(), List.of(dir.toString(), Double.toString(elements),
                    Integer.toString(steps), "60"), Map.of(), true);
            if (Launch.waitAll(procs, 600_000) != 0) {
                System.out.println("a rank failed");
                return 1;
            }
            for (int r = 0; r < n; r++) {
                String[] f = Files.readString(dir.resolve(n + "-" + r + ".txt")).trim().split(" ");
                long bytes = Long.parseLong(f[0]);
                if (n == 1) {
                    whole = bytes;
                }
                System.out.println(String.format(Locale.ROOT, "%5d  %4d  %8.1f   %7.1f%%   %8.2f", n, r, bytes / 1e6,
                        100.0 * bytes / whole, Double.parseDouble(f[1])));
            }
        }
        List<Process> procs = Launch.start(2, DistBench.class.getName(), List.of(dir.toString(), "0.5", "1000000",
                Integer.toString(timeout)), Map.of(), true);
        Thread.sleep(8000);
        long t0 = System.nanoTime();
        procs.get(1).destroyForcibly();
        procs.get(0).waitFor();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.println(String.format(Locale.ROOT, "rank 1 killed: rank 0 exited with code %d after %.1f s (timeout %d s; "
                + "goal: within the timeout plus 10 s)", procs.get(0).exitValue(), s, timeout));
        return 0;
    }

    /** One rank: {@code DIR ELEMENTS_M STEPS TIMEOUT_S}. */
    public static void main(String[] args) throws Exception {
        Libtorch.load();
        Path dir = Path.of(args[0]);
        long total = (long) (Double.parseDouble(args[1]) * 1e6);
        int steps = Integer.parseInt(args[2]);
        try (PointerScope scope = new PointerScope();
                DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(Integer.parseInt(args[3])))) {
            torch.manual_seed(0);
            List<Tensor> params = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                params.add(torch.randn(total * (i % 7 + 1) / 160).requires_grad_(true));
            }
            ZeroRedundancyRAdam opt = new ZeroRedundancyRAdam(g, params, RAdamOptions.builder().lr(1e-3).fused(true).build());
            double[] ms = new double[steps];
            for (int s = 0; s < steps; s++) {
                try (PointerScope step = new PointerScope()) {
                    for (Tensor p : params) {
                        p.mutable_grad().put(torch.randn(p.sizes()));
                    }
                    long t0 = System.nanoTime();
                    GradAverager.average(g, params);
                    opt.step();
                    ms[s] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            Files.writeString(dir.resolve(g.size() + "-" + g.rank() + ".txt"), opt.stateBytes() + " " + ms[steps / 2]);
        } catch (IllegalStateException e) {
            System.out.println("stopped: " + e.getMessage());
            System.exit(2);
        }
    }
}
