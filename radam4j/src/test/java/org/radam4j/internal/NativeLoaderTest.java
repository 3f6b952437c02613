package org.radam4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLoaderTest {

    @Test
    void extractsOnceIntoAVersionedCacheAndReusesTheFile(@TempDir Path dir) throws Exception {
        String before = System.getProperty("radam4j.native.cachedir");
        System.setProperty("radam4j.native.cachedir", dir.toString());
        try {
            String version = NativeLoader.version();
            assertFalse(version.isEmpty() || version.equals("unknown") || version.contains("${"), version);
            byte[] lib = {1, 2, 3, 4};
            Path first = NativeLoader.cached(lib);
            assertEquals(dir.resolve("radam4j-" + version).resolve("linux-x86_64").toAbsolutePath(), first.getParent());
            assertTrue(first.getFileName().toString().matches("libradam4j-[0-9a-f]{8}\\.so"), first.toString());
            Files.setLastModifiedTime(first, FileTime.fromMillis(1_000_000L));
            Path again = NativeLoader.cached(lib);
            assertEquals(first, again);
            assertEquals(1_000_000L, Files.getLastModifiedTime(again).toMillis(), "an identical file is not rewritten");

            Files.write(first, new byte[] {9});
            assertEquals(first, NativeLoader.cached(lib));
            assertEquals(List.of((byte) 1, (byte) 2, (byte) 3, (byte) 4), bytes(first), "a damaged copy is replaced");

            Path other = NativeLoader.cached(new byte[] {5, 6});
            assertNotEquals(first, other);
            try (Stream<Path> files = Files.list(first.getParent())) {
                assertEquals(2, files.count(), "no temporary files are left behind");
            }
        } finally {
            if (before == null) {
                System.clearProperty("radam4j.native.cachedir");
            } else {
                System.setProperty("radam4j.native.cachedir", before);
            }
        }
    }

    private static List<Byte> bytes(Path p) throws Exception {
        byte[] b = Files.readAllBytes(p);
        Byte[] boxed = new Byte[b.length];
        for (int i = 0; i < b.length; i++) {
            boxed[i] = b[i];
        }
        return List.of(boxed);
    }

    @Test
    void theKernelIsLoadedFromTheCache() {
        assertNull(FusedKernel.unavailableReason(), "mvn builds native/ and packs it into target/classes");
    }

    @Test
    void malformedCallsArriveAsJavaExceptionsNotCrashes() {
        FusedKernel.GroupScalars group = new FusedKernel.GroupScalars(1e-3, 0.9, 0.999, 1e-8, 0, 1, false, false, 0);
        long[] one = {0};
        double[] d = {1};
        boolean[] z = {true};
        int[] k = {FusedKernel.STEP_BY_CALLER};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedKernel.step(null, null, 1)).getMessage()
                .contains("null group or batch"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedKernel.step(group,
                new FusedKernel.ParamBatch(FusedKernel.FLOAT32, one, one, one, new long[2], one, d, d, d, z, one, k, d), 1))
                .getMessage().contains("expAvgSqs has the wrong length"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedKernel.step(group,
                new FusedKernel.ParamBatch(FusedKernel.FLOAT32, one, one, one, one, one, null, d, d, z, one, k, d), 1))
                .getMessage().contains("bc1s is null"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedKernel.step(group,
                new FusedKernel.ParamBatch(42, one, one, one, one, one, d, d, d, z, one, k, d), 1)).getMessage().contains("dtype"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedKernel.step(group,
                new FusedKernel.ParamBatch(FusedKernel.FLOAT32, one, one, one, one, new long[] {4}, d, d, d, z, one, k, d), 1))
                .getMessage().contains("null data pointer"));
        long[] zero = {0};
        int[] f32 = {FusedKernel.STEP_FLOAT32};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedKernel.step(group,
                new FusedKernel.ParamBatch(FusedKernel.FLOAT32, one, one, one, one, zero, d, d, d, z, zero, f32, d), 1))
                .getMessage().contains("null step counter"));
        assertThrows(IllegalArgumentException.class, () -> FusedKernel.streamGbps(0, 1, 1));
    }
}
