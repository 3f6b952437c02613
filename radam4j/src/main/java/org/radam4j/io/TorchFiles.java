package org.radam4j.io;

import org.radam4j.Libtorch;

import org.radam4j.internal.TensorBytes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;
import org.radam4j.PyTuple;

/**
 * PyTorch's checkpoint files ({@code torch.save} / {@code torch.load}) from Java, without libtorch's pickler:
 * a zip of {@code data.pkl} (pickle protocol 2) and one raw little-endian storage per tensor.
 *
 * <p>{@link #save} writes maps, lists, {@link PyTuple}s, tensors, numbers, booleans, strings and null using only
 * the globals PyTorch's own {@code torch.save} uses, so {@code torch.load(path)} reads the file with its default
 * {@code weights_only=True} in PyTorch 2.6 and later, and in older versions too. A CPU tensor is written with its
 * own storage, offset and strides, each storage once: views and tied weights share their storage in the file
 * as they do after {@code torch.save}. Records are streamed from and into tensor memory in chunks, so the memory
 * either direction takes does not grow with the file, and tensors may be of any size.
 *
 * <p>{@link #load} reads files written by {@code torch.save} (and by {@link #save}) into Java values: dicts become
 * {@link java.util.LinkedHashMap}s and {@code OrderedDict}s (a module's {@code state_dict()}) {@link OrderedDict}s
 * with their attributes ({@code _metadata}), tuples {@link PyTuple}s, ints {@link Long} ({@link java.math.BigInteger}
 * beyond 64 bits), floats {@link Double}, {@code Counter}s {@link org.radam4j.PyCounter}s, bytes {@code byte[]},
 * sets {@link java.util.Set}s, {@code torch.Size} a {@link TorchSize}, {@code torch.device} a {@link PyDevice}, a
 * dtype a {@link PyDtype}, tensors CPU tensors and {@code Parameter}s {@link Parameter}s (those that shared a
 * storage in the file share it in memory, as after {@code torch.load}), tensors in sets and dict keys included:
 * the globals of PyTorch's weights-only
 * allow-list that {@code torch.save} writes for such values. A
 * file that needs anything else, or is not a well-formed checkpoint, is refused with a
 * {@link TorchFileFormatException}; nothing in a file can crash the JVM.
 *
 * <p>Files are untrusted input. A load reads each record to its declared size, and all records together to no
 * more than the file's size (a record listed under several names is refused); compressed records, which
 * {@code torch.save} never writes, are refused; containers nest at most 1000 deep ({@code -Dradam4j.load.maxDepth});
 * dict keys and set elements must be hashable as in Python, and keys that are one key in Python ({@code 1},
 * {@code 1.0}, {@code True}) are refused rather than kept apart; a record listed twice is refused. Time and memory
 * are linear in the file's size.
 */
public final class TorchFiles {

    static {
        Libtorch.load();
    }


    static final int ALIGNMENT = 64;
    private static final long MAX_RECORD = Integer.MAX_VALUE - 16;
    static final int CHUNK = 1 << 22;

    private TorchFiles() {
    }

