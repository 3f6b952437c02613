package org.radam4j.parity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.Dtypes;
import org.radam4j.ParamGroupSpec;
import org.radam4j.ParamState;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.io.TorchFiles;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Replays one optimizer case of a golden file (FORMAT.md, {@code cases[i]}): params from {@code init}, RAdam
 * from {@code groups} and {@code defaults}, then per step the grads, {@code set_lr} and {@code step()}, and a
 * comparison of params, exp_avg, exp_avg_sq and step with {@code expect}; then {@code stateDict()} against
 * {@code final_state_dict} (keys, order, Python types, tensors). A case on PyTorch's own path is
 * {@code bitwise} or fails with its first mismatch; on another path ({@code --impl}) it is {@code bitwise} when
 * every tensor is still identical, else judged by PyTorch's dtype tolerances; except on CUDA, where another libtorch build may round
 * differently: there a case that is not bitwise reports its largest difference in ulps, judged by the dtype's
 * tolerance. CUDA cases are skipped when CUDA is not available.
 *
 * <p>A case with {@code state_dict_after} is replayed a second time from step k: a fresh optimizer loads that
 * state dict (and, when it exists, the matching {@code pt/<case>.after<k>.pt} file next to the golden file) and
 * must reproduce the remaining steps.
 */
final class CaseReplay {

    private CaseReplay() {
    }

    static Outcome run(JsonNode c, Impl impl) {
        return run(c, new ParityRunner.Settings(impl, null, null));
    }

