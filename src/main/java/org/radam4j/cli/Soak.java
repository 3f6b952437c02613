package org.radam4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code scripts/radam4j soak [--steps N] [--zero-grad none|zero]}: trains the demo network for N steps
 * (default 100,000) through {@code step(closure)} and prints the process RSS after warm-up and every 10% of the
 * run, then the growth after warm-up in percent. Linux only (it reads {@code /proc/self/status}).
 */
final class Soak {

    private Soak() {
    }

    static int run(List<String> args) throws IOException {
        long steps = 100_000;
        boolean setToNone = true;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = i + 1 < args.size() ? args.get(i + 1) : null;
            if (a.equals("--steps") && v != null) {
                steps = Long.parseLong(v);
                i++;
            } else if (a.equals("--zero-grad") && v != null && (v.equals("none") || v.equals("zero"))) {
                setToNone = v.equals("none");
                i++;
            } else {
                System.err.println("radam4j soak: unknown or incomplete option " + a
                        + " (usage: soak [--steps N] [--zero-grad none|zero])");
                return 2;
            }
        }
        if (steps < 10) {
            System.err.println("radam4j soak: --steps must be at least 10");
            return 2;
        }
        JsonNode data = DemoTraining.load();
        long warmup = Math.max(1, steps / 100);
        long every = steps / 10;
        long base = 0;
        final boolean none = setToNone;
        try (PointerScope scope = new PointerScope()) {
            DemoTraining run = DemoTraining.start(data, 1e-3);
            System.out.println(String.format(Locale.ROOT, "soak: %d steps of the demo network (for-loop path, zeroGrad(%b) in the closure)",
                    steps, none));
            for (long s = 1; s <= steps; s++) {
                try (PointerScope step = new PointerScope()) {
                    run.step(none);
                }
                if (s == warmup) {
                    base = rssKb();
                    System.out.println(String.format(Locale.ROOT, "  step %8d  rss %8d kB  (after warm-up)", s, base));
                } else if (s % every == 0) {
                    long rss = rssKb();
                    System.out.println(String.format(Locale.ROOT, "  step %8d  rss %8d kB  %+.2f%%", s, rss,
                            100.0 * (rss - base) / base));
                }
            }
        }
        long end = rssKb();
        double growth = 100.0 * (end - base) / base;
        System.out.println(String.format(Locale.ROOT, "rss growth after warm-up: %+.2f%% (%d kB -> %d kB)", growth, base, end));
        return 0;
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
