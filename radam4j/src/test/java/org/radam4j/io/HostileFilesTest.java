package org.radam4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.NativeScope;

/**
 * Files a hostile author (or an unusual program) writes: each is refused with a {@link TorchFileFormatException}
 * saying why, or loads as Python loads it; none overflows the stack, exhausts memory or runs for long.
 */
@ExtendWith(NativeScope.class)
class HostileFilesTest {

    @TempDir
    Path dir;

    /** A checkpoint whose data.pkl is {@code pickle} (protocol 2 header added), stored as torch.save stores it. */
    private Path checkpoint(byte[] pickle) throws IOException {
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(0x80);
        pkl.write(2);
        pkl.writeBytes(pickle);
        Path f = Files.createTempFile(dir, "ckpt", ".pt");
        try (var out = Files.newOutputStream(f)) {
            TorchArchiveWriter.write(out, "archive", pkl.toByteArray(), List.of());
        }
        return f;
    }

    private static byte[] ops(String ascii) {
        return ascii.getBytes(StandardCharsets.ISO_8859_1);
    }

    private String refused(Path f) {
        return assertThrows(TorchFileFormatException.class, () -> TorchFiles.load(f)).getMessage();
    }

    @Test
    void compressedRecordsAreRefused() throws IOException {
        Path f = dir.resolve("deflated.pt");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(new byte[] {(byte) 0x80, 2, 'N', '.'});
            zip.closeEntry();
        }
        assertTrue(refused(f).contains("record archive/data.pkl is compressed"), refused(f));
    }

    @Test
    void aRecordListedTwiceIsRefused() throws IOException {
        Path f = dir.resolve("twice.pt");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            for (String name : new String[] {"archive/data.pkl", "archive/data.pkX"}) {
                ZipEntry e = new ZipEntry(name);
                e.setMethod(ZipEntry.STORED);
                byte[] data = {(byte) 0x80, 2, 'N', '.'};
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(data);
                e.setSize(data.length);
                e.setCrc(crc.getValue());
                zip.putNextEntry(e);
                zip.write(data);
                zip.closeEntry();
            }
        }
        byte[] bytes = Files.readAllBytes(f);
        String text = new String(bytes, StandardCharsets.ISO_8859_1).replace("archive/data.pkX", "archive/data.pkl");
        Files.write(f, text.getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(refused(f).contains("lists archive/data.pkl twice"), refused(f));
    }

    /** {@code depth} lists, each inside the one before: {@code ] ] ... ] a a ... a}. */
    private static byte[] nestedLists(int depth) {
        return ops("]".repeat(depth) + "a".repeat(depth - 1) + ".");
    }

    @Test
    void deepNestingIsBoundedAndShallowNestingLoads() throws IOException {
        assertTrue(refused(checkpoint(nestedLists(200_000))).contains("nests containers more than 1000 deep"));
        Object v = TorchFiles.load(checkpoint(nestedLists(900)));
        int depth = 0;
        while (v instanceof List<?> l && !l.isEmpty()) {
            v = l.get(0);
            depth++;
        }
        assertEquals(899, depth);
    }

    @Test
    void aListThatHoldsItselfLoadsAsInPython() throws IOException {
        List<?> l = (List<?>) TorchFiles.load(checkpoint(ops("]q\u0000h\u0000a.")));
        assertSame(l, l.get(0));
        String message = assertThrows(IllegalArgumentException.class, () -> TorchFiles.save(l, dir.resolve("again.pt")))
                .getMessage();
        assertTrue(message.contains("contains itself"), message);
        Set<Object> set = new LinkedHashSet<>();
        set.add(set);
        message = assertThrows(IllegalArgumentException.class, () -> TorchFiles.save(set, dir.resolve("set.pt"))).getMessage();
        assertTrue(message.contains("contains itself"), message);
    }

    @Test
    void unhashableKeysAndElementsAreRefused() throws IOException {
        String self = refused(checkpoint(ops("\u008fq\u0000(h\u0000\u0090.")));
        assertTrue(self.contains("must be hashable, not a set"), self);
        assertTrue(refused(checkpoint(ops("\u008f(]\u0085\u0090."))).contains("must be hashable, not a list"));
        assertTrue(refused(checkpoint(ops("}(]\u0085K\u0001u."))).contains("must be hashable, not a list"));
    }

    @Test
    void keysThatAreOneKeyInPythonAreRefused() throws IOException {
        byte[] one = ops("}(K\u0001X\u0001\u0000\u0000\u0000aG?\u00f0\u0000\u0000\u0000\u0000\u0000\u0000X\u0001\u0000\u0000\u0000bu.");
        assertTrue(refused(checkpoint(one)).contains("the keys 1 and 1.0 are one key in Python"), refused(checkpoint(one)));
        byte[] trueAndOne = ops("\u008f(\u0088K\u0001\u0090.");
        assertTrue(refused(checkpoint(trueAndOne)).contains("are one key in Python"));
        Map<?, ?> fine = (Map<?, ?>) TorchFiles.load(checkpoint(ops("}(K\u0002X\u0001\u0000\u0000\u0000aK\u0003X\u0001\u0000\u0000\u0000bu.")));
        assertEquals(2, fine.size());
    }

    @Test
    void hugeIntegersAreRefusedQuicklyWhereTheyCannotBe() throws IOException {
        byte[] big = new byte[1 << 20];
        big[big.length - 1] = 1;
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(ops("ctorch\ndevice\nX\u0004\u0000\u0000\u0000cuda\u008b"));
        p.writeBytes(new byte[] {0, 0, 0x10, 0});
        p.writeBytes(big);
        p.writeBytes(ops("\u0086R."));
        long t0 = System.nanoTime();
        assertTrue(refused(checkpoint(p.toByteArray())).contains("an index below 2^31"));
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        c.writeBytes(ops("ccollections\nCounter\n}(K\u0001\u008b"));
        c.writeBytes(new byte[] {0, 0, 0x10, 0});
        c.writeBytes(big);
        c.writeBytes(ops("u\u0085R."));
        String message = refused(checkpoint(c.toByteArray()));
        assertTrue(message.contains("<an int of 8388601 bits>"), message);
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "seconds, not minutes");
    }

    @Test
    void framesMustFitAndLatin1MustEncode() throws IOException {
        assertTrue(refused(checkpoint(ops("\u0095\u00ff\u00ff\u0000\u0000\u0000\u0000\u0000\u0000N."))).contains("a FRAME of"));
        byte[] encode = ops("c_codecs\nencode\nX\u0002\u0000\u0000\u0000\u00c4\u0080X\u0006\u0000\u0000\u0000latin1\u0086R.");
        assertTrue(refused(checkpoint(encode)).contains("'latin-1' codec can't encode"), refused(checkpoint(encode)));
    }

    @Test
    void tensorsInSetsAndDictKeysStayAlive() throws IOException {
        Tensor key = torch.arange(new org.bytedeco.pytorch.Scalar(4)).to(torch.ScalarType.Float);
        Tensor member = torch.ones(3);
        Map<Object, Object> value = new LinkedHashMap<>();
        value.put(key, "x");
        value.put("params", new LinkedHashSet<>(List.of(member)));
        Path f = dir.resolve("keys.pt");
        TorchFiles.save(value, f);
        Map<?, ?> back = (Map<?, ?>) TorchFiles.load(f);
        List<Object> keys = new ArrayList<>(back.keySet());
        Tensor k = (Tensor) keys.get(0);
        assertEquals(6.0, k.sum().item_double());
        Tensor m = (Tensor) ((Set<?>) back.get("params")).iterator().next();
        assertEquals(3.0, m.sum().item_double());
    }

    @Test
    void manyTensorsLoadEachInConstantTime() throws IOException {
        Map<String, Object> sd = new LinkedHashMap<>();
        for (int i = 0; i < 20_000; i++) {
            sd.put("t" + i, torch.full(new long[] {2}, new org.bytedeco.pytorch.Scalar(i)));
        }
        Path f = dir.resolve("many.pt");
        TorchFiles.save(sd, f);
        Map<?, ?> back = (Map<?, ?>) TorchFiles.load(f);
        assertEquals(20_000, back.size());
        assertEquals(2 * 19_999.0, ((Tensor) back.get("t19999")).sum().item_double());
    }

    /** A lone surrogate is written as Python's pickle writes it ('surrogatepass'), not replaced by '?'. */
    @Test
    void loneSurrogatesSurviveAsInPython() throws IOException {
        String odd = "a\uD800b\uDFFF\uD83D\uDE00";
        assertEquals("61eda08062edbfbff09f9880", java.util.HexFormat.of().formatHex(Utf8.encode(odd)));
        Path f = dir.resolve("surrogates.pt");
        TorchFiles.save(List.of(odd), f);
        assertEquals(List.of(odd), TorchFiles.load(f));
    }
}
