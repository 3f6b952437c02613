package org.radam4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeBuildsTest {

    /** One libtorch per class path, and the one the Maven profile chose ({@code -Pgpu}: the CUDA build). */
    @Test
    void theClassPathHoldsExactlyOneLibtorchBuild() {
        String platform = Loader.getPlatform();
        Map<NativeBuilds.Build, URL> builds = NativeBuilds.onClassPath(torch.class.getClassLoader(), platform);
        assertEquals(1, builds.size(), "libtorch builds on the class path: " + builds);
        String expected = System.getProperty("radam4j.test.pytorch.natives");
        if (expected != null) {
            assertEquals(expected, builds.keySet().iterator().next().classifier(platform));
        }
    }

    @Test
    void twoBuildsAreNamedWithWhatToDo(@TempDir Path dir) throws IOException {
        List<URL> roots = new ArrayList<>();
        for (String classifier : new String[] {"linux-x86_64", "linux-x86_64-gpu"}) {
            Path root = dir.resolve(classifier + ".jar.d");
            Path lib = root.resolve("org/bytedeco/pytorch/" + classifier + "/libjnitorch.so");
            Files.createDirectories(lib.getParent());
            Files.write(lib, new byte[] {0});
            roots.add(root.toUri().toURL());
        }
        try (URLClassLoader both = new URLClassLoader(roots.toArray(URL[]::new), null)) {
            Map<NativeBuilds.Build, URL> builds = NativeBuilds.onClassPath(both, "linux-x86_64");
            assertEquals(List.of(NativeBuilds.Build.CPU, NativeBuilds.Build.CUDA), List.copyOf(builds.keySet()));
            String message = NativeBuilds.twoBuildsMessage(builds, "linux-x86_64");
            assertTrue(message.startsWith("two libtorch builds are on the class path"), message);
            assertTrue(message.contains("classifier linux-x86_64 or linux-x86_64-gpu, not both"), message);
        }
    }

    @Test
    void readsWhatARealLibraryNeeds() throws IOException {
        Path libm = NativeBuilds.locate("libm.so.6");
        assertTrue(libm != null, "libm.so.6 on the linker path");
        assertTrue(ElfDeps.read(libm).needed().contains("libc.so.6"));
    }

    @Test
    void missingLibrariesAreNamedWithTheirDependents(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("natives"));
        Files.write(folder.resolve("libtorch_x.so"), elf(List.of("libbase.so", "libcudnn_fake.so.9", "libc.so.6",
                "libprovided.so.0"), "$ORIGIN:/nonexistent"));
        Files.write(folder.resolve("libbase.so"), elf(List.of("libnvidia_fake.so.1"), null));
        Files.write(folder.resolve("libjnitorch_x.so"), elf(List.of("libtorch_x.so"), null));

        List<NativeBuilds.Missing> missing = NativeBuilds.missing(folder, n -> n.equals("libprovided.so.0"));
        assertEquals(List.of(new NativeBuilds.Missing("libnvidia_fake.so.1", "libbase.so"),
                new NativeBuilds.Missing("libcudnn_fake.so.9", "libtorch_x.so")), missing);
        assertEquals("libcudnn_fake.so.9 (needed by libtorch_x.so)", missing.get(1).toString());

        ElfDeps deps = ElfDeps.read(folder.resolve("libtorch_x.so"));
        assertEquals(List.of("$ORIGIN", "/nonexistent"), deps.runpath());
        assertEquals(List.of(folder.resolve("libbase.so"), folder.resolve("libtorch_x.so")),
                NativeBuilds.loadOrder(folder));
    }

    @Test
    void damagedFilesAreIoErrors(@TempDir Path dir) throws IOException {
        byte[] good = elf(List.of("libc.so.6"), null);
        for (int cut : new int[] {0, 10, 63, 100, good.length - 1}) {
            Path f = dir.resolve("cut" + cut + ".so");
            Files.write(f, java.util.Arrays.copyOf(good, cut));
            assertThrows(IOException.class, () -> ElfDeps.read(f), "cut at " + cut);
        }
        byte[] hostile = good.clone();
        ByteBuffer.wrap(hostile).order(ByteOrder.LITTLE_ENDIAN).putShort(56, (short) 0xffff);
        Path f = dir.resolve("hostile.so");
        Files.write(f, hostile);
        assertThrows(IOException.class, () -> ElfDeps.read(f));
    }

    /** A minimal ELF64 shared object: one PT_LOAD over the file, a PT_DYNAMIC, its string table. */
    private static byte[] elf(List<String> needed, String runpath) {
        ByteArrayStrings strings = new ByteArrayStrings();
        List<long[]> dyn = new ArrayList<>();
        for (String n : needed) {
            dyn.add(new long[] {1, strings.add(n)});
        }
        if (runpath != null) {
            dyn.add(new long[] {29, strings.add(runpath)});
        }
        int phoff = 64;
        int dynOff = phoff + 2 * 56;
        int strOff = dynOff + (dyn.size() + 2) * 16;
        dyn.add(new long[] {5, strOff});
        dyn.add(new long[] {0, 0});
        byte[] str = strings.bytes();
        ByteBuffer b = ByteBuffer.allocate(strOff + str.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464c457f).put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 3).putShort(18, (short) 62).putLong(32, phoff);
        b.putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 2);
        b.putInt(phoff, 1).putLong(phoff + 8, 0).putLong(phoff + 16, 0).putLong(phoff + 32, b.capacity());
        b.putInt(phoff + 56, 2).putLong(phoff + 64, dynOff).putLong(phoff + 72, dynOff)
                .putLong(phoff + 88, dyn.size() * 16L);
        for (int i = 0; i < dyn.size(); i++) {
            b.putLong(dynOff + 16 * i, dyn.get(i)[0]).putLong(dynOff + 16 * i + 8, dyn.get(i)[1]);
        }
        b.put(strOff, str);
        return b.array();
    }

    private static final class ByteArrayStrings {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        ByteArrayStrings() {
            out.write(0);
        }

        long add(String s) {
            long at = out.size();
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
            return at;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
