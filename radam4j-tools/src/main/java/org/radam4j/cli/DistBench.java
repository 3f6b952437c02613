package org.radam4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdamOptions;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;
import org.radam4j.dist.ZeroRedundancyRAdam;

/**
 * {@code scripts/radam4j dist-bench [--elements M] [--steps S] [--rounds R] [--timeout-s T] [--python EXE|none]}: data
 * parallel training on 1, 2 and 3 local ranks (Gloo) over M million float32 elements in 40 params, loss
 * {@code sum_i (p_i * c_i).sum()}. A step, timed per rank: forward and backward through
 * {@link DistributedDataParallel}, the {@link ZeroRedundancyRAdam} step (fused, params as bucket views),
 * zero_grad. Beside it, the same loop in PyTorch ({@code scripts/ddp_bench.py}: its DDP and
 * {@code ZeroRedundancyOptimizer(RAdam)}) when a Python with torch is found. Both sides use cores / ranks
 * intra-op threads, untimed steps first (at least 30 and 2 s). R rounds (default 3), each radam4j then PyTorch, so that both sides see the same machine; each
 * figure is the median over the rounds of a rank's median step. Then two failures with a T s timeout (default 10): rank 1 killed, rank 1 stopped (SIGSTOP);
 * how long rank 0 takes to fail, and its message ({@code --failures no} skips them).
 */
final class DistBench {

    private static final String USAGE = "usage: scripts/radam4j dist-bench [--elements MILLIONS] [--steps S] [--rounds R] "
            + "[--timeout-s T] [--python EXE|none] [--failures yes|no]";

    /**
     * Untimed steps first, on both sides: at least this many, and until 2 s have passed on rank 0 (which tells
     * the others, so that every rank takes as many: each step is collectives).
     */
    static final int WARM_UP_STEPS = 30;
    static final long WARM_UP_NS = 2_000_000_000L;

    private DistBench() {
    }

    static int run(List<String> args) throws Exception {
        double elements = 4;
        int steps = 20;
        int rounds = 3;
        int timeout = 10;
        String python = null;
        boolean failures = true;
        for (int i = 0; i < args.size(); i += 2) {
            if (i + 1 >= args.size()) {
                System.err.println(USAGE);
                return 2;
            }
            switch (args.get(i)) {
                case "--elements" -> elements = Double.parseDouble(args.get(i + 1));
                case "--steps" -> steps = Integer.parseInt(args.get(i + 1));
                case "--rounds" -> rounds = Integer.parseInt(args.get(i + 1));
                case "--timeout-s" -> timeout = Integer.parseInt(args.get(i + 1));
                case "--python" -> python = args.get(i + 1);
                case "--failures" -> failures = !args.get(i + 1).equals("no");
                default -> {
                    System.err.println(USAGE);
                    return 2;
                }
            }
        }
        Path dir = Files.createTempDirectory("radam4j-dist-bench");
        String py = python != null ? (python.equals("none") ? null : python) : findPython();
        String pyVersion = py == null ? null : torchVersion(py);
        System.out.println(String.format(Locale.ROOT, "dist-bench: %.1f M float32 elements in 40 params, %d steps, %d rounds, Gloo on "
                + "127.0.0.1, %d cores; step = forward + backward (DDP) + ZeRO RAdam step + zero_grad", elements, steps, rounds,
                Runtime.getRuntime().availableProcessors()));
        System.out.println(pyVersion == null ? "PyTorch side: no Python with torch found (--python EXE)"
                : "PyTorch side: scripts/ddp_bench.py on " + py + ", torch " + pyVersion);
        System.out.println("ranks  rank  state MB   of whole   radam4j ms   PyTorch ms   PyTorch / radam4j   "
                + "forward / backward / optimizer ms: radam4j | PyTorch");
        long whole = 0;
        for (int n = 1; n <= 3; n++) {
            double[][][] ours = new double[n][4][rounds];
            double[][][] theirs = new double[n][4][rounds];
            long[] bytes = new long[n];
            for (int round = 0; round < rounds; round++) {
                List<Process> procs = Launch.start(n, DistBench.class.getName(), List.of(dir.toString(), Double.toString(elements),
                        Integer.toString(steps), "60"), Map.of(), true);
                if (Launch.waitAll(procs, 600_000) != 0) {
                    System.out.println("a rank failed");
                    return 1;
                }
                boolean ran = pyVersion != null && python(py, n, dir, elements, steps);
                if (pyVersion != null && !ran) {
                    System.out.println("the PyTorch side failed at " + n + " ranks");
                }
                for (int r = 0; r < n; r++) {
                    String[] f = Files.readString(dir.resolve(n + "-" + r + ".txt")).trim().split(" ");
                    bytes[r] = Long.parseLong(f[0]);
                    Path p = dir.resolve("py-" + n + "-" + r + ".txt");
                    String[] t = ran && Files.exists(p) ? Files.readString(p).trim().split(" ") : null;
                    for (int k = 0; k < 4; k++) {
                        ours[r][k][round] = Double.parseDouble(f[1 + k]);
                        theirs[r][k][round] = t == null ? Double.NaN : Double.parseDouble(t[1 + k]);
                    }
                    Files.deleteIfExists(p);
                }
            }
            for (int r = 0; r < n; r++) {
                if (n == 1) {
                    whole = bytes[0];
                }
                double o = median(ours[r][0]);
                double t = median(theirs[r][0]);
                System.out.println(String.format(Locale.ROOT, "%5d  %4d  %8.1f   %7.1f%%   %10.2f   %10s   %9s   %s | %s", n, r,
                        bytes[r] / 1e6, 100.0 * bytes[r] / whole, o, Double.isNaN(t) ? "-" : String.format(Locale.ROOT, "%.2f", t),
                        Double.isNaN(t) ? "-" : String.format(Locale.ROOT, "%.2fx", t / o), phases(ours[r]),
                        Double.isNaN(t) ? "-" : phases(theirs[r])));
            }
        }
        if (failures) {
            fail(dir, timeout, "killed", Process::destroyForcibly);
            fail(dir, timeout, "stopped (SIGSTOP)", p -> signal(p, "STOP"));
        }
        return 0;
    }

