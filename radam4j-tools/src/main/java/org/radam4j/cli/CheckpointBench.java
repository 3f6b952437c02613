package org.radam4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.io.TorchFiles;

/**
 * {@code scripts/radam4j checkpoint bench [--gb G] [--dir DIR] [--python PYTHON]}: a checkpoint of at least G GB
 * (default 3; one tensor of 85% of it, the rest in two tensors, one a view sharing the big tensor's storage)
 * saved from a JVM with a 256 MB heap, loaded and saved again by Python's {@code torch.load}/{@code torch.save},
 * and loaded back in Java. It prints the times and the peak RSS of each Java phase over the tensors' own size,
 * and checks that the round trip kept every value and the sharing. Runs in a child JVM ({@code -Xmx256m}, and
 * {@code -Dorg.bytedeco.javacpp.maxPhysicalBytes=0}: JavaCPP otherwise refuses native memory beyond 4x the heap).
 */
final class CheckpointBench {

    private CheckpointBench() {
    }

    static int run(List<String> args) throws Exception {
        double gb = 3.0;
        int tensors = 0;
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        String python = "/usr/bin/python3";
        for (int i = 0; i + 1 < args.size(); i += 2) {
            switch (args.get(i)) {
                case "--gb" -> gb = Double.parseDouble(args.get(i + 1));
                case "--tensors" -> tensors = Integer.parseInt(args.get(i + 1));
                case "--dir" -> dir = Path.of(args.get(i + 1));
                case "--python" -> python = args.get(i + 1);
                default -> {
                    System.err.println("usage: scripts/radam4j checkpoint bench [--gb G | --tensors N] [--dir DIR] [--python PYTHON]");
                    return 2;
                }
            }
        }
        if (tensors > 0) {
            return manyTensors(tensors, dir, python);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        // JavaCPP caps native memory at 4x the heap unless told otherwise: a small heap with big tensors needs this
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
                "-cp", System.getProperty("java.class.path"),
                "org.radam4j.cli.Main", "checkpoint", "bench-child", Double.toString(gb), dir.toString(), python));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    /**
     * {@code --tensors N}: a file of N small tensors written by Python's {@code torch.save}, loaded by
     * {@code torch.load} and by {@link TorchFiles#load}, each the best of three, in one run.
     */
    private static int manyTensors(int n, Path dir, String python) throws Exception {
        Path file = dir.resolve("radam4j-bench-tensors.pt");
        String script = "import sys, time, torch\n"
                + "torch.save({f't{i}': torch.full((2,), float(i)) for i in range(int(sys.argv[2]))}, sys.argv[1])\n"
                + "best = min((lambda t: (torch.load(sys.argv[1]), time.time() - t)[1])(time.time()) for _ in range(3))\n"
                + "print('%.3f' % best)";
        Process p = new ProcessBuilder(python, "-c", script, file.toString(), Integer.toString(n))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) {
            System.err.println("radam4j checkpoint bench: " + python + " with torch is needed for --tensors");
            return 1;
        }
        double pythonS = Double.parseDouble(out.substring(out.lastIndexOf('\n') + 1));
        double javaS = Double.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            try (PointerScope scope = new PointerScope()) {
                long t0 = System.nanoTime();
                Map<?, ?> m = (Map<?, ?>) TorchFiles.load(file);
                javaS = Math.min(javaS, (System.nanoTime() - t0) / 1e9);
                if (m.size() != n) {
                    System.err.println("radam4j checkpoint bench: loaded " + m.size() + " tensors of " + n);
                    return 1;
                }
            }
        }
        Files.deleteIfExists(file);
        System.out.println(String.format(Locale.ROOT, "%d tensors: python torch.load %.3f s, java TorchFiles.load %.3f s "
                + "(best of 3 each): java / python %.2fx", n, pythonS, javaS, javaS / pythonS));
        return 0;
    }

    /** The benchmark itself, in the 256 MB JVM. */
    static int child(double gb, Path dir, String python) throws Exception {
        long total = (long) (gb * (1L << 30)) / 4;
        long big = total * 85 / 100;
        long small = total - big;
        Path javaFile = dir.resolve("radam4j-bench-java.pt");
        Path pythonFile = dir.resolve("radam4j-bench-python.pt");
        try (PointerScope scope = new PointerScope()) {
            System.out.println(String.format(Locale.ROOT, "radam4j checkpoint bench: %.2f GB of float32 (one tensor of %.2f GB), "
                    + "JVM max heap %d MB", total * 4 / 1e9, big * 4 / 1e9, Runtime.getRuntime().maxMemory() >> 20));
            torch.manual_seed(1);
            Tensor a = torch.randn(big);
            Tensor b = torch.randn(small);
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("big", a);
            value.put("small", b);
            value.put("view_of_big", a.narrow(0, 1000, 5000));
            value.put("steps_done", 12345L);
            long own = (big + small) * 4;

            resetPeak();
            long before = rss();
            long t0 = System.nanoTime();
            TorchFiles.save(value, javaFile);
            double saveS = (System.nanoTime() - t0) / 1e9;
            long savePeak = peak() - before;
            System.out.println(String.format(Locale.ROOT, "java save   %6.1f s  %6.2f GB/s  file %.2f GB  peak RSS +%d MB (%.1f%% of the tensors' %d MB)",
                    saveS, own / saveS / 1e9, Files.size(javaFile) / 1e9, savePeak >> 20, 100.0 * savePeak / own, own >> 20));

            Path timing = dir.resolve("radam4j-bench-python.txt");
            Process p = new ProcessBuilder(python, "-c", "import sys, time, torch\n"
                    + "t0 = time.time(); d = torch.load(sys.argv[1]); t1 = time.time()\n"
                    + "assert d['view_of_big'].storage().data_ptr() == d['big'].storage().data_ptr()\n"
                    + "assert d['steps_done'] == 12345\n"
                    + "torch.save(d, sys.argv[2]); t2 = time.time()\n"
                    + "open(sys.argv[3], 'w').write('%f %f' % (t1 - t0, t2 - t1))",
                    javaFile.toString(), pythonFile.toString(), timing.toString()).inheritIO().start();
            if (p.waitFor() != 0) {
                System.out.println("python failed to load or save the checkpoint");
                return 1;
            }
            String[] times = Files.readString(timing).trim().split(" ");
            Files.deleteIfExists(timing);
            double pyLoad = Double.parseDouble(times[0]);
            double pySave = Double.parseDouble(times[1]);
            System.out.println(String.format(Locale.ROOT, "python torch.load %6.1f s, torch.save %6.1f s (torch %s kept the sharing)",
                    pyLoad, pySave, python));

            resetPeak();
            before = rss();
            t0 = System.nanoTime();
            @SuppressWarnings("unchecked")
            Map<String, Object> back = (Map<String, Object>) TorchFiles.load(pythonFile);
            double loadS = (System.nanoTime() - t0) / 1e9;
            long loadPeak = peak() - before;
            System.out.println(String.format(Locale.ROOT, "java load   %6.1f s  %6.2f GB/s  peak RSS +%d MB (the tensors' %d MB, plus %.1f%%)",
                    loadS, own / loadS / 1e9, loadPeak >> 20, own >> 20, 100.0 * (loadPeak - own) / own));
            Tensor a2 = (Tensor) back.get("big");
            Tensor v2 = (Tensor) back.get("view_of_big");
            boolean same = torch.equal(a, a2) && torch.equal(b, (Tensor) back.get("small"))
                    && v2.storage().data().address() == a2.storage().data().address() && ((Long) back.get("steps_done")) == 12345L;
            System.out.println(String.format(Locale.ROOT, "java / python: save %.2fx, load %.2fx (goal: within 1.5x)", saveS / pySave,
                    loadS / pyLoad));
            System.out.println("round trip Java -> Python -> Java: " + (same ? "identical, sharing kept" : "DIFFERENT"));
            return same ? 0 : 1;
        } finally {
            Files.deleteIfExists(javaFile);
            Files.deleteIfExists(pythonFile);
        }
    }

    private static long status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    private static long rss() throws IOException {
        return status("VmRSS");
    }

    private static long peak() throws IOException {
        return status("VmHWM");
    }

    /** Resets VmHWM to the current RSS (Linux: writing 5 to /proc/self/clear_refs). */
    private static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            // not Linux, or not allowed: the peak then counts from the process start
        }
    }
}