    static Outcome run(JsonNode c, ParityRunner.Settings settings) {
        String name = c.path("name").asText("<unnamed case>");
        try (PointerScope scope = new PointerScope()) {
            return replay(name, c, settings);
        } catch (UnsupportedOperationException e) {
            return new Outcome(name, Outcome.Status.SKIPPED, e.getMessage());
        } catch (IllegalArgumentException e) {
            return new Outcome(name, Outcome.Status.FAIL, "invalid case: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            return new Outcome(name, Outcome.Status.FAIL, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The case's params and optimizer configuration, as read from the JSON. */
    private record Setup(String device, List<Tensor> params, List<ParamGroupSpec> specs, RAdamOptions defaults,
            boolean samePath) {
    }

    private static Outcome replay(String name, JsonNode c, ParityRunner.Settings settings) throws IOException {
        Impl impl = settings.impl();
        String device = c.path("device").asText("cpu");
        if (device.startsWith("cuda") && !org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            return new Outcome(name, Outcome.Status.SKIPPED, "CUDA case, CUDA not available");
        }
        JsonNode steps = required(c, "steps");
        if (!steps.isArray()) {
            throw new IllegalArgumentException("'steps' must be a list");
        }
        Setup setup = setup(c, impl, device, required(c, "init"));
        RAdam opt = new RAdam(setup.specs(), setup.defaults());
        Comparison cmp = new Comparison();
        replaySteps(cmp, opt, setup.params(), steps, 0, device);
        JsonNode finalSd = c.path("final_state_dict");
        if (setup.samePath() && cmp.withinTolerance() && !finalSd.isMissingNode() && !finalSd.isNull()) {
            String diff = PyValues.difference(PyTree.toJava(finalSd), opt.stateDict(), "final_state_dict");
            if (diff != null) {
                cmp.fail(diff);
            }
        }
        if (settings.saveDir() != null) {
            TorchFiles.save(opt.stateDict(), settings.saveDir().resolve(name + ".pt"));
        }
        Outcome main = judge(name, cmp, setup.samePath(), device);
        JsonNode after = c.path("state_dict_after");
        if (!setup.samePath() || !after.isObject()) {
            return main;
        }
        return new Outcome(name, main.status(), main.detail(), resume(c, setup, after, settings));
    }

    private static Outcome judge(String name, Comparison cmp, boolean samePath, String device) {
        if (samePath && device.startsWith("cuda")) {
            if (cmp.bitwise()) {
                return new Outcome(name, Outcome.Status.BITWISE, "");
            }
            return cmp.withinTolerance()
                    ? new Outcome(name, Outcome.Status.WITHIN_TOLERANCE, "max_ulps=" + cmp.maxUlps() + " max_rel=" + cmp.maxRel())
                    : new Outcome(name, Outcome.Status.FAIL, cmp.firstOutOfTolerance() + " (max_ulps=" + cmp.maxUlps() + ")");
        }
        if (samePath) {
            return cmp.bitwise() ? new Outcome(name, Outcome.Status.BITWISE, "")
                    : new Outcome(name, Outcome.Status.FAIL, cmp.firstMismatch());
        }
        if (cmp.bitwise()) {
            return new Outcome(name, Outcome.Status.BITWISE, "");
        }
        return cmp.withinTolerance()
                ? new Outcome(name, Outcome.Status.WITHIN_TOLERANCE, "max_rel=" + cmp.maxRel())
                : new Outcome(name, Outcome.Status.FAIL, cmp.firstOutOfTolerance());
    }

    /**
     * Replays from {@code state_dict_after}: params as PyTorch had them after step k, a fresh optimizer that loads
     * the state dict (from the JSON, and from the {@code pt/} file when there is one), then steps k+1.. .
     */
    @SuppressWarnings("unchecked")
    private static Outcome.Resume resume(JsonNode c, Setup setup, JsonNode after, ParityRunner.Settings settings)
            throws IOException {
        int k = after.path("step").asInt(-1);
        JsonNode steps = c.get("steps");
        if (k < 1 || k > steps.size()) {
            throw new IllegalArgumentException("'state_dict_after.step' must be between 1 and the number of steps");
        }
        List<Object> sources = new ArrayList<>();
        Object fromJson = PyTree.toJava(required(after, "state_dict"));
        sources.add(fromJson);
        String name = c.path("name").asText();
        if (settings.baseDir() != null) {
            Path pt = settings.baseDir().resolve("pt").resolve(name + ".after" + k + ".pt");
            if (Files.isRegularFile(pt)) {
                sources.add(TorchFiles.load(pt));
            }
        }
        Comparison cmp = new Comparison();
        for (Object sd : sources) {
            Setup fresh = setup(c, settings.impl(), setup.device(), steps.get(k - 1).get("expect").get("params"));
            RAdam opt = new RAdam(fresh.specs(), fresh.defaults());
            opt.loadStateDict((Map<String, ?>) sd);
            replaySteps(cmp, opt, fresh.params(), steps, k, setup.device());
        }
        String from = sources.size() > 1 ? "state_dict_after and pt/" + name + ".after" + k + ".pt"
                : sources.get(0) == fromJson ? "state_dict_after" : "pt/" + name + ".after" + k + ".pt";
        return new Outcome.Resume(judge(name, cmp, true, setup.device()), from);
    }

    private static Setup setup(JsonNode c, Impl impl, String device, JsonNode init) {
        JsonNode groups = required(c, "groups");
        if (!init.isArray() || !groups.isArray()) {
            throw new IllegalArgumentException("'init' and 'groups' must be lists");
        }
        List<Tensor> params = new ArrayList<>();
        for (JsonNode t : init) {
            Tensor p = onDevice(TensorCodec.decode(t), device);
            p.requires_grad_(true);
            params.add(p);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> defaultsMap = (Map<String, Object>) PyTree.toJava(c.path("defaults"));
        if (defaultsMap == null) {
            defaultsMap = new LinkedHashMap<>();
        }
        Boolean recordedDefault = (Boolean) defaultsMap.get("foreach");
        if (impl != Impl.AUTO) {
            defaultsMap.put("foreach", forcedForeach(impl));
            defaultsMap.put("fused", impl == Impl.FUSED);
        }
        RAdamOptions defaults = RAdamOptions.fromMap(defaultsMap, RAdamOptions.defaults());

        boolean named = c.path("named").asBoolean(false);
        boolean samePath = true;
        List<ParamGroupSpec> specs = new ArrayList<>();
        for (JsonNode g : groups) {
            List<Integer> idx = new ArrayList<>();
            for (JsonNode i : required(g, "params")) {
                int k = i.asInt(-1);
                if (k < 0 || k >= params.size()) {
                    throw new IllegalArgumentException("group param index " + i + " is not an index of 'init'");
                }
                idx.add(k);
            }
            ParamGroupSpec spec;
            if (named) {
                Map<String, Tensor> m = new LinkedHashMap<>();
                idx.forEach(k -> m.put("layer" + k + ".weight", params.get(k)));
                spec = ParamGroupSpec.named(m);
            } else {
                List<Tensor> l = new ArrayList<>();
                idx.forEach(k -> l.add(params.get(k)));
                spec = ParamGroupSpec.of(l);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> opts = (Map<String, Object>) PyTree.toJava(g.path("options"));
            Boolean recorded = recordedDefault;
            if (opts != null) {
                if (opts.containsKey("foreach")) {
                    recorded = (Boolean) opts.get("foreach");
                    if (impl != Impl.AUTO) {
                        opts.put("foreach", forcedForeach(impl));
                    }
                }
                opts.forEach(spec::set);
            }
            boolean recordedForeach = recorded != null ? recorded : device.startsWith("cuda");
            if (impl != Impl.AUTO) {
                samePath &= impl != Impl.FUSED && recordedForeach == (impl == Impl.FOREACH);
            }
            specs.add(spec);
        }
        return new Setup(device, params, specs, defaults, samePath);
    }

    /** The foreach flag a forced path sets: fused takes none. */
    private static Boolean forcedForeach(Impl impl) {
        return impl == Impl.FUSED ? null : impl == Impl.FOREACH;
    }

    private static void replaySteps(Comparison cmp, RAdam opt, List<Tensor> params, JsonNode steps, int from, String device) {
        Tolerance tol = Tolerance.of(Dtypes.of(params.get(0)));
        for (int s = from; s < steps.size(); s++) {
            JsonNode step = steps.get(s);
            JsonNode grads = required(step, "grads");
            if (!grads.isArray() || grads.size() != params.size()) {
                throw new IllegalArgumentException("step " + s + ": 'grads' must list one entry per param");
            }
            for (int i = 0; i < params.size(); i++) {
                JsonNode g = grads.get(i);
                if (g.isNull()) {
                    params.get(i).mutable_grad().reset();
                } else {
                    params.get(i).mutable_grad().put(onDevice(TensorCodec.decode(g), device));
                }
            }
            JsonNode setLr = step.path("set_lr");
            if (setLr.isObject()) {
                setLr.properties().forEach(e -> opt.paramGroups().get(Integer.parseInt(e.getKey()))
                        .setLr(e.getValue().asDouble()));
            }
            opt.step();
            compare(cmp, s, opt, params, required(step, "expect"), tol);
            if (!cmp.withinTolerance()) {
                return;
            }
        }
    }

    private static void compare(Comparison cmp, int s, RAdam opt, List<Tensor> params, JsonNode expect, Tolerance tol) {
        JsonNode ps = expect.path("params");
        JsonNode ea = expect.path("exp_avg");
        JsonNode eas = expect.path("exp_avg_sq");
        JsonNode st = expect.path("step");
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            String at = "step " + s + ", param " + i;
            if (ps.has(i)) {
                cmp.tensor(at + " params", p, TensorCodec.decode(ps.get(i)), tol);
            }
            ParamState state = opt.state(p);
            if (ea.has(i)) {
                cmp.tensor(at + " exp_avg", state == null ? null : state.expAvg(), decodeOrNull(ea.get(i)), tol);
            }
            if (eas.has(i)) {
                cmp.tensor(at + " exp_avg_sq", state == null ? null : state.expAvgSq(), decodeOrNull(eas.get(i)), tol);
            }
            if (st.has(i)) {
                JsonNode e = st.get(i);
                if (e.isNull() || state == null) {
                    if (e.isNull() != (state == null)) {
                        cmp.fail(at + " step: " + (state == null ? "no state, expected step " + e : "expected no state"));
                    }
                } else {
                    cmp.scalar(at + " step", state.step().item_double(), e.asDouble(), new Tolerance(0, 0));
                }
            }
        }
    }

    private static Tensor decodeOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : TensorCodec.decode(n);
    }

    static Tensor onDevice(Tensor t, String device) {
        if (device.equals("cpu")) {
            return t;
        }
        try (Device d = new Device(device)) {
            return t.to(d, Dtypes.of(t));
        }
    }

    static JsonNode required(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        return v;
    }
}
