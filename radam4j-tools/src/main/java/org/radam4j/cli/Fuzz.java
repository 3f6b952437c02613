package org.radam4j.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.radam4j.fuzz.CheckpointFuzzer;
import org.radam4j.fuzz.FusedFuzzer;
import org.radam4j.internal.Benchmarks;
import org.radam4j.fuzz.StateDictFuzzer;
import org.radam4j.parity.ParityRunner;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code scripts/radam4j fuzz [--maps N] [--files N] [--seed S] [--golden DIR]}: {@link StateDictFuzzer} over N
 * generated state dicts (default 10,000) and {@link CheckpointFuzzer} over N damaged checkpoint files (default
 * 1,000), from the golden data in DIR (default: the project.s {@code radam4j-tools/src/test/resources/golden}).
 * {@code scripts/radam4j fuzz --attack}: {@link org.radam4j.fuzz.AttackFiles}, crafted hostile checkpoints under a
 * time and memory budget.
 * {@code scripts/radam4j fuzz --fused N [--seed S] [--isa NAME]}: {@link FusedFuzzer} alone, N random configurations of the
 * fused path against the for-loop, bit for bit after every step.
 */
final class Fuzz {

    private Fuzz() {
    }

    static int run(List<String> args) throws Exception {
        if (args.equals(List.of("--attack"))) {
            java.nio.file.Path work = java.nio.file.Files.createTempDirectory("radam4j-attack");
            try {
                org.radam4j.fuzz.AttackFiles.Report r = org.radam4j.fuzz.AttackFiles.run(work);
                r.lines().forEach(System.out::println);
                r.problems().forEach(p -> System.out.println("PROBLEM: " + p));
                System.out.println(String.format(java.util.Locale.ROOT, "%d crafted files, %d problems (budget: %.0f s and "
                        + "%d MB beyond the file's size each)", r.lines().size(), r.problems().size(),
                        org.radam4j.fuzz.AttackFiles.SECONDS, org.radam4j.fuzz.AttackFiles.MEGABYTES));
                return r.ok() ? 0 : 1;
            } finally {
                java.nio.file.Files.deleteIfExists(work);
            }
        }
        int maps = 10_000;
        int files = 1_000;
        int fused = -1;
        String isa = null;
        long seed = 1;
        Path golden = Path.of(System.getProperty("radam4j.home", "."), "radam4j-tools/src/test/resources/golden");
        for (int i = 0; i + 1 < args.size(); i += 2) {
            String v = args.get(i + 1);
            switch (args.get(i)) {
                case "--maps" -> maps = Integer.parseInt(v);
                case "--files" -> files = Integer.parseInt(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--fused" -> fused = Integer.parseInt(v);
                case "--isa" -> isa = v;
                case "--golden" -> golden = Path.of(v);
                default -> {
                    System.err.println("radam4j fuzz: unknown option " + args.get(i));
                    return 2;
                }
            }
        }
        if (args.size() % 2 != 0) {
            System.err.println("radam4j fuzz: " + args.get(args.size() - 1) + " needs a value");
            return 2;
        }
        if (fused >= 0) {
            if (isa != null && !Benchmarks.useFusedInstructionSet(isa)) {
                System.err.println("radam4j fuzz: this CPU cannot run the fused kernel's " + isa + " variant; it runs "
                        + String.join(", ", Benchmarks.fusedInstructionSets()));
                return 1;
            }
            long t0 = System.nanoTime();
            FusedFuzzer.Report f = FusedFuzzer.run(fused, seed);
            System.out.println(String.format(Locale.ROOT, "fused (%s) against for-loop: %d configurations, %d steps compared "
                    + "bit for bit (params and state), %d differences (%.1f s)", Benchmarks.fusedInstructionSet(), f.configs(), f.steps(),
                    f.differences().size(), (System.nanoTime() - t0) / 1e9));
            f.differences().stream().limit(20).forEach(d -> System.out.println("  " + d));
            return f.ok() ? 0 : 1;
        }
        JsonNode root = ParityRunner.read(golden.resolve("golden_cpu.json").toFile());
        JsonNode twoGroups = null;
        for (JsonNode c : root.get("cases")) {
            if (c.get("name").asText().equals("float32_forloop_two_groups")) {
                twoGroups = c;
            }
        }
        long t0 = System.nanoTime();
        StateDictFuzzer.Report m = StateDictFuzzer.run(twoGroups, golden.resolve("pt/float32_forloop_two_groups.after7.pt"),
                maps, seed);
        System.out.println(String.format(Locale.ROOT, "state dicts: %d tried, %d loaded, %d refused with a clear exception, "
                + "%d problems; optimizer unchanged after every refusal: %b; PyTorch's remaining steps bit for bit "
                + "afterwards: %b (%.1f s)", m.tried(), m.loaded(), m.refused(), m.problems().size(),
                m.problems().stream().noneMatch(p -> p.contains("changed")), m.goldenAfter(), (System.nanoTime() - t0) / 1e9));
        m.problems().stream().limit(20).forEach(p -> System.out.println("  " + p));

        List<Path> pts = new ArrayList<>();
        try (Stream<Path> s = Files.list(golden.resolve("pt"))) {
            s.filter(p -> p.toString().endsWith(".pt")).sorted().forEach(pts::add);
        }
        Path work = Files.createTempDirectory("radam4j-fuzz");
        t0 = System.nanoTime();
        CheckpointFuzzer.Report f = CheckpointFuzzer.run(pts, work, files, seed);
        Files.deleteIfExists(work);
        System.out.println(String.format(Locale.ROOT, "checkpoint files: %d damaged copies of %d golden files tried, %d still "
                + "loaded, %d refused with TorchFileFormatException, %d problems, JVM crashes: 0 (%.1f s)", f.tried(),
                pts.size(), f.loaded(), f.refused(), f.problems().size(), (System.nanoTime() - t0) / 1e9));
        f.problems().stream().limit(20).forEach(p -> System.out.println("  " + p));
        return m.ok() && f.ok() ? 0 : 1;
    }
}
