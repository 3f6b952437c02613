package org.radam4j.dist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.LoggerOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.internal.Handles;
import org.radam4j.internal.JitLists;

/**
 * PyTorch's {@code torch.nn.parallel.DistributedDataParallel} for a presets {@link Module}, a TorchScript
 * {@link JitModule}, or a list of params and buffers: each rank computes the gradient of its share of the batch,
 * and {@code backward()} leaves every param's gradient equal to the mean over the ranks.
 *
 * <p>It drives c10d's own {@code Reducer}, the C++ engine under Python's DDP, as Python's DDP does:
 * <ul>
 *   <li>when wrapped: the params' shapes checked across the ranks, then params and buffers broadcast from rank 0
 *       in coalesced buckets of 250 MiB;</li>
 *   <li>gradients in buckets (first iteration: one bucket; from the second: the first bucket 1 MiB, the others
 *       {@link Options#bucketCapMb} MiB, in the order the gradients became ready), each bucket's all-reduce
 *       started, asynchronously, by an autograd hook as soon as its last gradient is accumulated during
 *       {@code backward()}, and all waited for at the end of {@code backward()} (so before {@code step()});
 *       each gradient is multiplied by 1/world size as it is copied into its bucket, then the buckets are
 *       summed;</li>
 *   <li>{@link #forward}: before the module runs, the buffers (BatchNorm's running statistics) broadcast from
 *       rank 0 when {@link Options#broadcastBuffers}; after it, the reducer is told which outputs the backward
 *       pass starts from, so that with {@link Options#findUnusedParameters} the params the graph does not reach
 *       are marked ready (their gradients stay as they were on every rank that did not use them);</li>
 *   <li>{@link #noSync}: Python's {@code no_sync()}, gradients accumulate locally, the next synced backward
 *       averages the sum.</li>
 * </ul>
 *
 * <p>Where Java differs: Python's DDP is a module whose {@code __call__} does the forward steps; here the forward
 * is a lambda, {@code ddp.forward(() -> net.forward(x))}. Errors of the reducer and of the collectives (a rank
 * that died, a timeout, a param without a gradient when {@code findUnusedParameters} is off) arrive as
 * {@link IllegalStateException}s naming this rank when the backward pass runs through {@link #backward}, as
 * libtorch's {@code RuntimeException} when the application calls {@code loss.backward()} itself.
 *
 * <p>Uneven shares: like Python's DDP, the gradients are averaged over the ranks, which is the whole batch's mean
 * gradient only when every rank has as many samples. With a loss that is the mean over the rank's own samples,
 * multiply it by {@code worldSize * localSamples / batchSamples} to get the whole batch's mean for any split.
 * Python's {@code join()} (ranks that run out of data shadowing the others' collectives) is not provided.
 */
public final class DistributedDataParallel implements AutoCloseable {

    /** DDP's default for the buffer broadcasts: 250 MiB per coalesced bucket. */
    static final long BROADCAST_BUCKET_BYTES = 250L << 20;
    /** {@code dist._DEFAULT_FIRST_BUCKET_BYTES}: 1 MiB. */
    static final long FIRST_BUCKET_BYTES = 1L << 20;

    /** DDP's constructor arguments that apply here, each with Python's default. */
    public static final class Options {
        private double bucketCapMb = 25;
        private boolean findUnusedParameters;
        private boolean broadcastBuffers = true;
        private boolean gradientAsBucketView;

        /** {@code bucket_cap_mb}: 25 MiB. */
        public Options bucketCapMb(double mb) {
            if (!(mb > 0) || Double.isInfinite(mb)) {
                throw new IllegalArgumentException("bucket_cap_mb must be positive, but got " + mb);
            }
            this.bucketCapMb = mb;
            return this;
        }

        /** {@code find_unused_parameters}: false. */
        public Options findUnusedParameters(boolean on) {
            this.findUnusedParameters = on;
            return this;
        }

        /** {@code broadcast_buffers}: true. */
        public Options broadcastBuffers(boolean on) {
            this.broadcastBuffers = on;
            return this;
        }

        /** {@code gradient_as_bucket_view}: false (when true, the gradients become views of the buckets). */
        public Options gradientAsBucketView(boolean on) {
            this.gradientAsBucketView = on;
            return this;
        }

