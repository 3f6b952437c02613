package org.radam4j.cli;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.internal.FusedKernel;
import org.radam4j.internal.NativeBuilds;

/**
 * {@code scripts/radam4j doctor}: what a user needs to know when something does not start. Each line is a finding;
 * {@code PROBLEM:} lines are what the chosen libtorch build needs and lacks, and make the exit status 1. It loads
 * libtorch only once the checks that prevent a crash have passed.
 */
final class Doctor {

    private static final String[] CPU_FLAGS = {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16",
        "avx512_fp16"};

    private final List<String> problems = new ArrayList<>();

    private Doctor() {
    }

    static int run(List<String> args) {
        if (!args.isEmpty()) {
            System.err.println("usage: scripts/radam4j doctor");
            return 2;
        }
        return new Doctor().report();
    }

    private int report() {
        line("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.home") + ")");
        String platform = Loader.getPlatform();
        Map<NativeBuilds.Build, URL> builds = NativeBuilds.onClassPath(torch.class.getClassLoader(), platform);
        if (builds.isEmpty()) {
            problem("libtorch build", "none on the class path (org.bytedeco:pytorch with the classifier " + platform
                    + " or " + platform + "-gpu)");
        } else if (builds.size() > 1) {
            problem("libtorch build", NativeBuilds.twoBuildsMessage(builds, platform));
        } else {
            builds.forEach((b, u) -> line("libtorch build", b + " (" + u + ")"));
        }
        line("JavaCPP cache", cacheDir());
        List<Path> others = new ArrayList<>();
        for (String lib : new String[] {"libtorch_cpu.so", "libtorch.so", "libc10.so"}) {
            others.addAll(NativeBuilds.copiesOnLinkerPath(lib));
        }
        line("other libtorch copies the linker could pick", others.isEmpty() ? "none" : others.toString());
        boolean cuda = builds.size() == 1 && builds.containsKey(NativeBuilds.Build.CUDA);
        cudaLibrary("CUDA driver", "libcuda.so.1", false);
        cudaLibrary("CUDA runtime", "libcudart.so.13", cuda);
        cudaLibrary("cuDNN", "libcudnn.so.9", cuda);
        line("GPUs the driver lists", gpus());
        boolean loaded = false;
        if (builds.size() == 1) {
            try {
                Libtorch.load();
                loaded = true;
                line("libtorch", "loaded; natives extracted to " + Loader.cacheResources(torch.class,
                        builds.keySet().iterator().next().folder(platform))[0]);
            } catch (IllegalStateException e) {
                problem("libtorch", e.getMessage());
            } catch (IOException e) {
                line("libtorch", "loaded; its natives' folder is unknown (" + e.getMessage() + ")");
            }
        }
        if (loaded) {
            boolean available = torch.cuda_is_available();
            line("CUDA available to libtorch", available ? "yes, " + torch.cuda_device_count() + " device(s)"
                    : "no (CUDA cases are skipped)");
        }
        String fused = FusedKernel.unavailableReason();
        line("fused kernel", fused != null ? "not loaded: " + fused
                : "variant " + FusedKernel.isa() + " (this CPU runs " + String.join(", ", FusedKernel.isas()) + ")");
        line("CPU", cpu());
        if (loaded) {
            String capability = torch.get_cpu_capability().getString();
            line("libtorch CPU kernels", capability + (FusedKernel.fuses(capability)
                    ? " (multiply-adds fused; the fused kernel does the same)"
                    : " (multiply-adds not fused, as on a CPU without AVX2 and FMA; the fused kernel does the same)"));
        }
        line("python with torch (interop tools)", python());
        if (problems.isEmpty()) {
            System.out.println("OK: nothing the chosen libtorch build needs is missing");
            return 0;
        }
        System.out.println(problems.size() + " problem(s): the chosen libtorch build cannot start here");
        return 1;
    }

    private void cudaLibrary(String what, String soname, boolean needed) {
        Path p = NativeBuilds.locate(soname);
        if (p != null) {
            line(what + " (" + soname + ")", p.toString());
        } else if (needed) {
            problem(what + " (" + soname + ")", "missing: " + NativeBuilds.cudaAdvice(Loader.getPlatform()));
        } else {
            line(what + " (" + soname + ")", "missing");
        }
    }

    private static String cacheDir() {
        try {
            return Loader.getCacheDir().getAbsolutePath();
        } catch (IOException e) {
            return "unusable (" + e.getMessage() + "): set -Dorg.bytedeco.javacpp.cachedir to a writable folder";
        }
    }

    private static String gpus() {
        Path dir = Path.of("/proc/driver/nvidia/gpus");
        if (!Files.isDirectory(dir)) {
            return "none (no NVIDIA driver loaded: " + dir + " does not exist)";
        }
        try (var s = Files.list(dir)) {
            return s.count() + " (" + dir + ")";
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String cpu() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            String model = lines.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown");
            Set<String> flags = lines.stream().filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> new TreeSet<>(Arrays.asList(l.substring(l.indexOf(':') + 1).strip().split("\\s+"))))
                    .orElse(new TreeSet<>());
            List<String> have = new ArrayList<>();
            for (String f : CPU_FLAGS) {
                have.add(flags.contains(f) ? f : "no " + f);
            }
            return model + ", " + Runtime.getRuntime().availableProcessors() + " cores; " + String.join(" ", have);
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String python() {
        for (String python : new String[] {"/usr/bin/python3", "python3"}) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import torch, sys; print(sys.executable + ', torch ' + torch.__version__)")
                        .redirectErrorStream(true).start();
                p.getOutputStream().close();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    continue;
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (p.exitValue() == 0) {
                    return out;
                }
            } catch (IOException e) {
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return "not found (apt-get install python3-torch for the interop tests and recordings)";
    }

    private static void line(String what, String value) {
        System.out.println(what + ": " + value);
    }

    private void problem(String what, String value) {
        problems.add(what);
        System.out.println("PROBLEM: " + what + ": " + value);
    }
}
