package org.radam4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds radam4j's native library, extracts it from the jar and loads it, once. When it cannot, it keeps the
 * reason and what to do about it, for {@code fused=true} to report; the other paths never need it.
 *
 * <p>The system property {@code radam4j.native.library} names a library file to load instead of the one in the
 * jar.
 */
final class NativeLoader {

    /**
     * What loading gave.
     *
     * @param loaded whether the library is loaded
     * @param failure why not, and what to do, or null
     */
    record Result(boolean loaded, String failure) {
    }

    static final String RESOURCE = "/org/radam4j/native/linux-x86_64/libradam4j.so";

    private NativeLoader() {
    }

    static Result load(String resource) {
        String override = System.getProperty("radam4j.native.library");
        try {
            if (override != null) {
                System.load(Path.of(override).toAbsolutePath().toString());
                return new Result(true, null);
            }
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                return new Result(false, "radam4j's fused kernel is built for linux-x86_64 only, not " + os + "/" + arch
                        + "; use fused=false (the for-loop and foreach paths work everywhere libtorch does)");
            }
            try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return new Result(false, "radam4j's fused kernel (" + resource + ") is not on the classpath: build "
                            + "radam4j with 'mvn package' (it needs cmake and a C++17 compiler) or use fused=false");
                }
                Path tmp = Files.createTempFile("libradam4j-", ".so");
                tmp.toFile().deleteOnExit();
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
                return new Result(true, null);
            }
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return new Result(false, "radam4j's fused kernel could not be loaded (" + e + "); rebuild radam4j with "
                    + "'mvn package' on this machine, check that the temporary folder allows executables "
                    + "(java.io.tmpdir), or use fused=false");
        }
    }
}
