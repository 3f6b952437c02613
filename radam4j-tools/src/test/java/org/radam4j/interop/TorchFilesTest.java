package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.NativeScope;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.parity.Golden;
import org.radam4j.PyTuple;
import org.radam4j.parity.PyValues;
import org.radam4j.io.TorchFiles;
import org.radam4j.io.TorchFileFormatException;

/** Reading and writing PyTorch checkpoints in Java, and refusing what is not one. */
@ExtendWith(NativeScope.class)
class TorchFilesTest {

    @TempDir
    Path dir;


    private static Path pt(String name) {
        return Golden.file("pt/" + name).toPath();
    }

    @Test
    void readsEveryPythonWrittenGoldenFile() throws Exception {
        try (var files = Files.list(pt("mlp_float32.after25.pt").getParent())) {
            for (Path f : files.toList()) {
                Object v = TorchFiles.load(f);
                assertInstanceOf(Map.class, v, f.toString());
            }
        }
        Map<?, ?> mlp = (Map<?, ?>) TorchFiles.load(pt("mlp_float64.after25.pt"));
        Map<?, ?> model = (Map<?, ?>) mlp.get("model");
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(model.keySet()));
        Map<?, ?> groups = (Map<?, ?>) ((List<?>) ((Map<?, ?>) mlp.get("optimizer")).get("param_groups")).get(0);
        assertInstanceOf(PyTuple.class, groups.get("betas"));
        assertEquals(List.of(0L, 1L, 2L, 3L), groups.get("params"), "Python ints load as Longs");
        Tensor w = (Tensor) model.get("0.weight");
        assertEquals(16, w.size(0));
    }

    @Test
    void javaRoundTripKeepsEveryValueAndType() throws Exception {
        Object original = TorchFiles.load(pt("float32_forloop_two_groups.after7.pt"));
        Path f = dir.resolve("again.pt");
        TorchFiles.save(original, f);
        assertNull(PyValues.difference(original, TorchFiles.load(f), "again.pt"));
        try (ZipFile z = new ZipFile(f.toFile())) {
            assertEquals("again/data.pkl", z.entries().nextElement().getName());
            assertTrue(z.getEntry("again/data/0") != null && z.getEntry("again/version") != null);
        }
    }

    @Test
    void storagesAreAlignedLikeTorchSave() throws Exception {
        Path f = dir.resolve("aligned.pt");
        TorchFiles.save(TorchFiles.load(pt("mlp_float32.after25.pt")), f);
        byte[] bytes = Files.readAllBytes(f);
        try (ZipFile z = new ZipFile(f.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                if (e.getName().contains("/data/")) {
                    byte[] data = z.getInputStream(e).readAllBytes();
                    int at = indexOf(bytes, data);
                    assertTrue(at >= 0 && at % 64 == 0, e.getName() + " starts at " + at);
                }
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void refusesWhatIsNotACheckpoint() throws Exception {
        Path empty = Files.write(dir.resolve("empty.pt"), new byte[0]);
        assertTrue(assertThrows(TorchFileFormatException.class, () -> TorchFiles.load(empty)).getMessage()
                .contains("not a zip archive"));
        Path text = Files.writeString(dir.resolve("text.pt"), "hello");
        assertThrows(TorchFileFormatException.class, () -> TorchFiles.load(text));
        Path noPkl = zip(dir.resolve("nopkl.pt"), Map.of("a/version", "3\n".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(assertThrows(TorchFileFormatException.class, () -> TorchFiles.load(noPkl)).getMessage().contains("data.pkl"));
        assertThrows(java.io.FileNotFoundException.class, () -> TorchFiles.load(dir.resolve("missing.pt")));
    }

    @Test
    void refusesGlobalsOutsideTheSafeSubset() throws Exception {
        byte[] evil = "\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000lsR.".getBytes(StandardCharsets.ISO_8859_1);
        Path f = zip(dir.resolve("evil.pt"), Map.of("archive/data.pkl", evil));
        assertEquals("the file needs the pickle global 'os.system', which torch.load(weights_only=True) does not allow either "
                + "(radam4j reads dicts, lists, tuples, sets, numbers, strings, bytes, tensors and parameters, sizes, devices "
                + "and dtypes)",
                assertThrows(TorchFileFormatException.class, () -> TorchFiles.load(f)).getMessage());
    }

    @Test
    void refusesStoragesThatDoNotHoldTheirTensors() throws Exception {
        byte[] good = Files.readAllBytes(pt("float32_forloop_named.after5.pt"));
        Path f = dir.resolve("short.pt");
        try (ZipFile z = new ZipFile(pt("float32_forloop_named.after5.pt").toFile());
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(f))) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                byte[] data = z.getInputStream(e).readAllBytes();
                if (e.getName().endsWith("/data/1")) {
                    data = java.util.Arrays.copyOf(data, data.length - 4);
                }
                out.putNextEntry(stored(e.getName(), data));
                out.write(data);
                out.closeEntry();
            }
        }
        assertTrue(good.length > 0);
        assertTrue(assertThrows(TorchFileFormatException.class, () -> TorchFiles.load(f)).getMessage()
                .contains("storage 1 holds 92 bytes, but 24 float32 elements need 96"));
    }

    @Test
    void randomDamageNeverGoesUnnoticed() throws Exception {
        byte[] good = Files.readAllBytes(pt("mlp_float32.after25.pt"));
        Random r = new Random(42);
        int refused = 0;
        for (int i = 0; i < 200; i++) {
            byte[] bad = good.clone();
            switch (i % 3) {
                case 0 -> bad = java.util.Arrays.copyOf(bad, r.nextInt(bad.length));
                case 1 -> bad[r.nextInt(bad.length)] ^= (byte) (1 << r.nextInt(8));
                default -> {
                    for (int k = 0; k < 16; k++) {
                        bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
                    }
                }
            }
            Path f = Files.write(dir.resolve("bad" + i + ".pt"), bad);
            try {
                TorchFiles.load(f);
            } catch (IOException e) {
                if (e.getMessage() == null || e.getMessage().isEmpty()) {
                    e.printStackTrace();
                }
                assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), "no message for damage " + i + ": " + e);
                refused++;
            }
        }
        assertTrue(refused > 100, refused + " of 200 damaged files refused");
        System.out.println(refused + " of 200 damaged files refused");
    }

    @Test
    void refusesValuesWithNoPlaceInACheckpoint() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchFiles.save(Map.of("x", new Object()), dir.resolve("x.pt")))
                .getMessage().startsWith("cannot write the value: a java.lang.Object"));
    }

    private static Path zip(Path f, Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(buf)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(stored(e.getKey(), e.getValue()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return Files.write(f, buf.toByteArray());
    }

    /** An uncompressed entry, as torch.save writes them. */
    private static ZipEntry stored(String name, byte[] data) {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        return e;
    }
}
