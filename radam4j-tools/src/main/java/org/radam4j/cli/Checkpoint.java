package org.radam4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.PyCounter;
import org.radam4j.PyTuple;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.PyRepr;
import org.radam4j.io.OrderedDict;
import org.radam4j.io.Parameter;
import org.radam4j.io.TorchFiles;
import org.radam4j.io.TorchSize;

/**
 * {@code scripts/radam4j checkpoint show FILE}: what an unknown {@code .pt} holds, as a tree of keys with types,
 * tensor dtypes, shapes and sizes (and which tensors share a storage). {@code scripts/radam4j checkpoint copy IN
 * OUT}: loads a file and saves it again with {@code TorchFiles}.
 */
final class Checkpoint {

    private Checkpoint() {
    }

    static int run(List<String> args) throws IOException {
        if (args.size() == 2 && args.get(0).equals("show")) {
            return show(Path.of(args.get(1)));
        }
        if (!args.isEmpty() && args.get(0).equals("bench")) {
            try {
                return CheckpointBench.run(args.subList(1, args.size()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        if (args.size() == 4 && args.get(0).equals("bench-child")) {
            try {
                return CheckpointBench.child(Double.parseDouble(args.get(1)), Path.of(args.get(2)), args.get(3));
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        if (args.size() == 3 && args.get(0).equals("copy")) {
            try (PointerScope scope = new PointerScope()) {
                long t0 = System.nanoTime();
                Object value = TorchFiles.load(Path.of(args.get(1)));
                TorchFiles.save(value, Path.of(args.get(2)));
                System.out.println(String.format(Locale.ROOT, "copied %s (%s) to %s in %.1f s", args.get(1),
                        human(Files.size(Path.of(args.get(1)))), args.get(2), (System.nanoTime() - t0) / 1e9));
                return 0;
            }
        }
        System.err.println("usage: scripts/radam4j checkpoint show FILE | checkpoint copy IN OUT | checkpoint bench [--gb G | --tensors N]");
        return 2;
    }

    static int show(Path file) throws IOException {
        try (PointerScope scope = new PointerScope()) {
            Object value = TorchFiles.load(file);
            Tree tree = new Tree();
            StringBuilder out = new StringBuilder();
            tree.print(value, "", out);
            System.out.println(String.format(Locale.ROOT, "%s: %s on disk, %d tensors in %d storages, %s of tensor data",
                    file, human(Files.size(file)), tree.tensors, tree.storages.size(), human(tree.bytes)));
            System.out.print(out);
            return 0;
        }
    }

    /** The printer, with the storages seen so far (by data address) to show sharing. */
    private static final class Tree {
        final Map<Long, Integer> storages = new HashMap<>();
        /** The containers being printed, from the root down: one met again contains itself. */
        final java.util.Set<Object> path = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int tensors;
        long bytes;

        void print(Object v, String indent, StringBuilder out) {
            path.add(v);
            if (v instanceof Map<?, ?> m && !(v instanceof PyCounter)) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    line(PyRepr.brief(e.getKey(), 80), e.getValue(), indent, out);
                }
            } else if (v instanceof List<?> l) {
                for (int i = 0; i < l.size(); i++) {
                    line("[" + i + "]", l.get(i), indent, out);
                }
            } else {
                out.append(indent).append(describe(v)).append('\n');
            }
            path.remove(v);
        }

        private void line(String key, Object v, String indent, StringBuilder out) {
            if (path.contains(v)) {
                out.append(indent).append(key).append(": the ").append(PyRepr.typeName(v)).append(" above (it contains itself)\n");
                return;
            }
            out.append(indent).append(key).append(": ").append(describe(v)).append('\n');
            if ((v instanceof Map<?, ?> && !(v instanceof PyCounter)) || (v instanceof List<?> && !(v instanceof PyTuple)
                    && !(v instanceof TorchSize))) {
                print(v, indent + "  ", out);
            }
        }

        private String describe(Object v) {
            if (v instanceof Tensor t) {
                tensors++;
                long address = t.numel() == 0 ? -tensors : t.storage().data().address();
                Integer storage = storages.get(address);
                String shared = "";
                if (storage == null) {
                    storage = storages.size();
                    storages.put(address, storage);
                    bytes += t.storage().nbytes();
                } else {
                    shared = ", shares storage " + storage;
                }
                return (t instanceof Parameter ? "parameter " : "tensor ") + Dtypes.name(t) + " " + java.util.Arrays.toString(t.sizes().vec().get()) + " "
                        + human(t.nbytes()) + (t.requires_grad() ? ", requires_grad" : "") + (shared.isEmpty() ? ", storage " + storage : shared);
            }
            if (v instanceof Map<?, ?> m) {
                if (v instanceof PyCounter) {
                    return "Counter " + PyRepr.brief(v, 80);
                }
                String attributes = v instanceof OrderedDict o && !o.attributes().isEmpty()
                        ? ", attributes " + o.attributes().keySet() : "";
                return (v instanceof OrderedDict ? "OrderedDict, " : "dict, ") + m.size() + (m.size() == 1 ? " key" : " keys")
                        + attributes;
            }
            if (v instanceof TorchSize size) {
                return size.toString();
            }
            if (v instanceof PyTuple t) {
                return "tuple " + PyRepr.brief(t, 80);
            }
            if (v instanceof List<?> l) {
                return "list, " + l.size() + (l.size() == 1 ? " item" : " items");
            }
            return PyRepr.typeName(v) + " " + PyRepr.brief(v, 80);
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
