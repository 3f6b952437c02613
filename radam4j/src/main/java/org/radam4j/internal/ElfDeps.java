package org.radam4j.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What a 64-bit little-endian ELF shared library asks of the dynamic linker: the libraries it needs
 * ({@code DT_NEEDED}) and where it asks to look first ({@code DT_RUNPATH}, else {@code DT_RPATH}), read from its
 * dynamic segment as {@code readelf -d} shows them. Reads only the headers and the strings it needs, in bounded
 * amounts, whatever the file's size.
 *
 * @param needed the sonames, in the file's order
 * @param runpath the search folders as written ({@code $ORIGIN} not expanded)
 */
public record ElfDeps(List<String> needed, List<String> runpath) {

    private static final int PT_LOAD = 1;
    private static final int PT_DYNAMIC = 2;
    private static final long DT_NEEDED = 1;
    private static final long DT_STRTAB = 5;
    private static final long DT_RPATH = 15;
    private static final long DT_RUNPATH = 29;
    private static final int MAX_PROGRAM_HEADERS = 4096;
    private static final int MAX_DYNAMIC_ENTRIES = 8192;
    private static final int MAX_STRING = 8192;

    /**
     * Reads {@code file}'s dependencies.
     *
     * @throws IOException when it cannot be read or is not a 64-bit little-endian ELF file with sane headers
     */
    public static ElfDeps read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = read(ch, 0, 64);
            if (h.getInt(0) != 0x464c457f || h.get(4) != 2 || h.get(5) != 1) {
                throw new IOException(file + " is not a 64-bit little-endian ELF file");
            }
            long phoff = h.getLong(32);
            int phentsize = Short.toUnsignedInt(h.getShort(54));
            int phnum = Short.toUnsignedInt(h.getShort(56));
            if (phentsize < 56 || phnum > MAX_PROGRAM_HEADERS) {
                throw new IOException(file + ": bad ELF program headers");
            }
            ByteBuffer ph = read(ch, phoff, phnum * phentsize);
            List<long[]> loads = new ArrayList<>();
            long dynOffset = -1;
            long dynSize = 0;
            for (int i = 0; i < phnum; i++) {
                int b = i * phentsize;
                int type = ph.getInt(b);
                if (type == PT_LOAD) {
                    loads.add(new long[] {ph.getLong(b + 16), ph.getLong(b + 8), ph.getLong(b + 32)});
                } else if (type == PT_DYNAMIC) {
                    dynOffset = ph.getLong(b + 8);
                    dynSize = ph.getLong(b + 32);
                }
            }
            if (dynOffset < 0) {
                return new ElfDeps(List.of(), List.of());
            }
            ByteBuffer dyn = read(ch, dynOffset, (int) Math.min(Math.max(dynSize, 0), 16L * MAX_DYNAMIC_ENTRIES));
            List<Long> needed = new ArrayList<>();
            long strtab = -1;
            long rpath = -1;
            long runpath = -1;
            for (int b = 0; b + 16 <= dyn.limit(); b += 16) {
                long tag = dyn.getLong(b);
                long value = dyn.getLong(b + 8);
                if (tag == 0) {
                    break;
                } else if (tag == DT_NEEDED) {
                    needed.add(value);
                } else if (tag == DT_STRTAB) {
                    strtab = value;
                } else if (tag == DT_RPATH) {
                    rpath = value;
                } else if (tag == DT_RUNPATH) {
                    runpath = value;
                }
            }
            if (strtab < 0) {
                throw new IOException(file + ": no string table in the dynamic segment");
            }
            long strings = fileOffset(loads, strtab, file);
            List<String> names = new ArrayList<>(needed.size());
            for (long n : needed) {
                names.add(string(ch, strings, n, file));
            }
            long path = runpath >= 0 ? runpath : rpath;
            List<String> dirs = path < 0 ? List.of() : List.of(string(ch, strings, path, file).split(":"));
            return new ElfDeps(List.copyOf(names), dirs.stream().filter(d -> !d.isEmpty()).toList());
        }
    }

    private static long fileOffset(List<long[]> loads, long vaddr, Path file) throws IOException {
        for (long[] l : loads) {
            if (vaddr >= l[0] && vaddr - l[0] < l[2]) {
                return l[1] + (vaddr - l[0]);
            }
        }
        throw new IOException(file + ": the dynamic string table is outside every loaded segment");
    }

    private static String string(FileChannel ch, long table, long offset, Path file) throws IOException {
        if (offset < 0 || table + offset < 0) {
            throw new IOException(file + ": bad string offset");
        }
        ByteBuffer b = read(ch, table + offset, (int) Math.min(MAX_STRING, Math.max(0, ch.size() - table - offset)));
        for (int i = 0; i < b.limit(); i++) {
            if (b.get(i) == 0) {
                byte[] bytes = new byte[i];
                b.get(0, bytes);
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }
        throw new IOException(file + ": unterminated string in the dynamic string table");
    }

    private static ByteBuffer read(FileChannel ch, long offset, int length) throws IOException {
        if (offset < 0 || length < 0 || offset > ch.size() || ch.size() - offset < length) {
            throw new IOException("truncated ELF file");
        }
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new IOException("truncated ELF file");
            }
        }
        return b.flip();
    }
}
