package org.radam4j.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

/**
 * Writes the zip archive of {@code torch.save}: {@code data.pkl}, the version and byte-order records, one stored
 * record per storage (aligned on 64 bytes, as PyTorch aligns them, and streamed from the tensor's memory), and
 * the serialization id. {@link TorchFiles#save} and {@link TorchFiles#toBytes} use it.
 */
final class TorchArchiveWriter {

    private TorchArchiveWriter() {
    }

    static void write(OutputStream target, String archive, byte[] pkl, List<PickleWriter.Storage> storages)
            throws IOException {
        CountingStream counting = new CountingStream(target);
        try (ZipOutputStream zip = new ZipOutputStream(counting)) {
            String p = archive + "/";
            stored(zip, counting, p + "data.pkl", pkl);
            stored(zip, counting, p + ".format_version", ascii("1"));
            stored(zip, counting, p + ".storage_alignment", ascii(Integer.toString(TorchFiles.ALIGNMENT)));
            stored(zip, counting, p + "byteorder", ascii("little"));
            for (PickleWriter.Storage s : storages) {
                stored(zip, counting, p + "data/" + s.key(), s.data());
            }
            stored(zip, counting, p + "version", ascii("3\n"));
            stored(zip, counting, p + ".data/serialization_id", ascii(serializationId()));
        }
    }

    private static void stored(ZipOutputStream zip, CountingStream counting, String name, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(data);
        zip.putNextEntry(entry(counting, name, data.length, crc.getValue()));
        zip.write(data);
        zip.closeEntry();
    }

    /** A storage's record, streamed from its memory twice in chunks: once for the CRC-32, once to write it. */
    private static void stored(ZipOutputStream zip, CountingStream counting, String name, Tensor data) throws IOException {
        long n = data.nbytes();
        byte[] chunk = new byte[(int) Math.min(TorchFiles.CHUNK, Math.max(n, 1))];
        CRC32 crc = new CRC32();
        try (BytePointer src = n == 0 ? null : new BytePointer(data.data_ptr())) {
            if (src != null) {
                src.capacity(n).limit(n);
            }
            for (long at = 0; at < n; at += chunk.length) {
                int len = (int) Math.min(chunk.length, n - at);
                src.position(at).get(chunk, 0, len);
                crc.update(chunk, 0, len);
            }
            ZipEntry e = entry(counting, name, n, crc.getValue());
            zip.putNextEntry(e);
            for (long at = 0; at < n; at += chunk.length) {
                int len = (int) Math.min(chunk.length, n - at);
                src.position(at).get(chunk, 0, len);
                zip.write(chunk, 0, len);
            }
            zip.closeEntry();
        }
    }

    /** A stored (uncompressed) entry whose data starts on a 64-byte boundary, as PyTorch aligns its records. */
    private static ZipEntry entry(CountingStream counting, String name, long size, long crc) {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(size);
        e.setCompressedSize(size);
        e.setCrc(crc);
        int nameLen = name.getBytes(StandardCharsets.UTF_8).length;
        long dataStart = counting.count + 30 + nameLen;
        int pad = (int) ((TorchFiles.ALIGNMENT - (dataStart + 4) % TorchFiles.ALIGNMENT) % TorchFiles.ALIGNMENT);
        byte[] extra = new byte[4 + pad];
        extra[0] = 'F';
        extra[1] = 'B';
        extra[2] = (byte) (pad & 0xff);
        extra[3] = (byte) (pad >> 8);
        e.setExtra(extra);
        return e;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static String serializationId() {
        SecureRandom r = new SecureRandom();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            s.append(r.nextInt(10));
        }
        return s.toString();
    }

    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
