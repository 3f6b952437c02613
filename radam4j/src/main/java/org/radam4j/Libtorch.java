package org.radam4j;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.internal.NativeBuilds;

/**
 * Loads libtorch's natives in a way that works on the first start of an application on a new machine.
 *
 * <p>Why: with an empty JavaCPP cache ({@code ~/.javacpp/cache}, or a new
 * {@code -Dorg.bytedeco.javacpp.cachedir}), JavaCPP 1.5.13 extracts and loads the presets' libraries one at a
 * time and loads {@code libtorch.so} before it has extracted {@code libtorch_cpu.so}, which {@code libtorch.so}
 * needs. The dynamic linker then looks for {@code libtorch_cpu.so} elsewhere; on a machine with another libtorch
 * in the system's library path (Debian's {@code python3-torch} installs PyTorch 1.13's in
 * {@code /usr/lib/x86_64-linux-gnu}), it loads that one, and two libtorch versions in one process crash the
 * JVM (SIGSEGV in {@code pthread_mutex_lock}). The second start works, because the cache then holds every file.
 *
 * <p>{@link #load()} extracts the presets' whole native folder into JavaCPP's cache first, then loads libtorch.
 * radam4j's entry points ({@link RAdam}, {@link org.radam4j.io.TorchFiles}, {@link org.radam4j.io.ModuleStates})
 * call it. An application that uses {@code org.bytedeco.pytorch} before any of them must call it first, at the
 * top of {@code main}: any use of a presets class may be the one that loads libtorch.
 *
 * <p>One build per class path: with both the CPU and the CUDA natives there, it refuses to start and names both
 * jars. The CUDA build needs CUDA 13.1 and cuDNN 9.19 from the machine; where a library it needs is missing, or
 * one found cannot be loaded, it throws naming the library and what to do, before JavaCPP could fall back to
 * another libtorch on the system's library path and crash the JVM. Without a driver or a GPU, libtorch starts
 * and {@code cuda_is_available()} is false.
 */
public final class Libtorch {

    private static volatile boolean loaded;

    private Libtorch() {
    }

    /**
     * Extracts libtorch's natives into JavaCPP's cache (a no-op when they are there already) and loads them, once
     * per JVM.
     *
     * @throws IllegalStateException when the natives cannot be extracted or loaded, saying what to do
     */
    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (Libtorch.class) {
            if (loaded) {
                return;
            }
            String platform = Loader.getPlatform();
            Map<NativeBuilds.Build, URL> builds = NativeBuilds.onClassPath(torch.class.getClassLoader(), platform);
            if (builds.size() > 1) {
                throw new IllegalStateException(NativeBuilds.twoBuildsMessage(builds, platform));
            }
            File[] files = null;
            try {
                for (NativeBuilds.Build b : builds.keySet()) {
                    files = Loader.cacheResources(torch.class, b.folder(platform));
                }
            } catch (IOException e) {
                throw new IllegalStateException("could not extract libtorch's natives into JavaCPP's cache (" + e.getMessage()
                        + "); set -Dorg.bytedeco.javacpp.cachedir to a writable folder", e);
            }
            if (files == null || files.length == 0) {
                throw new IllegalStateException("libtorch's natives for " + platform + " are not on the class path: add "
                        + "org.bytedeco:pytorch:2.10.0-1.5.13 with the classifier " + platform + " (or " + platform
                        + "-gpu) to the application's dependencies (radam4j's README, \"Dependency\"); on the module path, also "
                        + "--add-modules ALL-MODULE-PATH (or the natives' modules, e.g. org.bytedeco.pytorch." + platform.replace('-', '.')
                        + ")");
            }
            if (builds.containsKey(NativeBuilds.Build.CUDA)) {
                Path cached = files[0].toPath().toAbsolutePath();
                preloadCudaBuild(files[0].isDirectory() ? cached : cached.getParent(), platform);
            }
            try {
                Loader.load(torch.class);
            } catch (UnsatisfiedLinkError e) {
                throw new IllegalStateException("could not load libtorch's natives: " + e.getMessage(), e);
            }
            loaded = true;
        }
    }

    /**
     * The CUDA build needs CUDA and cuDNN from the machine. Where a library is missing, or one found does not fit,
     * JavaCPP would fall back to any libtorch on the system's library path and the JVM would crash; this checks
     * every dependency first, then loads libtorch's own libraries in order from the cache, so that a failure is
     * an exception naming the library.
     */
    private static void preloadCudaBuild(Path folder, String platform) {
        ClassLoader loader = torch.class.getClassLoader();
        List<NativeBuilds.Missing> missing;
        List<Path> order;
        try {
            missing = NativeBuilds.missing(folder,
                    name -> loader.getResource("org/bytedeco/openblas/" + platform + "/" + name) != null);
            order = NativeBuilds.loadOrder(folder);
        } catch (IOException e) {
            throw new IllegalStateException("could not read libtorch's CUDA natives in " + folder + " (" + e.getMessage()
                    + "); delete that folder so that it is extracted again", e);
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("libtorch's CUDA build cannot start on this machine: the dynamic linker finds "
                    + "no " + String.join(", ", missing.stream().map(Object::toString).toList()) + "; "
                    + NativeBuilds.cudaAdvice(platform));
        }
        try {
            Loader.load(org.bytedeco.openblas.presets.openblas.class);
            for (Path lib : order) {
                System.load(lib.toString());
            }
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("libtorch's CUDA build cannot start on this machine: " + e.getMessage()
                    + "; the CUDA or cuDNN libraries found may be of another version: " + NativeBuilds.cudaAdvice(platform), e);
        }
    }
}
