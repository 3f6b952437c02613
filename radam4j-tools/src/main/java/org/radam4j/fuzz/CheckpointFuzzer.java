package org.radam4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import org.bytedeco.javacpp.PointerScope;
import org.radam4j.io.TorchFileFormatException;
import org.radam4j.io.TorchFiles;

/**
 * Damages PyTorch checkpoint files every way a disk, a network or a person can: truncation, bit flips, random
 * bytes, zip entries removed, swapped or renamed, an empty file, a file of noise. Each must load or be refused
 * with a {@link TorchFileFormatException} that has a message; anything else (another exception type, or the JVM
 * dying in native code) is a failure.
 */
public final class CheckpointFuzzer {

    /** What a run found. */
    public record Report(int tried, int loaded, int refused, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private CheckpointFuzzer() {
    }

    public static Report run(List<Path> originals, Path workDir, int count, long seed) throws IOException {
        Random r = new Random(seed);
        List<byte[]> sources = new ArrayList<>();
        for (Path p : originals) {
            sources.add(Files.readAllBytes(p));
        }
        List<String> problems = new ArrayList<>();
        int loaded = 0;
        int refused = 0;
        Path f = workDir.resolve("fuzzed.pt");
        for (int i = 0; i < count; i++) {
            byte[] original = sources.get(r.nextInt(sources.size()));
            byte[] bad = damage(original, r, i % 8);
            Files.write(f, bad);
            try (PointerScope scope = new PointerScope()) {
                Object v = TorchFiles.load(f);
                loaded++;
                if (!(v instanceof Map<?, ?>) && v != null && !(v instanceof List<?>) && !(v instanceof Number)
                        && !(v instanceof String) && !(v instanceof Boolean) && !(v instanceof org.bytedeco.pytorch.Tensor)) {
                    problems.add("file " + i + ": loaded as a " + v.getClass());
                }
            } catch (TorchFileFormatException e) {
                refused++;
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    problems.add("file " + i + ": refused without a message");
                }
            } catch (IOException | RuntimeException e) {
                problems.add("file " + i + " (damage " + (i % 8) + "): " + e);
            }
        }
        Files.deleteIfExists(f);
        return new Report(count, loaded, refused, problems);
    }

    static byte[] damage(byte[] original, Random r, int kind) throws IOException {
        byte[] b = original.clone();
        switch (kind) {
            case 0 -> {
                return java.util.Arrays.copyOf(b, r.nextInt(b.length));
            }
            case 1 -> {
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    int i = r.nextInt(b.length);
                    b[i] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            }
            case 2 -> {
                int at = r.nextInt(b.length);
                for (int i = at; i < Math.min(b.length, at + 1 + r.nextInt(64)); i++) {
                    b[i] = (byte) r.nextInt(256);
                }
                return b;
            }
            case 3, 4, 5 -> {
                List<String> names = new ArrayList<>();
                List<byte[]> data = new ArrayList<>();
                Path tmp = Files.createTempFile("radam4j-zip", ".pt");
                try {
                    Files.write(tmp, b);
                    try (ZipFile in = new ZipFile(tmp.toFile())) {
                        for (ZipEntry e : Collections.list(in.entries())) {
                            names.add(e.getName());
                            try (java.io.InputStream s = in.getInputStream(e)) {
                                data.add(s.readAllBytes());
                            }
                        }
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
                if (names.isEmpty()) {
                    return b;
                }
                int i = r.nextInt(names.size());
                if (kind == 3) {
                    names.remove(i);
                    data.remove(i);
                } else if (kind == 4) {
                    int j = r.nextInt(names.size());
                    Collections.swap(data, i, j);
                } else {
                    names.set(i, names.get(i) + (r.nextBoolean() ? "x" : "/../" + r.nextInt(9)));
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (ZipOutputStream zip = new ZipOutputStream(out)) {
                    for (int k = 0; k < names.size(); k++) {
                        zip.putNextEntry(new ZipEntry(names.get(k)));
                        zip.write(data.get(k));
                        zip.closeEntry();
                    }
                }
                return out.toByteArray();
            }
            case 6 -> {
                return new byte[0];
            }
            default -> {
                byte[] noise = new byte[r.nextInt(4096)];
                r.nextBytes(noise);
                if (noise.length > 4 && r.nextBoolean()) {
                    noise[0] = 'P';
                    noise[1] = 'K';
                    noise[2] = 3;
                    noise[3] = 4;
                }
                return noise;
            }
        }
    }
}
