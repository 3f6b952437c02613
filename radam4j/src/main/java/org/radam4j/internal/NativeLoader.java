package org.radam4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.zip.CRC32;

import org.bytedeco.javacpp.Loader;

/**
 * Finds radam4j's native library, extracts it into a versioned cache and loads it, once. When it cannot, it keeps
 * the reason and what to do about it, for {@code fused=true} to report; the other paths never need it.
 *
 * <p>The file goes to {@code <JavaCPP's cache>/radam4j-<version>/linux-x86_64/libradam4j-<crc32>.so}: one file per
 * build, written once (to a temporary name, then moved into place) and reused by every later start, so nothing
 * piles up and concurrent starts do not race. {@code -Dradam4j.native.cachedir=DIR} puts it elsewhere;
 * {@code -Dradam4j.native.library=FILE} loads that file instead.
 */
public final class NativeLoader {

    /**
     * What loading gave.
     *
     * @param loaded whether the library is loaded
     * @param failure why not, and what to do, or null
     * @param file the file loaded, or null
     */
    public record Result(boolean loaded, String failure, Path file) {
        static Result failed(String failure) {
            return new Result(false, failure, null);
        }
    }

    static final String PLATFORM = "linux-x86_64";
    /** Where the build puts the library in the jar. */
    public static final String RESOURCE = "/org/radam4j/internal/" + PLATFORM + "/libradam4j.so";

    private NativeLoader() {
    }

    /** The version of this build of radam4j, as Maven set it. */
    public static String version() {
        try (InputStream in = NativeLoader.class.getResourceAsStream("radam4j.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static final class Library {
        static final Result RESULT = load(RESOURCE);
    }

    /**
     * radam4j's native library (the fused kernel and the C library's math for the schedulers), loaded on the first
     * call; every later call returns the same result.
     */
    static Result library() {
        return Library.RESULT;
    }

    /** Loads the library from {@code resource} (or {@code radam4j.native.library}), extracting it to the cache. */
    public static Result load(String resource) {
        String override = System.getProperty("radam4j.native.library");
        try {
            if (override != null) {
                Path file = Path.of(override).toAbsolutePath();
                System.load(file.toString());
                return new Result(true, null, file);
            }
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                return Result.failed("radam4j's fused kernel is built for linux-x86_64 only, not " + os + "/" + arch
                        + "; use fused=false (the for-loop and foreach paths work everywhere libtorch does)");
            }
            byte[] bytes;
            try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return Result.failed("radam4j's fused kernel (" + resource + ") is not on the class path: build "
                            + "radam4j with 'mvn package' (it needs cmake and a C++17 compiler) or use fused=false");
                }
                bytes = in.readAllBytes();
            }
            Path file = cached(bytes);
            System.load(file.toString());
            return new Result(true, null, file);
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return Result.failed("radam4j's fused kernel could not be loaded (" + e + "); check that the cache folder "
                    + "is writable and allows executables (-Dradam4j.native.cachedir=DIR), or use fused=false");
        }
    }

    /** The library's file in the cache, written there when it is missing or differs. */
    static Path cached(byte[] bytes) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        String dirProperty = System.getProperty("radam4j.native.cachedir");
        Path base = dirProperty != null ? Path.of(dirProperty) : Loader.getCacheDir().toPath();
        Path dir = base.resolve("radam4j-" + version()).resolve(PLATFORM).toAbsolutePath();
        Path file = dir.resolve(String.format("libradam4j-%08x.so", crc.getValue()));
        if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), bytes)) {
            return file;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".libradam4j-", ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }
}