    private static String phases(double[][] rounds) {
        return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", median(rounds[1]), median(rounds[2]), median(rounds[3]));
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Starts 2 ranks, does {@code what} to rank 1 after 8 s, and reports when and how rank 0 failed. */
    private static void fail(Path dir, int timeout, String what, java.util.function.Consumer<Process> action) throws Exception {
        List<Process> procs = Launch.start(2, DistBench.class.getName(), List.of(dir.toString(), "0.5", "1000000",
                Integer.toString(timeout)), Map.of(), false);
        Thread.sleep(8000);
        long t0 = System.nanoTime();
        action.accept(procs.get(1));
        boolean exited = procs.get(0).waitFor(timeout + 60, TimeUnit.SECONDS);
        double s = (System.nanoTime() - t0) / 1e9;
        procs.forEach(Process::destroyForcibly);
        Path msg = dir.resolve("failure-0.txt");
        String message = Files.exists(msg) ? Files.readString(msg).trim() : "(no message)";
        Files.deleteIfExists(msg);
        System.out.println(String.format(Locale.ROOT, "rank 1 %s: rank 0 %s after %.1f s (timeout %d s; goal: within the timeout "
                + "plus 2 s)%n  %s", what, exited ? "exited with code " + procs.get(0).exitValue() : "still running", s, timeout,
                message));
    }

    private static void signal(Process p, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String findPython() {
        for (String c : List.of("python3", "/usr/bin/python3")) {
            if (torchVersion(c) != null) {
                return c;
            }
        }
        return null;
    }

    private static String torchVersion(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch, torch.distributed as d; assert d.is_available(); "
                    + "print(torch.__version__)").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out.substring(out.lastIndexOf('\n') + 1) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** {@code scripts/ddp_bench.py} on n local ranks; each writes {@code py-n-rank.txt}. */
    private static boolean python(String py, int n, Path dir, double elements, int steps) throws Exception {
        String script = Path.of(System.getProperty("radam4j.home", "."), "scripts", "ddp_bench.py").toString();
        int port = Launch.freePort();
        List<Process> procs = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ProcessBuilder pb = new ProcessBuilder(py, script, "--elements", Double.toString(elements), "--steps",
                    Integer.toString(steps), "--out", dir.resolve("py-" + n + "-" + r + ".txt").toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(Map.of("RANK", Integer.toString(r), "WORLD_SIZE", Integer.toString(n), "MASTER_ADDR",
                    "127.0.0.1", "MASTER_PORT", Integer.toString(port)));
            procs.add(pb.start());
        }
        boolean ok = true;
        for (Process p : procs) {
            ok &= p.waitFor(600, TimeUnit.SECONDS) && p.exitValue() == 0;
        }
        procs.forEach(Process::destroyForcibly);
        return ok;
    }

    /** One rank: {@code DIR ELEMENTS_M STEPS TIMEOUT_S}; the model and step of scripts/ddp_bench.py. */
    public static void main(String[] args) throws Exception {
        Libtorch.load();
        Path dir = Path.of(args[0]);
        long total = (long) (Double.parseDouble(args[1]) * 1e6);
        int steps = Integer.parseInt(args[2]);
        try (PointerScope scope = new PointerScope();
                DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(Integer.parseInt(args[3])))) {
            torch.set_num_threads(Math.max(1, Runtime.getRuntime().availableProcessors() / g.size()));
            torch.manual_seed(0);
            List<Tensor> params = new ArrayList<>();
            List<Tensor> consts = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                params.add(torch.randn(total * (i % 7 + 1) / 160).requires_grad_(true));
                consts.add(torch.randn(total * (i % 7 + 1) / 160));
            }
            DistributedDataParallel ddp = new DistributedDataParallel(g, params, List.of(), new DistributedDataParallel.Options());
            ZeroRedundancyRAdam opt = new ZeroRedundancyRAdam(g, RAdamOptions.builder().lr(1e-3).fused(true).build(),
                    List.of(ParamGroupSpec.of(params)), true);
            java.util.function.Supplier<double[]> step = () -> {
                try (PointerScope stepScope = new PointerScope()) {
                    long t0 = System.nanoTime();
                    Tensor loss = ddp.forward(() -> {
                        Tensor sum = null;
                        for (int i = 0; i < params.size(); i++) {
                            // each product freed as soon as it is summed, as Python's refcount frees it
                            try (Tensor product = params.get(i).mul(consts.get(i)); Tensor part = product.sum()) {
                                if (sum == null) {
                                    sum = part.clone();
                                } else {
                                    try (Tensor before = sum) {
                                        sum = before.add(part);
                                    }
                                }
                            }
                        }
                        return sum;
                    });
                    long t1 = System.nanoTime();
                    ddp.backward(loss);
                    long t2 = System.nanoTime();
                    opt.step();
                    opt.zeroGrad();
                    long t3 = System.nanoTime();
                    return new double[] {(t3 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6};
                }
            };
            long warmUntil = System.nanoTime() + WARM_UP_NS;
            for (int w = 1;; w++) {
                step.get();
                if (w >= WARM_UP_STEPS) {
                    Tensor more = torch.zeros(1);
                    if (g.rank() == 0 && System.nanoTime() < warmUntil) {
                        more.fill_(new org.bytedeco.pytorch.Scalar(1.0));
                    }
                    g.broadcast(more, 0);
                    if (more.item_double() == 0) {
                        break;
                    }
                }
            }
            double[][] ms = new double[4][steps];
            for (int s = 0; s < steps; s++) {
                double[] t = step.get();
                for (int k = 0; k < 4; k++) {
                    ms[k][s] = t[k];
                }
            }
            Files.writeString(dir.resolve(g.size() + "-" + g.rank() + ".txt"), String.format(Locale.ROOT, "%d %.3f %.3f %.3f %.3f",
                    opt.stateBytes(), median(ms[0]), median(ms[1]), median(ms[2]), median(ms[3])));
        } catch (IllegalStateException e) {
            Files.writeString(dir.resolve("failure-" + System.getenv("RANK") + ".txt"), e.getMessage());
            System.out.println("stopped: " + e.getMessage());
            System.out.flush();
            Runtime.getRuntime().halt(2);
        }
    }
}
