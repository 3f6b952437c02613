package org.radam4j;

import java.io.File;
import java.io.IOException;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

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
            try {
                int folders = 0;
                for (String extension : new String[] {"-gpu", ""}) {
                    File[] files = Loader.cacheResources(org.bytedeco.pytorch.presets.torch.class,
                            "/org/bytedeco/pytorch/" + platform + extension + "/");
                    folders += files == null ? 0 : files.length;
                }
                if (folders == 0) {
                    throw new IllegalStateException("libtorch's natives for " + platform + " are not on the class path: add "
                            + "org.bytedeco:pytorch:2.10.0-1.5.13 with the classifier " + platform + " (or " + platform
                            + "-gpu) to the application's dependencies (radam4j's README, \"Dependency\"); on the module path, also "
                            + "--add-modules ALL-MODULE-PATH (or the natives' modules, e.g. org.bytedeco.pytorch." + platform.replace('-', '.')
                            + ")");
                }
            } catch (IOException e) {
                throw new IllegalStateException("could not extract libtorch's natives into JavaCPP's cache (" + e.getMessage()
                        + "); set -Dorg.bytedeco.javacpp.cachedir to a writable folder", e);
            }
            try {
                Loader.load(torch.class);
            } catch (UnsatisfiedLinkError e) {
                throw new IllegalStateException("could not load libtorch's natives: " + e.getMessage(), e);
            }
            loaded = true;
        }
    }
}