    /**
     * Writes {@code value} to {@code path} as {@code torch.save(value, path)} would: a zip with the pickle and one
     * record per storage, streamed from the tensors' memory in chunks, so that the memory it takes does not grow
     * with the checkpoint (tensors of any size; tensors sharing a storage are written sharing it). Atomically: a
     * temporary file in the same folder, then a rename; the file gets the mode {@code torch.save}'s gets
     * ({@code 0666} less the umask).
     *
     * @throws IllegalArgumentException for a value that has no place in a PyTorch checkpoint (a meta or sparse
     *     tensor, a map that contains itself, an object of another type), before anything is written
     * @throws java.nio.file.NoSuchFileException naming {@code path} when its folder does not exist
     */
    public static void save(Object value, Path path) throws IOException {
        String name = path.getFileName().toString();
        String archive = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
        PickleWriter writer = new PickleWriter();
        byte[] pkl = writer.pickle(value);
        Path dir = path.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, "the folder " + dir + " does not exist");
        }
        Path tmp = dir.resolve(".radam4j-" + TorchArchiveWriter.serializationId().substring(0, 16) + ".pt.tmp");
        try {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp,
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE), 1 << 16)) {
                TorchArchiveWriter.write(out, archive.isEmpty() ? "archive" : archive, pkl, writer.storages());
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The bytes {@link #save} writes, with {@code archive} as the zip's top folder (for small values). */
    public static byte[] toBytes(Object value, String archive) throws IOException {
        PickleWriter writer = new PickleWriter();
        byte[] pkl = writer.pickle(value);
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        TorchArchiveWriter.write(buf, archive, pkl, writer.storages());
        return buf.toByteArray();
    }

    /** Reads a checkpoint from a stream (spooled to a temporary file, so memory stays bounded). */
    public static Object load(InputStream in) throws IOException {
        Path tmp = Files.createTempFile("radam4j-", ".pt");
        try {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return load(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads a checkpoint held in memory, as {@link #toBytes} writes it. */
    public static Object load(byte[] bytes) throws IOException {
        return load(new java.io.ByteArrayInputStream(bytes));
    }

    /**
     * Reads a checkpoint written by {@code torch.save} or {@link #save}.
     *
     * @throws TorchFileFormatException when the file is not a PyTorch zip checkpoint radam4j can read safely,
     *     with what is wrong with it
     */
    public static Object load(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new java.io.FileNotFoundException(path + ": no such file");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw new TorchFileFormatException(path + " is not a PyTorch checkpoint: it is not a zip archive (" + e.getMessage()
                    + "); files from torch.save before PyTorch 1.6 (the legacy format) are not supported");
        }
        try (zip; PointerScope scope = new PointerScope()) {
            Object value = read(zip, path.toString(), Files.size(path));
            keepTensors(value);
            return value;
        } catch (TorchFileFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new TorchFileFormatException(path + " is a damaged zip archive: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        } catch (RuntimeException e) {
            throw new TorchFileFormatException(path + " could not be read: " + e.getMessage(), e);
        }
    }

    private static Object read(ZipFile zip, String where, long fileSize) throws IOException {
        RecordBudget budget = new RecordBudget(fileSize, where);
        String prefix = null;
        Map<String, ZipEntry> entries = new HashMap<>();
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
            ZipEntry z = e.nextElement();
            if (entries.put(z.getName(), z) != null) {
                throw new TorchFileFormatException(where + ": the archive lists " + z.getName() + " twice, and which copy "
                        + "is meant cannot be told (torch.save writes each record once)");
            }
            if (z.getMethod() != ZipEntry.STORED) {
                throw new TorchFileFormatException(where + ": record " + z.getName() + " is compressed; torch.save stores "
                        + "records uncompressed, and radam4j refuses compressed ones, whose size once inflated the file "
                        + "does not bound");
            }
            if (z.getName().endsWith("/data.pkl") && z.getName().indexOf('/') == z.getName().length() - "/data.pkl".length()) {
                prefix = z.getName().substring(0, z.getName().length() - "data.pkl".length());
            }
        }
        if (prefix == null) {
            throw new TorchFileFormatException(where + " is not a PyTorch checkpoint: the zip has no <archive>/data.pkl");
        }
        ZipEntry order = entries.get(prefix + "byteorder");
        if (order != null && !new String(record(zip, order, where, budget), StandardCharsets.US_ASCII).equals("little")) {
            throw new TorchFileFormatException(where + " was written on a big-endian machine, which radam4j does not read");
        }
        byte[] pkl = record(zip, entries.get(prefix + "data.pkl"), where, budget);
        final String p = prefix;
        Map<String, Tensor> loaded = new HashMap<>();
        PickleReader reader = new PickleReader(pkl, pid -> storage(zip, entries, p, pid, loaded, where, budget), TorchFiles::rebuild);
        return reader.read();
    }

    private static Tensor storage(ZipFile zip, Map<String, ZipEntry> entries, String prefix, PyTuple pid,
            Map<String, Tensor> loaded, String where, RecordBudget budget) throws TorchFileFormatException {
        if (pid.size() != 5 || !"storage".equals(pid.get(0)) || !(pid.get(1) instanceof PickleReader.Global g)
                || !(pid.get(2) instanceof String key) || !(pid.get(3) instanceof String)
                || !(pid.get(4) instanceof Integer || pid.get(4) instanceof Long)) {
            throw new TorchFileFormatException(where + ": a persistent id is not ('storage', type, key, location, numel): " + pid);
        }
        ScalarType type = StorageTypes.of(g.name());
        if (type == null || !g.module().equals("torch")) {
            throw new TorchFileFormatException(where + ": unknown storage type " + g.module() + "." + g.name());
        }
        long numel = ((Number) pid.get(4)).longValue();
        Tensor cached = loaded.get(key);
        if (cached != null) {
            return cached;
        }
        ZipEntry e = entries.get(prefix + "data/" + key);
        if (e == null) {
            throw new TorchFileFormatException(where + ": the storage data/" + key + " is missing from the archive");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, (long) TensorBytes.elementSize(type));
        } catch (ArithmeticException ex) {
            throw new TorchFileFormatException(where + ": storage " + key + " claims " + numel + " elements");
        }
        if (numel < 0 || e.getSize() != expected) {
            throw new TorchFileFormatException(where + ": storage " + key + " holds " + e.getSize() + " bytes, but "
                    + numel + " " + Dtypes.name(type) + " elements need " + expected);
        }
        budget.take(e);
        Tensor t = TensorBytes.allocate(type, numel);
        try {
            readInto(zip, e, t, expected, where);
        } catch (IOException ex) {
            throw new TorchFileFormatException(where + ": the storage data/" + key + " cannot be read: " + ex.getMessage(), ex);
        }
        loaded.put(key, t);
        return t;
    }

    /** Streams a record into a tensor's memory in chunks, checking its length and CRC-32. */
    private static void readInto(ZipFile zip, ZipEntry e, Tensor t, long n, String where) throws IOException {
        byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(n, 1))];
        CRC32 crc = new CRC32();
        long done = 0;
        try (InputStream in = zip.getInputStream(e); BytePointer dst = new BytePointer(t.data_ptr())) {
            dst.capacity(n).limit(n);
            int r;
            while (done < n && (r = in.read(chunk, 0, (int) Math.min(chunk.length, n - done))) > 0) {
                dst.position(done).put(chunk, 0, r);
                crc.update(chunk, 0, r);
                done += r;
            }
            if (done != n || in.read() != -1) {
                throw new TorchFileFormatException(where + ": record " + e.getName() + " is truncated");
            }
        }
        if (e.getCrc() != -1 && crc.getValue() != e.getCrc()) {
            throw new TorchFileFormatException(where + ": record " + e.getName() + " is corrupted (its CRC-32 does not match)");
        }
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])}, bounds-checked. */
    private static Object rebuild(PyTuple a) throws TorchFileFormatException {
        if (a.size() < 6 || a.size() > 7 || !(a.get(0) instanceof Tensor storage) || !(a.get(2) instanceof PyTuple size)
                || !(a.get(3) instanceof PyTuple stride) || !(a.get(4) instanceof Boolean requiresGrad)) {
            throw new TorchFileFormatException("not a valid PyTorch pickle: _rebuild_tensor_v2 with unexpected arguments");
        }
        long offset = integer(a.get(1), "storage offset");
        if (size.size() != stride.size() || size.size() > 64) {
            throw new TorchFileFormatException("not a valid PyTorch pickle: a tensor's size and stride differ in length");
        }
        long[] sz = new long[size.size()];
        long[] st = new long[size.size()];
        long last = offset;
        boolean empty = false;
        for (int i = 0; i < sz.length; i++) {
            sz[i] = integer(size.get(i), "size");
            st[i] = integer(stride.get(i), "stride");
            if (sz[i] < 0 || st[i] < 0) {
                throw new TorchFileFormatException("not a valid PyTorch pickle: a negative size or stride");
            }
            empty |= sz[i] == 0;
            if (sz[i] > 0) {
                try {
                    last = Math.addExact(last, Math.multiplyExact(sz[i] - 1, st[i]));
                } catch (ArithmeticException e) {
                    throw new TorchFileFormatException("not a valid PyTorch pickle: a tensor's extent overflows");
                }
            }
        }
        long numel = storage.numel();
        if (offset < 0 || (!empty && last >= numel)) {
            throw new TorchFileFormatException("not a valid PyTorch pickle: a tensor of size " + Arrays.toString(sz)
                    + " and stride " + Arrays.toString(st) + " at offset " + offset + " reaches past its storage of "
                    + numel + " elements");
        }
        Tensor t;
        try (org.bytedeco.pytorch.LongOptional off = new org.bytedeco.pytorch.LongOptional(offset)) {
            t = storage.as_strided(sz, st, off);
        }
        if (requiresGrad) {
            t.requires_grad_(true);
        }
        return t;
    }

    private static long integer(Object o, String what) throws TorchFileFormatException {
        if (o instanceof Integer || o instanceof Long) {
            return ((Number) o).longValue();
        }
        throw new TorchFileFormatException("not a valid PyTorch pickle: a tensor's " + what + " is not an integer");
    }

    /** A small record (data.pkl, byteorder) read whole: exactly its declared size, CRC-checked. */
    private static byte[] record(ZipFile zip, ZipEntry e, String where, RecordBudget budget) throws IOException {
        budget.take(e);
        if (e.getSize() > MAX_RECORD) {
            throw new TorchFileFormatException(where + ": record " + e.getName() + " is larger than 2 GB");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) e.getSize());
            if (b.length != e.getSize() || in.read() != -1) {
                throw new TorchFileFormatException(where + ": record " + e.getName() + " does not hold its declared "
                        + e.getSize() + " bytes");
            }
            CRC32 crc = new CRC32();
            crc.update(b);
            if (e.getCrc() != -1 && crc.getValue() != e.getCrc()) {
                throw new TorchFileFormatException(where + ": record " + e.getName() + " is corrupted (its CRC-32 does not match)");
            }
            return b;
        }
    }

    /**
     * The bytes a load may read from records: no more than the file holds. Stored records lie side by side in the
     * file, so a file that lists one record under several names, or claims more than it holds, is refused
     * before anything is allocated for it.
     */
    private static final class RecordBudget {
        private final String where;
        private long left;

        RecordBudget(long fileSize, String where) {
            this.left = fileSize;
            this.where = where;
        }

        void take(ZipEntry e) throws TorchFileFormatException {
            long n = e.getSize();
            if (n < 0 || n > left) {
                throw new TorchFileFormatException(where + ": record " + e.getName() + " claims " + n + " bytes, more than "
                        + "the file holds besides the records read before it (a record listed under several names, or a "
                        + "damaged size)");
            }
            left -= n;
        }
    }

    /**
     * Keeps every tensor a loaded value holds (in dict values and keys, lists, tuples and sets, however deep) past
     * the reading scope's close, so the caller owns them; each in constant time, without recursion.
     */
    private static void keepTensors(Object value) {
        java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Object> todo = new java.util.ArrayDeque<>();
        todo.push(value);
        while (!todo.isEmpty()) {
            Object v = todo.pop();
            if (v == null || !seen.add(v)) {
                continue;
            }
            if (v instanceof Tensor t) {
                t.retainReference();
            } else if (v instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    pushNonNull(todo, e.getKey());
                    pushNonNull(todo, e.getValue());
                }
            } else if (v instanceof java.util.Collection<?> c) {
                for (Object x : c) {
                    pushNonNull(todo, x);
                }
            }
        }
    }

    private static void pushNonNull(java.util.ArrayDeque<Object> todo, Object v) {
        if (v != null) {
            todo.push(v);
        }
    }
}
