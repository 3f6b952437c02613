package org.radam4j.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32;

/**
 * Which variant of the fused loop bfloat16 and float16 run with on this CPU: measured, not guessed. On the first
 * bfloat16 or float16 fused step of a process, the plan cached for this CPU and library build is applied; when
 * there is none, {@link FusedKernel#calibrate} times every variant (a few tens of milliseconds) and the plan is
 * cached, next to the native library in JavaCPP's cache ({@code kernel-plan-<cpu>.txt}). Every variant gives the
 * same bits; only the speed differs.
 *
 * <p>{@code -Dradam4j.kernel.isa=NAME} runs that variant for every dtype (one of {@link FusedKernel#isas()}) and
 * skips the calibration; {@code -Dradam4j.kernel.calibrate=false} skips it too (the best instruction set, with
 * tables for large params). A cache that cannot be read or written only costs the calibration again.
 */
public final class KernelPlans {

    private static final Logger LOG = Logger.getLogger(KernelPlans.class.getName());
    private static volatile boolean done;

    private KernelPlans() {
    }

    /** Applies the cached plan, or calibrates with {@code threads} threads and caches it; once per process. */
    static void ensure(int threads) {
        if (done) {
            return;
        }
        synchronized (KernelPlans.class) {
            if (done) {
                return;
            }
            String isa = System.getProperty("radam4j.kernel.isa");
            if (isa != null) {
                if (!FusedKernel.useIsa(isa)) {
                    throw new IllegalArgumentException("-Dradam4j.kernel.isa=" + isa + ": this CPU runs "
                            + String.join(", ", FusedKernel.isas()));
                }
            } else if (!"false".equals(System.getProperty("radam4j.kernel.calibrate"))) {
                applyOrCalibrate(cacheFile(), threads);
            }
            done = true;
        }
    }

    /** The cache file of this CPU's plan, or null when the library was not loaded from a file. */
    public static Path cacheFile() {
        Path library = NativeLoader.library().file();
        if (library == null || library.getParent() == null) {
            return null;
        }
        CRC32 crc = new CRC32();
        crc.update(FusedKernel.cpuId().getBytes(StandardCharsets.UTF_8));
        String name = library.getFileName().toString().replaceFirst("\\.so$", "");
        return library.getParent().resolve(String.format("kernel-plan-%s-%08x.txt", name, crc.getValue()));
    }

    /** Applies the plan in {@code file} (null: none); else calibrates and writes it there. True: from the file. */
    static boolean applyOrCalibrate(Path file, int threads) {
        if (file != null && Files.isRegularFile(file)) {
            try {
                if (Files.size(file) < 64 * 1024
                        && FusedKernel.applyPlans(Files.readString(file, StandardCharsets.UTF_8))) {
                    return true;
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "radam4j: cannot read the kernel plan " + file, e);
            }
        }
        String plan = "# " + FusedKernel.cpuId() + "\n" + FusedKernel.calibrate(threads);
        if (file != null) {
            write(file, plan);
        }
        return false;
    }

    private static void write(Path file, String plan) {
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".kernel-plan-", ".tmp");
            try {
                Files.writeString(tmp, plan, StandardCharsets.UTF_8);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "radam4j: cannot cache the kernel plan in " + file, e);
        }
    }
}