        long bucketBytes() {
            return (long) (bucketCapMb * 1024 * 1024);
        }
    }

    private final DistGroup group;
    private final Options options;
    private final List<Tensor> params;
    private final List<Tensor> buffers;
    private final TensorVector bufferVector;
    private final Reducer reducer;
    private boolean requireBackwardGradSync = true;
    private boolean requireForwardParamSync = true;
    private boolean closed;

    /** Over a module's params that require a gradient and its buffers. */
    public DistributedDataParallel(DistGroup group, Module module) {
        this(group, module, new Options());
    }

    public DistributedDataParallel(DistGroup group, Module module, Options options) {
        this(group, list(module.parameters()), list(module.buffers()), options);
    }

    /** Over a TorchScript module's params that require a gradient and its buffers. */
    public DistributedDataParallel(DistGroup group, JitModule module) {
        this(group, module, new Options());
    }

    public DistributedDataParallel(DistGroup group, JitModule module, Options options) {
        this(group, JitLists.list(module.parameters()), new ArrayList<>(JitLists.map(module.named_buffers()).values()), options);
    }

    /**
     * Over these params (those that require a gradient, each once) and buffers.
     *
     * @throws IllegalStateException PyTorch's message when no param requires a gradient; when the ranks' params
     *         differ in number or shape; when a collective fails
     */
    public DistributedDataParallel(DistGroup group, List<Tensor> params, List<Tensor> buffers, Options options) {
        this.group = group;
        this.options = options;
        this.params = trainable(params);
        if (this.params.isEmpty()) {
            throw new IllegalStateException("DistributedDataParallel is not needed when a module doesn't have any parameter "
                    + "that requires a gradient.");
        }
        this.buffers = List.copyOf(buffers);
        TensorVector paramVector = Handles.keep(new TensorVector(this.params.toArray(new Tensor[0])));
        this.bufferVector = Handles.keep(new TensorVector(this.buffers.toArray(new Tensor[0])));
        try {
            torch.verify_params_across_processes(group.processGroup(), paramVector, new LoggerOptional());
            List<Tensor> states = new ArrayList<>(this.params);
            states.addAll(this.buffers);
            broadcast(states);
            this.reducer = Handles.keep(new Reducer(paramVector, firstBuckets(paramVector, options), group.processGroup(),
                    new BoolVector(new boolean[this.params.size()]), options.bucketBytes(), options.findUnusedParameters,
                    options.gradientAsBucketView, new SizeTStringMap(), FIRST_BUCKET_BYTES, false, false));
        } catch (RuntimeException e) {
            throw group.failure("DistributedDataParallel setup", e);
        }
        group.addDependent(this);
    }

    private static List<Tensor> list(TensorVector v) {
        List<Tensor> out = new ArrayList<>();
        for (long i = 0; i < v.size(); i++) {
            out.add(v.get(i));
        }
        return out;
    }

