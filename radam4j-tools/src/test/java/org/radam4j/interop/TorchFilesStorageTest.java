package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.NativeScope;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.parity.TensorCodec;
import org.radam4j.io.TorchFiles;
import org.radam4j.io.TorchFileFormatException;
import org.radam4j.io.PyDtype;
import org.radam4j.io.PyDevice;

/**
 * Storages shared between tensors survive {@code TorchFiles} both ways (and to and from Python 1.13), and the
 * edges of saving and loading: file mode, missing folder, values that cannot be written, ints, bytes and streams.
 */
@ExtendWith(NativeScope.class)
class TorchFilesStorageTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() throws Exception {
        PythonInteropTest.findPython();
    }

    @BeforeEach
    void seed() {
        torch.manual_seed(4);
    }

    private static long storageOf(Object t) {
        return ((Tensor) t).storage().data().address();
    }

    private static long records(Path file) throws Exception {
        try (ZipFile z = new ZipFile(file.toFile())) {
            return z.stream().filter(e -> e.getName().contains("/data/") && !e.getName().contains("/.data/")).count();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void viewsAndTiedTensorsKeepSharingTheirStorage() throws Exception {
        Tensor base = torch.randn(6, 4);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("base", base);
        value.put("row", base.select(0, 2));
        value.put("transposed", base.t());
        value.put("tied", base);
        value.put("other", torch.randn(3));
        Path file = dir.resolve("views.pt");
        TorchFiles.save(value, file);
        assertEquals(2, records(file), "one record per storage");
        Map<String, Object> back = (Map<String, Object>) TorchFiles.load(file);
        assertEquals(storageOf(back.get("base")), storageOf(back.get("row")));
        assertEquals(storageOf(back.get("base")), storageOf(back.get("transposed")));
        assertEquals(storageOf(back.get("base")), storageOf(back.get("tied")));
        assertArrayEquals(TensorCodec.bytes(base.t()), TensorCodec.bytes((Tensor) back.get("transposed")));
        assertArrayEquals(((Tensor) back.get("transposed")).strides().vec().get(), base.t().strides().vec().get());
        ((Tensor) back.get("base")).select(0, 2).fill_(new Scalar(7.0));
        assertEquals(7.0, ((Tensor) back.get("row")).get(1).item_double(), "a write through one is seen through the other");
    }

    private static String python(String code) throws Exception {
        assumeTrue(PythonInteropTest.python != null, "no python3 with torch (apt-get install python3-torch)");
        Process p = new ProcessBuilder(PythonInteropTest.python, "-c", code).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), "python failed: " + out);
        return out.strip();
    }

    @Test
    @SuppressWarnings("unchecked")
    void sharingCrossesToPythonAndBack() throws Exception {
        Tensor base = torch.randn(5, 3);
        Path java = dir.resolve("java.pt");
        TorchFiles.save(Map.of("base", base, "view", base.narrow(0, 1, 2)), java);
        assertEquals("True True", python("import torch; d = torch.load('" + java + "'); "
                + "print(d['view'].storage().data_ptr() == d['base'].storage().data_ptr(), "
                + "bool(torch.equal(d['view'], d['base'][1:3])))"));

        Path py = dir.resolve("python.pt");
        python("import torch; t = torch.arange(12.).reshape(3, 4); "
                + "torch.save({'w': t, 'col': t[:, 1], 'tied': t, 'n': 7}, '" + py + "')");
        Map<String, Object> back = (Map<String, Object>) TorchFiles.load(py);
        assertEquals(storageOf(back.get("w")), storageOf(back.get("col")));
        assertEquals(storageOf(back.get("w")), storageOf(back.get("tied")));
        assertEquals(9.0, ((Tensor) back.get("col")).get(2).item_double());
        assertEquals(7L, (Long) back.get("n"), "a Python int is a Long");
    }

    @Test
    void edgesOfSaving() throws Exception {
        Path file = dir.resolve("mode.pt");
        TorchFiles.save(Map.of("x", torch.ones(2)), file);
        var perms = Files.getPosixFilePermissions(file);
        assertTrue(perms.contains(PosixFilePermission.OWNER_READ) && perms.contains(PosixFilePermission.OWNER_WRITE));
        assertTrue(perms.contains(PosixFilePermission.GROUP_READ) && perms.contains(PosixFilePermission.OTHERS_READ),
                "0644 under the usual umask, as torch.save: " + perms);
        Path missing = dir.resolve("nodir/ckpt.pt");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> TorchFiles.save(Map.of(), missing));
        assertEquals(missing.toString(), e.getFile());
        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("self", loop);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchFiles.save(loop, dir.resolve("loop.pt")))
                .getMessage().contains("contains itself"));
        Tensor meta = torch.ones(3).to(new org.bytedeco.pytorch.Device("meta"), org.bytedeco.pytorch.global.torch.ScalarType.Float);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchFiles.save(List.of(meta), dir.resolve("meta.pt")))
                .getMessage().contains("meta tensor"));
        assertTrue(Files.list(dir).noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
    }

    @Test
    @SuppressWarnings("unchecked")
    void intsAreLongsAndFilesLoadFromBytesAndStreams() throws Exception {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("steps_done", 5L);
        value.put("big", 1L << 40);
        value.put("t", torch.arange(new Scalar(4)));
        byte[] bytes = TorchFiles.toBytes(value, "archive");
        Map<String, Object> a = (Map<String, Object>) TorchFiles.load(bytes);
        Map<String, Object> b = (Map<String, Object>) TorchFiles.load(new ByteArrayInputStream(bytes));
        for (Map<String, Object> m : List.of(a, b)) {
            assertEquals(5L, (Long) m.get("steps_done"));
            assertEquals(1L << 40, (Long) m.get("big"));
            assertEquals(3, ((Tensor) m.get("t")).get(3).item_long());
        }
    }

    /** What torch.load(weights_only=True) reads, as torch.save (protocol 2) writes it, and nothing beyond. */
    @Test
    @SuppressWarnings("unchecked")
    void theWeightsOnlyGlobalsAreRead() throws Exception {
        Path py = dir.resolve("globals.pt");
        python("import torch, collections; torch.save({'p': torch.nn.Parameter(torch.ones(2)), 'size': torch.Size([2, 3]), "
                + "'b': b'ab\\xff', 's': {1, 2}, 'dev': torch.device('cuda', 1), 'dt': torch.float16, "
                + "'c': collections.Counter([3, 3, 5])}, '" + py + "')");
        Map<String, Object> m = (Map<String, Object>) TorchFiles.load(py);
        assertTrue(((Tensor) m.get("p")).requires_grad(), "a Parameter loads as a tensor that requires grad");
        assertEquals(List.of(2L, 3L), m.get("size"));
        assertArrayEquals(new byte[] {'a', 'b', (byte) 0xff}, (byte[]) m.get("b"));
        assertEquals(java.util.Set.of(1L, 2L), m.get("s"));
        assertEquals(new PyDevice("cuda:1"), m.get("dev"));
        assertEquals(new PyDtype("torch.float16"), m.get("dt"));
        assertEquals(2L, ((org.radam4j.PyCounter) m.get("c")).count(3));

        Path bad = dir.resolve("bad.pt");
        python("import torch, fractions; torch.save({'x': fractions.Fraction(1, 3)}, '" + bad + "')");
        TorchFileFormatException e = assertThrows(TorchFileFormatException.class, () -> TorchFiles.load(bad));
        assertTrue(e.getMessage().contains("'fractions.Fraction'") && e.getMessage().contains("weights_only"), e.getMessage());
    }
}
