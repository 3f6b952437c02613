package org.radam4j.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.BackendOptional;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroup;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.internal.Handles;
import org.radam4j.internal.LibtorchErrors;

/**
 * A c10d process group over Gloo (CPU tensors; NCCL for CUDA tensors on request), set up as {@code torch.distributed.init_process_group("gloo")}
 * with {@code env://} does: rank 0 hosts a {@code TCPStore} at {@code MASTER_ADDR:MASTER_PORT}, every rank joins
 * it, and collectives time out after the configured timeout. A failed collective (a rank that died, a timeout)
 * arrives as an {@link IllegalStateException} naming this rank and, where it can tell, the rank that stopped: with
 * more than one rank, each rank beats a counter in the store every 100 ms from a daemon thread (its own store
 * connection) and publishes how many collectives it has started. The same backend is also a c10d
 * {@code ProcessGroup}, which {@link DistributedDataParallel}'s reducer and the coalesced broadcasts take;
 * {@link #close()} frees everything in dependency order.
 */
public final class DistGroup implements AutoCloseable {

    static {
        Libtorch.load();
    }

    private final int rank;
    private final int size;
    private final TCPStore store;
    private final org.bytedeco.pytorch.Backend pg;
    /** The backend as c10d's {@code ProcessGroup} (what the reducer and the coalesced collectives take). */
    private final ProcessGroup processGroup;
    private final Duration timeout;
    private static final long COALESCED_BUCKET_BYTES = 25L << 20;

    private final Liveness liveness;
    /** What holds native references to the process group (DDP's reducers): closed before the group. */
    private final List<AutoCloseable> dependents = new ArrayList<>();
    private boolean closed;
    /** NCCL (collectives on CUDA tensors) rather than Gloo (CPU tensors). */
    private final boolean cuda;

    private DistGroup(int rank, int size, TCPStore store, org.bytedeco.pytorch.Backend pg, boolean cuda, Duration timeout,
            String addr, int port) {
        this.rank = rank;
        this.size = size;
        this.store = store;
        this.pg = pg;
        this.timeout = timeout;
        this.cuda = cuda;
        ProcessGroup.BackendType type = cuda ? ProcessGroup.BackendType.NCCL : ProcessGroup.BackendType.GLOO;
        this.processGroup = Handles.keep(new ProcessGroup(rank, size));
        try (BackendOptional backend = new BackendOptional(pg)) {
            processGroup.setBackend(cuda ? torch.DeviceType.CUDA : torch.DeviceType.CPU, type, backend);
        }
        processGroup.setDefaultBackend(type);
        this.liveness = new Liveness(addr, port, rank, size, this::collectivesStarted);
    }

    /**
     * The group described by {@code RANK}, {@code WORLD_SIZE}, {@code MASTER_ADDR} and {@code MASTER_PORT}, as
     * torchrun (and {@code scripts/radam4j launch}) sets them.
     *
     * @throws IllegalArgumentException when a variable is missing or malformed
     */
    public static DistGroup fromEnv(Duration timeout) {
        return fromEnv(timeout, false);
    }

    /**
     * As {@link #fromEnv(Duration)}, over NCCL for CUDA params when {@code cuda} (as PyTorch picks NCCL for
     * them), else Gloo.
     *
     * @throws IllegalStateException for NCCL without the presets' CUDA build
     */
    public static DistGroup fromEnv(Duration timeout, boolean cuda) {
        int rank = intEnv("RANK");
        int size = intEnv("WORLD_SIZE");
        String addr = System.getenv().getOrDefault("MASTER_ADDR", "127.0.0.1");
        int port = intEnv("MASTER_PORT");
        return create(addr, port, rank, size, timeout, cuda);
    }

    private static int intEnv(String name) {
        String v = System.getenv(name);
        if (v == null) {
            throw new IllegalArgumentException("environment variable " + name + " expected, but not set (env:// needs RANK, "
                    + "WORLD_SIZE, MASTER_ADDR and MASTER_PORT)");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("environment variable " + name + " must be an integer, but is '" + v + "'");
        }
    }

