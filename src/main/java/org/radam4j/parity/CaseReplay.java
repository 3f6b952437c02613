package org.radam4j.parity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.Dtypes;
import org.radam4j.ParamGroupSpec;
import org.radam4j.ParamState;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Replays one optimizer case of a golden file (FORMAT.md, {@code cases[i]}): params from {@code init}, RAdam
 * from {@code groups} and {@code defaults}, then per step the grads, {@code set_lr} and {@code step()}, and a
 * comparison of params, exp_avg, exp_avg_sq and step with {@code expect}. A case on PyTorch's own path is
 * {@code bitwise} or fails with its first mismatch, except on CUDA, where another libtorch build may round
 * differently: there a case that is not bitwise reports its largest difference in ulps, judged by the dtype's
 * tolerance. CUDA cases are skipped when CUDA is not available.
 */
final class CaseReplay {

    private CaseReplay() {
    }

    static Outcome run(JsonNode c, Impl impl) {
        String name = c.path("name").asText("<unnamed case>");
        try (PointerScope scope = new PointerScope()) {
            return replay(name, c, impl);
        } catch (UnsupportedOperationException e) {
            return new Outcome(name, Outcome.Status.SKIPPED, e.getMessage());
        } catch (IllegalArgumentException e) {
            return new Outcome(name, Outcome.Status.FAIL, "invalid case: " + e.getMessage());
        } catch (RuntimeException e) {
            if (System.getenv("RADAM4J_TRACE") != null) { e.printStackTrace(); }
            return new Outcome(name, Outcome.Status.FAIL, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Outcome replay(String name, JsonNode c, Impl impl) {
        String device = c.path("device").asText("cpu");
        if (device.startsWith("cuda") && !org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            return new Outcome(name, Outcome.Status.SKIPPED, "CUDA case, CUDA not available");
        }
        if (impl == Impl.FUSED) {
            throw new UnsupportedOperationException("the fused path is not built yet");
        }
        JsonNode init = required(c, "init");
        JsonNode groups = required(c, "groups");
        JsonNode steps = required(c, "steps");
        if (!init.isArray() || !groups.isArray() || !steps.isArray()) {
            throw new IllegalArgumentException("'init', 'groups' and 'steps' must be lists");
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
            defaultsMap.put("foreach", impl == Impl.FOREACH);
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
                        opts.put("foreach", impl == Impl.FOREACH);
                    }
                }
                opts.forEach(spec::set);
            }
            boolean recordedForeach = recorded != null ? recorded : device.startsWith("cuda");
            if (impl != Impl.AUTO) {
                samePath &= recordedForeach == (impl == Impl.FOREACH);
            }
            specs.add(spec);
        }
        RAdam opt = new RAdam(specs, defaults);
        Tolerance tol = Tolerance.of(Dtypes.of(c.path("dtype").asText(Dtypes.name(params.get(0)))));
        Tolerance exact = new Tolerance(0, 0);
        Comparison cmp = new Comparison();

        int s = 0;
        for (JsonNode step : steps) {
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
                setLr.fields().forEachRemaining(e -> opt.paramGroups().get(Integer.parseInt(e.getKey()))
                        .setLr(e.getValue().asDouble()));
            }
            opt.step();
            compare(cmp, s, opt, params, required(step, "expect"), tol, exact);
            if (!cmp.withinTolerance()) {
                break;
            }
            s++;
        }
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
        return cmp.withinTolerance()
                ? new Outcome(name, Outcome.Status.WITHIN_TOLERANCE, "max_rel=" + cmp.maxRel())
                : new Outcome(name, Outcome.Status.FAIL, cmp.firstOutOfTolerance());
    }

    private static void compare(Comparison cmp, int s, RAdam opt, List<Tensor> params, JsonNode expect, Tolerance tol,
            Tolerance exact) {
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
                    cmp.scalar(at + " step", state.step().item_double(), e.asDouble(), exact);
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
