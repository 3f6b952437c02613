package org.radam4j.io;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.Dtypes;
import org.radam4j.PyTuple;

/**
 * Writes Java values as a pickle (protocol 2) the way PyTorch's {@code torch.save} does, with the only globals it
 * uses: {@code torch._utils _rebuild_tensor_v2}, {@code torch <Dtype>Storage} and {@code collections OrderedDict}.
 * Tensors become persistent storage references whose bytes the caller writes as {@code data/<key>}.
 */
final class PickleWriter {

    /**
     * A storage to be written as its own record: {@code data}, a 1-D contiguous CPU tensor over all of it (the
     * tensors' own storage on the CPU, a copy for other devices), read in chunks when the file is written.
     */
    record Storage(String key, Tensor data) {
        long nbytes() {
            return data.nbytes();
        }
    }

    /** Storages already written, by data address and dtype: tensors that share one are written sharing it. */
    private final Map<String, String> storageKeys = new java.util.HashMap<>();
    /** The containers on the path from the root to the value being written, to refuse a value that contains itself. */
    private final java.util.Set<Object> path = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    private static final int BATCH = 1000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final List<Storage> storages = new ArrayList<>();

    byte[] pickle(Object root) {
        out.write(0x80);
        out.write(2);
        save(root, "the value");
        out.write('.');
        return out.toByteArray();
    }

    List<Storage> storages() {
        return storages;
    }

    private void save(Object v, String where) {
        if (v instanceof java.util.Collection<?> || v instanceof Map<?, ?>) {
            if (!path.add(v)) {
                throw new IllegalArgumentException("cannot write " + where + ": it contains itself (a map, list, set or "
                        + "tuple that holds itself, directly or not)");
            }
            if (path.size() > Nesting.maxDepth()) {
                path.remove(v);
                throw new IllegalArgumentException("cannot write " + where + ": its containers nest more than "
                        + Nesting.maxDepth() + " deep, more than a load accepts (-Dradam4j.load.maxDepth)");
            }
            try {
                saveValue(v, where);
            } finally {
                path.remove(v);
            }
            return;
        }
        saveValue(v, where);
    }