    /**
     * Joins (rank 0: hosts) the store at {@code addr:port} and builds the Gloo process group.
     *
     * @throws IllegalArgumentException for a rank outside {@code [0, size)}
     * @throws IllegalStateException when the store or the group cannot be set up within the timeout
     */
    public static DistGroup create(String addr, int port, int rank, int size, Duration timeout) {
        return create(addr, port, rank, size, timeout, false);
    }

    /** As {@link #create(String, int, int, int, Duration)}, over NCCL when {@code cuda}. */
    public static DistGroup create(String addr, int port, int rank, int size, Duration timeout, boolean cuda) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " is not in a group of " + size);
        }
        try {
            TCPStoreOptions so = new TCPStoreOptions();
            so.port((short) port);
            so.isServer(rank == 0);
            so.numWorkers(new SizeTPointer(1).put(size));
            so.waitWorkers(false);
            so.timeout(new Milliseconds(timeout.toMillis()));
            TCPStore store = new TCPStore(addr, so);
            if (cuda) {
                return new DistGroup(rank, size, store, nccl(store, rank, size, timeout), true, timeout, addr, port);
            }
            ProcessGroupGloo.Options opts = ProcessGroupGloo.Options.create(new Milliseconds(timeout.toMillis()));
            opts.devices(new GlooDeviceVector(ProcessGroupGloo.createDeviceForHostname(addr)));
            ProcessGroupGloo pg = new ProcessGroupGloo(store, rank, size, opts);
            return new DistGroup(rank, size, store, pg, false, timeout, addr, port);
        } catch (RuntimeException e) {
            throw new IllegalStateException("rank " + rank + ": cannot join the process group at " + addr + ":" + port + ": "
                    + LibtorchErrors.message(e));
        }
    }

    private static org.bytedeco.pytorch.Backend nccl(TCPStore store, int rank, int size, Duration timeout) {
        try {
            org.bytedeco.pytorch.nccl.ProcessGroupNCCL pg = new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(store, rank, size,
                    org.bytedeco.pytorch.nccl.ProcessGroupNCCL.Options.create());
            pg.setTimeout(new Milliseconds(timeout.toMillis()));
            return pg;
        } catch (LinkageError e) {
            throw new IllegalStateException("NCCL needs the presets' CUDA build (org.bytedeco:pytorch with the "
                    + "linux-x86_64-gpu classifier and the CUDA natives); this JVM has " + e.getMessage());
        }
    }

    public int rank() {
        return rank;
    }

    public int size() {
        return size;
    }

    public Duration timeout() {
        return timeout;
    }

    /**
     * How many collectives this rank has started on the group (c10d's sequence number, Python's
     * {@code _get_sequence_number_for_group}): a collective counts when it is launched, before it completes.
     */
    public long collectivesStarted() {
        return processGroup.getSequenceNumberForGroup();
    }

    ProcessGroup processGroup() {
        return processGroup;
    }

    /**
     * {@code e}, a failure of a collective or of the reducer, as this rank reports it: an
     * {@link IllegalStateException} naming this rank and {@code what}, without C++ frames.
     */
    IllegalStateException failure(String what, RuntimeException e) {
        if (e instanceof IllegalStateException s && s.getMessage() != null && s.getMessage().startsWith("rank " + rank + ":")) {
            return s;
        }
        return failure(what + " failed: " + LibtorchErrors.message(e));
    }

    /** "rank R: {@code what}", then which ranks stopped responding, if any did. */
    private IllegalStateException failure(String what) {
        String suspects = liveness.suspects();
        return new IllegalStateException("rank " + rank + ": " + what + (suspects.isEmpty() ? "" : "; " + suspects));
    }

    private void await(Work w, String what) {
        try (w) {
            if (!w._wait(new Milliseconds(timeout.toMillis()))) {
                throw failure(what + " timed out after " + timeout.toMillis() + " ms");
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure(what, e);
        }
    }

    /** Sums each tensor in place over the ranks (contiguous tensors on the backend's device: CPU for Gloo, CUDA for NCCL). */
    public void allreduceSum(List<Tensor> tensors) {
        try (TensorVector v = new TensorVector(tensors.toArray(new Tensor[0])); AllreduceOptions o = new AllreduceOptions()) {
            await(pg.allreduce(v, o), "allreduce");
        } catch (IllegalStateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure("allreduce", e);
        }
    }

    /** Overwrites {@code t} on every rank with its value on {@code root} (a contiguous tensor on the backend's device). */
    public void broadcast(Tensor t, int root) {
        try (TensorVector v = new TensorVector(t); BroadcastOptions o = new BroadcastOptions()) {
            o.rootRank(root);
            await(pg.broadcast(v, o), "broadcast from rank " + root);
        } catch (IllegalStateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure("broadcast", e);
        }
    }

    /**
     * Overwrites each of {@code tensors} with its value on its root: every broadcast is started, then all are
     * waited for (contiguous tensors on the backend's device).
     */
    public void broadcastAll(List<Tensor> tensors, List<Integer> roots) {
        List<Work> works = new ArrayList<>();
        try {
            for (int i = 0; i < tensors.size(); i++) {
                try (TensorVector v = new TensorVector(tensors.get(i)); BroadcastOptions o = new BroadcastOptions()) {
                    o.rootRank(roots.get(i));
                    works.add(pg.broadcast(v, o));
                }
            }
        } catch (RuntimeException e) {
            works.forEach(Work::close);
            throw failure("broadcast", e);
        }
        for (int i = 0; i < works.size(); i++) {
            await(works.get(i), "broadcast from rank " + roots.get(i));
        }
    }

    /** Overwrites {@code tensors} with their values on {@code root}, packed into flat buckets of up to 25 MiB. */
    public void broadcastCoalesced(List<Tensor> tensors, int root) {
        try (TensorVector v = new TensorVector(tensors.toArray(new Tensor[0]))) {
            torch.broadcast_coalesced(processGroup, v, COALESCED_BUCKET_BYTES, root);
        } catch (RuntimeException e) {
            throw failure("broadcast from rank " + root, e);
        }
    }

    /** {@code bytes} of rank {@code root} on every rank ({@code bytes} is ignored elsewhere). */
    public byte[] broadcastBytes(byte[] bytes, int root) {
        Tensor len = torch.zeros(1).to(torch.ScalarType.Long);
        if (rank == root) {
            len.fill_(new org.bytedeco.pytorch.Scalar((long) bytes.length));
        }
        Tensor sentLen = forBackend(len);
        broadcast(sentLen, root);
        int n = Math.toIntExact(sentLen.item_long());
        Tensor buf = org.radam4j.internal.TensorBytes.allocate(torch.ScalarType.Byte, n);
        try (org.bytedeco.javacpp.BytePointer p = new org.bytedeco.javacpp.BytePointer(buf.data_ptr())) {
            p.capacity(n).limit(n);
            if (rank == root && n > 0) {
                p.put(bytes, 0, n);
            }
            Tensor sent = forBackend(buf);
            broadcast(sent, root);
            if (sent != buf) {
                buf.copy_(sent);
            }
            byte[] out = new byte[n];
            if (n > 0) {
                p.get(out);
            }
            return out;
        }
    }

    /** Waits until every rank has called it. */
    public void barrier() {
        allreduceSum(List.of(forBackend(torch.zeros(1))));
    }

    /** {@code cpu} as the backend takes it: itself for Gloo, a copy on the current CUDA device for NCCL. */
    private Tensor forBackend(Tensor cpu) {
        return cuda ? cpu.cuda() : cpu;
    }

    /** {@code d} holds native references to this group's process group: {@link #close()} closes it first. */
    synchronized void addDependent(AutoCloseable d) {
        dependents.add(d);
    }

    synchronized void removeDependent(AutoCloseable d) {
        dependents.remove(d);
    }

    /**
     * Closes the group: first what was built on it and still open ({@link DistributedDataParallel}s), then the
     * heartbeat, the process group, the backend and the store.
     */
    @Override
    public void close() {
        List<AutoCloseable> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(dependents);
        }
        for (AutoCloseable d : open) {
            try {
                d.close();
            } catch (Exception e) {
                // closing the group goes on
            }
        }
        liveness.close();
        processGroup.close();
        pg.close();
        store.close();
    }
}