    private static List<Tensor> trainable(List<Tensor> params) {
        Set<Long> seen = new HashSet<>();
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : params) {
            if (p.requires_grad() && seen.add(p.unsafeGetTensorImpl().address())) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The buckets of the first iteration, as Python's DDP computes them: without {@code find_unused_parameters},
     * one bucket (the reducer rebuilds them from the order the gradients arrive in); with it, 1 MiB then the cap,
     * over the params in reverse.
     */
    private static SizeTVectorVector firstBuckets(TensorVector params, Options options) {
        long[] limits = options.findUnusedParameters ? new long[] {FIRST_BUCKET_BYTES, options.bucketBytes()} : new long[] {Long.MAX_VALUE};
        SizeTVectorVector buckets = torch.compute_bucket_assignment_by_size(params, new SizeTVector(limits)).get0();
        long n = buckets.size();
        SizeTVectorVector reversed = new SizeTVectorVector(n);
        for (long i = 0; i < n; i++) {
            reversed.put(i, buckets.get(n - 1 - i));
        }
        return reversed;
    }

    private void broadcast(List<Tensor> tensors) {
        if (tensors.isEmpty() || group.size() == 1) {
            return;
        }
        try (NoGradGuard g = new NoGradGuard(); TensorVector v = new TensorVector(tensors.toArray(new Tensor[0]))) {
            torch.broadcast_coalesced(group.processGroup(), v, BROADCAST_BUCKET_BYTES, 0);
        }
    }

    /** The params it averages: the trainable ones, each once, in the module's order. */
    public List<Tensor> parameters() {
        return List.copyOf(params);
    }

    public DistGroup group() {
        return group;
    }

    /**
     * Runs the module's forward (the lambda) with DDP's steps around it; returns what the lambda returns. Tensors
     * in its result (a Tensor, TensorVector, IValue, or a collection, map or array of them) are where the backward
     * pass is taken to start when {@link Options#findUnusedParameters} is on.
     *
     * @throws IllegalStateException naming this rank when the buffer broadcast or the reducer fails
     */
    public <T> T forward(Supplier<T> forward) {
        checkOpen();
        boolean grad = GradMode.is_enabled();
        try {
            if (grad && requireBackwardGradSync) {
                reducer.prepare_for_forward();
            }
            if (grad) {
                reducer.rebuild_buckets();
            }
            if (requireForwardParamSync && options.broadcastBuffers && !buffers.isEmpty()) {
                broadcast(buffers);
            }
        } catch (RuntimeException e) {
            throw group.failure("DistributedDataParallel forward", e);
        }
        T out = forward.get();
        try {
            if (grad && requireBackwardGradSync) {
                requireForwardParamSync = true;
                try (TensorVector outputs = new TensorVector(options.findUnusedParameters ? tensorsIn(out).toArray(new Tensor[0]) : new Tensor[0])) {
                    reducer.prepare_for_backward(outputs);
                }
            } else {
                requireForwardParamSync = false;
            }
        } catch (RuntimeException e) {
            throw group.failure("DistributedDataParallel forward", e);
        }
        return out;
    }

    /**
     * {@code loss.backward()}, with a failure of the reducer or of a collective (a rank that died, a timeout)
     * reported as an {@link IllegalStateException} naming this rank.
     */
    public void backward(Tensor loss) {
        checkOpen();
        try {
            loss.backward();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw group.failure("backward with gradient all-reduce", e);
        }
    }

    /**
     * Python's {@code no_sync()}: until the returned scope is closed, backward passes accumulate gradients
     * locally; the first synced backward after it averages the accumulated gradients.
     */
    public NoSync noSync() {
        checkOpen();
        NoSync scope = new NoSync(requireBackwardGradSync);
        requireBackwardGradSync = false;
        return scope;
    }

    /** The scope {@link #noSync()} returns. */
    public final class NoSync implements AutoCloseable {
        private final boolean previous;
        private boolean open = true;

        private NoSync(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                requireBackwardGradSync = previous;
            }
        }
    }

    private static List<Tensor> tensorsIn(Object out) {
        List<Tensor> found = new ArrayList<>();
        List<Object> todo = new ArrayList<>();
        todo.add(out);
        while (!todo.isEmpty()) {
            Object o = todo.remove(todo.size() - 1);
            if (o instanceof Tensor t) {
                found.add(t);
            } else if (o instanceof TensorVector v) {
                found.addAll(list(v));
            } else if (o instanceof IValue v) {
                if (v.isTensor()) {
                    found.add(v.toTensor());
                } else if (v.isTensorList()) {
                    found.addAll(list(v.toTensorVector()));
                } else if (v.isTuple()) {
                    var elements = v.toTupleRef().elements();
                    for (long i = 0; i < elements.size(); i++) {
                        todo.add(elements.get(i));
                    }
                } else if (v.isList()) {
                    var elements = v.toList();
                    for (long i = 0; i < elements.size(); i++) {
                        todo.add(elements.get(i));
                    }
                }
            } else if (o instanceof Collection<?> c) {
                todo.addAll(c);
            } else if (o instanceof Map<?, ?> m) {
                todo.addAll(m.values());
            } else if (o instanceof Object[] a) {
                todo.addAll(List.of(a));
            }
        }
        return found;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this DistributedDataParallel is closed");
        }
    }

    /**
     * Removes the autograd hooks from the params and frees the reducer (the process group stays open; closing the
     * group closes this first).
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            group.removeDependent(this);
            reducer.close();
            bufferVector.close();
        }
    }
}
