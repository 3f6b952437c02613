package org.radam4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.radam4j.io.TorchFileFormatException;
import org.radam4j.io.TorchFiles;

/**
 * Checkpoint files crafted as a hostile author crafts them (decompression bombs, nesting deeper than any stack,
 * containers that hold themselves, unhashable and Python-equal keys, integers of millions of bits, lying sizes,
 * records listed twice, pickles that amplify through shared references), each loaded under a budget: at most
 * {@link #SECONDS} seconds and {@link #MEGABYTES} MB of heap and native memory beyond the file's own size. A
 * file must load or be refused with a {@link TorchFileFormatException}; any other exception or error, or a
 * budget overrun, is a problem.
 */
public final class AttackFiles {

    /** The time a file may take. */
    public static final double SECONDS = 5;
    /** The memory a file may take beyond its own size (heap and native, as the JVM and JavaCPP count them). */
    public static final long MEGABYTES = 256;

    /** One crafted file and what it should do: load, or be refused. */
    public record Attack(String name, Supplier<byte[]> file, boolean refused) {
    }

    /** What a run found: one line per file, and the problems. */
    public record Report(List<String> lines, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private AttackFiles() {
    }

    /** The crafted files. */
    public static List<Attack> all() {
        List<Attack> a = new ArrayList<>();
        a.add(new Attack("deflate bomb: 64 MB of zeros as data.pkl", () -> deflated(64 << 20), true));
        a.add(new Attack("nested lists, 1,000,000 deep", () -> pickle(ops("]".repeat(1_000_000) + "a".repeat(999_999) + ".")),
                true));
        a.add(new Attack("nested tuples, 1,000,000 deep", () -> pickle(ops("N" + "\u0085".repeat(1_000_000) + ".")), true));
        a.add(new Attack("nested dicts, 200,000 deep", () -> pickle(ops(("}X\u0001\u0000\u0000\u0000k").repeat(200_000)
                + "Ns" + "s".repeat(199_999) + ".")), true));
        a.add(new Attack("a list that holds itself", () -> pickle(ops("]q\u0000h\u0000a.")), false));
        a.add(new Attack("a set that holds itself", () -> pickle(ops("\u008fq\u0000(h\u0000\u0090.")), true));
        a.add(new Attack("a tuple holding a list as a dict key", () -> pickle(ops("}(]\u0085K\u0001u.")), true));
        a.add(new Attack("keys 1 and 1.0", () -> pickle(ops("}(K\u0001N" + "G?\u00f0\u0000\u0000\u0000\u0000\u0000\u0000Nu.")),
                true));
        a.add(new Attack("tuple DAG 60 deep as a set element (2^60 paths)", () -> pickle(tupleDag(60, "\u008f(", "\u0090.")),
                false));
        a.add(new Attack("tuple DAG 60 deep as a value", () -> pickle(tupleDag(60, "", ".")), false));
        a.add(new Attack("an 8-million-bit int as a device index", () -> pickle(bigIntCall("ctorch\ndevice\nX\u0004\u0000\u0000\u0000cuda",
                "\u0086R.")), true));
        a.add(new Attack("an 8-million-bit int as a Counter count", () -> pickle(bigIntCall(
                "ccollections\nCounter\n}(K\u0001", "u\u0085R.")), true));
        a.add(new Attack("a list that holds itself 200,000 times", () -> pickle(ops("]q\u0000(" + "h\u0000".repeat(200_000)
                + "e.")), false));
        a.add(new Attack("a FRAME longer than the file", () -> pickle(ops("\u0095\u00ff\u00ff\u00ff\u0000\u0000\u0000\u0000\u0000N.")),
                true));
        a.add(new Attack("a string length of 2^31-1", () -> pickle(ops("X\u00ff\u00ff\u00ff\u007fabc.")), true));
        a.add(new Attack("a record listed twice", AttackFiles::listedTwice, true));
        return a;
    }

    /** Loads every crafted file under the budget; {@code workDir} receives each file in turn. */
    public static Report run(Path workDir) throws IOException {
        List<String> lines = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Path f = workDir.resolve("attack.pt");
        Runtime rt = Runtime.getRuntime();
        for (Attack attack : all()) {
            byte[] bytes = attack.file().get();
            Files.write(f, bytes);
            System.gc();
            long heap0 = rt.totalMemory() - rt.freeMemory();
            long native0 = Pointer.physicalBytes();
            long t0 = System.nanoTime();
            String outcome;
            boolean refused;
            try (PointerScope scope = new PointerScope()) {
                TorchFiles.load(f);
                outcome = "loaded";
                refused = false;
            } catch (TorchFileFormatException e) {
                outcome = "refused: " + (e.getMessage().length() > 120 ? e.getMessage().substring(0, 120) + "..." : e.getMessage());
                refused = true;
            } catch (Throwable e) {
                outcome = "FAILED with " + e;
                refused = false;
                problems.add(attack.name() + ": " + e);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long heapMb = Math.max(0, rt.totalMemory() - rt.freeMemory() - heap0) >> 20;
            long nativeMb = Math.max(0, Pointer.physicalBytes() - native0) >> 20;
            long allowed = MEGABYTES + (bytes.length >> 20);
            lines.add(String.format(Locale.ROOT, "%-52s %8d bytes  %6.2f s  +%d MB  %s", attack.name(), bytes.length, seconds,
                    Math.max(heapMb, nativeMb), outcome));
            if (seconds > SECONDS) {
                problems.add(attack.name() + ": took " + seconds + " s (budget " + SECONDS + " s)");
            }
            if (heapMb > allowed || nativeMb > allowed) {
                problems.add(attack.name() + ": took +" + Math.max(heapMb, nativeMb) + " MB (budget " + allowed + " MB)");
            }
            if (refused != attack.refused() && !outcome.startsWith("FAILED")) {
                problems.add(attack.name() + ": " + outcome + ", expected " + (attack.refused() ? "a refusal" : "a load"));
            }
        }
        Files.deleteIfExists(f);
        return new Report(lines, problems);
    }

    private static byte[] ops(String ascii) {
        return ascii.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@code depth} levels of {@code t = (t, t)}: 2^depth paths through {@code depth + 1} objects. */
    private static byte[] tupleDag(int depth, String before, String after) {
        StringBuilder p = new StringBuilder(before).append('N');
        for (int i = 0; i < depth; i++) {
            p.append('q').append((char) i).append('h').append((char) i).append('\u0086');
        }
        return ops(p.append(after).toString());
    }

    /** {@code head}, then a LONG4 of 2^20 bytes (an int of about 8 million bits), then {@code tail}. */
    private static byte[] bigIntCall(String head, String tail) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(ops(head));
        p.write(0x8b);
        p.writeBytes(new byte[] {0, 0, 0x10, 0});
        byte[] big = new byte[1 << 20];
        big[big.length - 1] = 1;
        p.writeBytes(big);
        p.writeBytes(ops(tail));
        return p.toByteArray();
    }

    /** A checkpoint whose data.pkl is {@code pickle} after a protocol 2 header. */
    private static byte[] pickle(byte[] pickle) {
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(0x80);
        pkl.write(2);
        pkl.writeBytes(pickle);
        return zip(List.of("archive/data.pkl"), List.of(pkl.toByteArray()), true);
    }

    private static byte[] deflated(int zeros) {
        return zip(List.of("archive/data.pkl"), List.of(new byte[zeros]), false);
    }

    private static byte[] listedTwice() {
        byte[] pkl = {(byte) 0x80, 2, 'N', '.'};
        byte[] z = zip(List.of("archive/data.pkl", "archive/data.pkX"), List.of(pkl, pkl), true);
        String s = new String(z, StandardCharsets.ISO_8859_1).replace("archive/data.pkX", "archive/data.pkl");
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] zip(List<String> names, List<byte[]> records, boolean stored) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(buf)) {
            for (int i = 0; i < names.size(); i++) {
                ZipEntry e = new ZipEntry(names.get(i));
                byte[] data = records.get(i);
                if (stored) {
                    CRC32 crc = new CRC32();
                    crc.update(data);
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(data.length);
                    e.setCompressedSize(data.length);
                    e.setCrc(crc.getValue());
                }
                zip.putNextEntry(e);
                zip.write(data);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return buf.toByteArray();
    }
}
