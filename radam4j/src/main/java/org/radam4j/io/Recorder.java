package org.radam4j.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.ParamGroup;
import org.radam4j.ParamState;
import org.radam4j.RAdam;
import org.radam4j.RemovableHandle;
import org.radam4j.internal.NativeLoader;

/**
 * Records a radam4j RAdam run as it happens, through the optimizer's step hooks, in the format
 * {@code scripts/radam4j_record.py} writes ({@code docs/recording-format.md}), so that
 * {@code scripts/radam4j_check.py} can replay it in Python's {@code torch.optim.RAdam}:
 *
 * <pre>{@code
 * try (Recorder rec = new Recorder(opt, Path.of("run.pt"), "my_run")) {
 *     for (...) { opt.zeroGrad(); loss.backward(); opt.step(); }
 * }
 * }</pre>
 *
 * Each step records each group's options and the gradients it uses (or none; with a closure, as the closure
 * left them), and after the step the params and their state; the file is written by {@link #close()}. The
 * recorded tensors are copies.
 */
public final class Recorder implements AutoCloseable {

    private final RAdam optimizer;
    private final Path path;
    private final List<Tensor> params = new ArrayList<>();
    private final Map<String, Object> recording = new LinkedHashMap<>();
    private final List<Object> steps = new ArrayList<>();
    private final List<RemovableHandle> handles = new ArrayList<>();
    private final List<Tensor> copies = new ArrayList<>();
    private Map<String, Object> pending;
    private boolean closed;

    public Recorder(RAdam optimizer, Path path, String name) {
        this.optimizer = optimizer;
        this.path = path;
        List<Object> groups = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) {
            List<Object> idx = new ArrayList<>();
            for (Tensor p : g.params()) {
                idx.add((long) params.size());
                params.add(p);
            }
            Map<String, Object> group = new LinkedHashMap<>();
            group.put("params", idx);
            group.put("options", options(g));
            groups.add(group);
        }
        List<Object> init = new ArrayList<>();
        params.forEach(p -> init.add(copy(p)));
        recording.put("name", name);
        recording.put("defaults", optimizer.defaults().toMap());
        recording.put("groups", groups);
        recording.put("init", init);
        recording.put("steps", steps);
        handles.add(optimizer.registerStepPreHook((opt, closure) -> {
            before();
            if (closure == null) {
                grads();
                return null;
            }
            return () -> {
                Object loss = closure.get();
                grads();
                return loss;
            };
        }));
        handles.add(optimizer.registerStepPostHook((opt, closure) -> after()));
    }

    /**
     * A copy kept until {@link #close()}: taken out of the caller's {@code PointerScope} (a training loop's
     * per-step scope would free it before the file is written) and freed once the file is written.
     */
    private Tensor copy(Tensor t) {
        Tensor c = t.detach().clone();
        PointerScope scope = PointerScope.getInnerScope();
        if (scope != null && c.referenceCount() > 0) {
            c.retainReference();
            scope.detach(c);
        }
        copies.add(c);
        return c;
    }

    private Map<String, Object> options(ParamGroup g) {
        Map<String, Object> m = new LinkedHashMap<>(g.options().toMap());
        if (m.get("lr") instanceof Tensor t) {
            m.put("lr", copy(t));
        }
        return m;
    }

    /** Before the step: the groups' options. */
    private void before() {
        pending = new LinkedHashMap<>();
        List<Object> opts = new ArrayList<>();
        optimizer.paramGroups().forEach(g -> opts.add(options(g)));
        pending.put("options", opts);
    }

    /** The gradients the step uses: before it, after its closure when there is one. */
    private void grads() {
        List<Object> grads = new ArrayList<>();
        for (Tensor p : params) {
            Tensor g = p.grad();
            grads.add(g == null || g.isNull() || !g.defined() ? null : copy(g));
        }
        pending.put("grads", grads);
    }

    /** After the step: the params and state it left. */
    private void after() {
        Map<String, Object> expect = new LinkedHashMap<>();
        List<Object> ps = new ArrayList<>();
        List<Object> m = new ArrayList<>();
        List<Object> v = new ArrayList<>();
        List<Object> s = new ArrayList<>();
        for (Tensor p : params) {
            ps.add(copy(p));
            ParamState st = optimizer.state(p);
            m.add(st == null ? null : copy(st.expAvg()));
            v.add(st == null ? null : copy(st.expAvgSq()));
            s.add(st == null ? null : copy(st.step()));
        }
        expect.put("params", ps);
        expect.put("exp_avg", m);
        expect.put("exp_avg_sq", v);
        expect.put("step", s);
        pending.put("expect", expect);
        steps.add(pending);
        pending = null;
    }

    /** Stops recording and writes the file (once). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        handles.forEach(RemovableHandle::remove);
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("format", Recordings.FORMAT);
        file.put("producer", "java");
        file.put("torch_version", "radam4j " + NativeLoader.version() + " (libtorch 2.10.0)");
        file.put("cases", List.of(recording));
        try {
            TorchFiles.save(file, path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            copies.forEach(Tensor::close);
            copies.clear();
        }
    }
}