    private void saveValue(Object v, String where) {
        if (v == null) {
            out.write('N');
        } else if (v instanceof Boolean b) {
            out.write(b ? 0x88 : 0x89);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            saveLong(((Number) v).longValue());
        } else if (v instanceof BigInteger big) {
            saveBig(big);
        } else if (v instanceof Double || v instanceof Float) {
            out.write('G');
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(((Number) v).doubleValue()).array();
            out.writeBytes(b);
        } else if (v instanceof String s) {
            saveString(s);
        } else if (v instanceof Parameter p) {
            global("torch._utils", "_rebuild_parameter");
            saveTensor(p, where);
            out.write(p.requires_grad() ? 0x88 : 0x89);
            global("collections", "OrderedDict");
            out.write(')');
            out.write('R');
            out.write(0x87);
            out.write('R');
        } else if (v instanceof Tensor t) {
            saveTensor(t, where);
        } else if (v instanceof TorchSize size) {
            global("torch", "Size");
            saveTuple(new ArrayList<>(size), where);
            out.write(0x85);
            out.write('R');
        } else if (v instanceof PyTuple tuple) {
            saveTuple(tuple, where);
        } else if (v instanceof byte[] b) {
            global("_codecs", "encode");
            saveString(new String(b, StandardCharsets.ISO_8859_1));
            saveString("latin1");
            out.write(0x86);
            out.write('R');
        } else if (v instanceof java.util.Set<?> set) {
            global("__builtin__", "set");
            out.write(']');
            saveBatched(set.iterator(), set.size(), true, where);
            out.write(0x85);
            out.write('R');
        } else if (v instanceof PyDtype d) {
            String n = d.name();
            global("torch", n.startsWith("torch.") ? n.substring(6) : n);
        } else if (v instanceof PyDevice d) {
            global("torch", "device");
            saveString(d.name());
            out.write(0x85);
            out.write('R');
        } else if (v instanceof org.radam4j.PyCounter counter) {
            global("collections", "Counter");
            save(new java.util.LinkedHashMap<>(counter), where);
            out.write(0x85);
            out.write('R');
        } else if (v instanceof List<?> list) {
            out.write(']');
            saveBatched(list.iterator(), list.size(), true, where);
        } else if (v instanceof Map<?, ?> map) {
            OrderedDict ordered = v instanceof OrderedDict o ? o : null;
            if (ordered != null) {
                global("collections", "OrderedDict");
                out.write(')');
                out.write('R');
            } else {
                out.write('}');
            }
            List<Object> flat = new ArrayList<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                flat.add(e.getKey());
                flat.add(e.getValue());
            }
            saveBatched(flat.iterator(), map.size(), false, where);
            if (ordered != null && !ordered.attributes().isEmpty()) {
                save(new java.util.LinkedHashMap<>(ordered.attributes()), where);
                out.write('b');
            }
        } else {
            throw new IllegalArgumentException("cannot write " + where + ": a " + v.getClass().getName()
                    + " (tensors, numbers, booleans, strings, null, lists, PyTuples and maps only)");
        }
    }

    /** Python's {@code _batch_appends} / {@code _batch_setitems}: one item alone, else MARK ... APPENDS/SETITEMS. */
    private void saveBatched(Iterator<?> it, int count, boolean list, String where) {
        int done = 0;
        while (done < count) {
            int n = Math.min(BATCH, count - done);
            if (n == 1) {
                save(it.next(), where);
                if (!list) {
                    save(it.next(), where);
                }
                out.write(list ? 'a' : 's');
            } else {
                out.write('(');
                for (int i = 0; i < n; i++) {
                    save(it.next(), where);
                    if (!list) {
                        save(it.next(), where);
                    }
                }
                out.write(list ? 'e' : 'u');
            }
            done += n;
        }
    }

    private void saveTuple(List<?> items, String where) {
        int n = items.size();
        if (n == 0) {
            out.write(')');
            return;
        }
        if (n > 3) {
            out.write('(');
        }
        for (Object o : items) {
            save(o, where);
        }
        out.write(switch (n) {
            case 1 -> 0x85;
            case 2 -> 0x86;
            case 3 -> 0x87;
            default -> 't';
        });
    }

    private void saveLong(long x) {
        if (x >= 0 && x <= 0xff) {
            out.write('K');
            out.write((int) x);
        } else if (x >= 0 && x <= 0xffff) {
            out.write('M');
            out.write((int) (x & 0xff));
            out.write((int) (x >> 8));
        } else if (x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE) {
            out.write('J');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) x).array());
        } else {
            saveBig(BigInteger.valueOf(x));
        }
    }

    private void saveBig(BigInteger x) {
        byte[] be = x.toByteArray();
        if (be.length > 255) {
            throw new IllegalArgumentException("integer too large to write: " + x);
        }
        out.write(0x8a);
        out.write(be.length);
        for (int i = be.length - 1; i >= 0; i--) {
            out.write(be[i]);
        }
    }

    private void saveString(String s) {
        byte[] b = Utf8.encode(s);
        out.write('X');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        out.writeBytes(b);
    }

    private void global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * {@code _rebuild_tensor_v2((storage pid), offset, size, stride, requires_grad, OrderedDict())}. A CPU tensor
     * refers to its own storage, written once however many tensors share it (views, tied weights keep sharing
     * it in the file, as with {@code torch.save}); a tensor on another device is copied to the CPU.
     */
    private void saveTensor(Tensor t, String where) {
        if (t.isNull() || !t.defined()) {
            throw new IllegalArgumentException("cannot write " + where + ": an undefined tensor");
        }
        if (t.is_sparse()) {
            throw new IllegalArgumentException("cannot write " + where + ": a sparse tensor");
        }
        if (t.is_meta()) {
            throw new IllegalArgumentException("cannot write " + where + ": a meta tensor, which has no data");
        }
        String storageType = StorageTypes.name(Dtypes.of(t));
        Tensor src = t.is_cpu() ? t : t.detach().cpu().contiguous();
        long item = src.element_size();
        long storageNumel = src.numel() == 0 && src.storage().nbytes() == 0 ? 0 : src.storage().nbytes() / item;
        long offset = src.storage_offset();
        String identity = (storageNumel == 0 ? "empty" + storages.size() : Long.toString(src.storage().data().address()))
                + "/" + storageType;
        String key = storageKeys.get(identity);
        if (key == null) {
            key = Integer.toString(storages.size());
            storageKeys.put(identity, key);
            Tensor whole;
            try (org.bytedeco.pytorch.LongOptional zero = new org.bytedeco.pytorch.LongOptional(0)) {
                whole = src.detach().as_strided(new long[] {storageNumel}, new long[] {1}, zero);
            }
            storages.add(new Storage(key, whole));
        }
        long[] size = src.sizes().vec().get();
        long[] stride = src.strides().vec().get();
        List<Object> sizes = new ArrayList<>();
        List<Object> strides = new ArrayList<>();
        for (int i = 0; i < size.length; i++) {
            sizes.add(size[i]);
            strides.add(stride[i]);
        }
        global("torch._utils", "_rebuild_tensor_v2");
        out.write('(');
        out.write('(');
        saveString("storage");
        global("torch", storageType);
        saveString(key);
        saveString("cpu");
        saveLong(storageNumel);
        out.write('t');
        out.write('Q');
        saveLong(offset);
        saveTuple(sizes, where);
        saveTuple(strides, where);
        out.write(t.requires_grad() && !(t instanceof Parameter) ? 0x88 : 0x89);
        global("collections", "OrderedDict");
        out.write(')');
        out.write('R');
        out.write('t');
        out.write('R');
    }
}
