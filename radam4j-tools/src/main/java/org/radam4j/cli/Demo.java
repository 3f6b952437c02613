package org.radam4j.cli;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code scripts/radam4j demo}: trains the golden files' small network on the data the jar ships
 * ({@code org/radam4j/demo/mlp_float32.json}, recorded from PyTorch 2.11) with RAdam from Java, prints its
 * progress, and compares every loss with the one PyTorch recorded.
 */
final class Demo {

    private Demo() {
    }

    static int run(List<String> args) throws IOException {
        java.nio.file.Path record = null;
        if (args.size() == 2 && args.get(0).equals("--ranks")) {
            try {
                return DistDemo.run(Integer.parseInt(args.get(1)));
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        if (args.equals(List.of("--amp"))) {
            return DemoAmp.run();
        }
        if (args.size() == 2 && args.get(0).equals("--record")) {
            record = java.nio.file.Path.of(args.get(1));
        } else if (!args.isEmpty()) {
            System.err.println("usage: scripts/radam4j demo [--record FILE.pt | --ranks N | --amp]");
            return 2;
        }
        JsonNode data = DemoTraining.load();
        System.out.println("radam4j demo: " + data.get("architecture").asText());
        System.out.println("  64 samples of 8 features; reference losses " + data.get("source").asText());
        System.out.println();
        System.out.println("  step   loss (Java)         loss (PyTorch)      rel. diff");

        JsonNode recorded = data.get("losses");
        double maxRel = 0;
        double first = 0;
        double last = 0;
        long start = System.nanoTime();
        try (PointerScope scope = new PointerScope()) {
            DemoTraining run = DemoTraining.start(data, 0.01);
            org.radam4j.io.Recorder recorder = record == null ? null : new org.radam4j.io.Recorder(run.opt(), record, "demo");
            for (int s = 0; s < recorded.size(); s++) {
                double loss;
                try (PointerScope step = new PointerScope()) {
                    Tensor l = run.step(true);
                    loss = l.item_double();
                }
                double expected = recorded.get(s).asDouble();
                double rel = Math.abs(loss - expected) / Math.abs(expected);
                maxRel = Math.max(maxRel, rel);
                if (s == 0) {
                    first = loss;
                }
                last = loss;
                if (s % 5 == 0 || s == recorded.size() - 1) {
                    System.out.println(String.format(Locale.ROOT, "  %4d   %.9f         %.9f         %.1e", s + 1, loss,
                            expected, rel));
                }
            }
            if (recorder != null) {
                recorder.close();
                System.out.println("  recorded the run into " + record + " (python3 scripts/radam4j_check.py " + record + ")");
            }
        }
        double ms = (System.nanoTime() - start) / 1e6;
        boolean ok = maxRel < 1e-4;
        System.out.println();
        System.out.println(String.format(Locale.ROOT, "  %d RAdam steps in %.0f ms: loss %.4f -> %.4f", recorded.size(), ms,
                first, last));
        System.out.println(String.format(Locale.ROOT, "  largest relative difference from PyTorch's losses: %.2e (%s)", maxRel,
                ok ? "matches within float32 BLAS differences" : "MORE THAN EXPECTED"));
        return ok ? 0 : 1;
    }
}
