package org.radam4j.fuzz;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.io.TorchFiles;
import org.radam4j.parity.PyValues;
import org.radam4j.parity.TensorCodec;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Feeds {@code loadStateDict} generated maps: mutations of a valid state dict (a value replaced by garbage of any
 * kind, a key removed or added, at any depth) and wholly random maps. Each must load or be refused with an
 * {@link IllegalArgumentException} or {@link IllegalStateException} that has a message; after a refusal the
 * optimizer's state dict must be exactly what it was; and at the end the optimizer, given the valid state dict,
 * must still reproduce PyTorch's remaining steps bit for bit.
 */
public final class StateDictFuzzer {

    /** What a run found. */
    public record Report(int tried, int loaded, int refused, List<String> problems, boolean goldenAfter) {
        public boolean ok() {
            return problems.isEmpty() && goldenAfter;
        }
    }

    private StateDictFuzzer() {
    }

    /**
     * @param twoGroups the golden case {@code float32_forloop_two_groups} (or any case with two groups)
     * @param after7 its {@code pt/<case>.after7.pt}
     */
    @SuppressWarnings("unchecked")
    public static Report run(JsonNode twoGroups, Path after7, int count, long seed) throws IOException {
        Random r = new Random(seed);
        List<String> problems = new ArrayList<>();
        int loaded = 0;
        int refused = 0;
        try (PointerScope scope = new PointerScope()) {
            Map<String, Object> good = (Map<String, Object>) TorchFiles.load(after7);
            List<Tensor> params = new ArrayList<>();
            for (JsonNode t : twoGroups.get("steps").get(6).get("expect").get("params")) {
                Tensor p = TensorCodec.decode(t);
                p.requires_grad_(true);
                params.add(p);
            }
            List<ParamGroupSpec> specs = new ArrayList<>();
            for (JsonNode g : twoGroups.get("groups")) {
                List<Tensor> ps = new ArrayList<>();
                g.get("params").forEach(i -> ps.add(params.get(i.asInt())));
                specs.add(ParamGroupSpec.of(ps));
            }
            RAdam opt = new RAdam(specs, RAdamOptions.defaults());
            opt.loadStateDict(good);
            for (int i = 0; i < count; i++) {
                try (PointerScope one = new PointerScope()) {
                    Object candidate;
                    if (r.nextInt(10) == 0) {
                        candidate = RandomValues.garbage(r, 0);
                    } else {
                        candidate = RandomValues.deepCopy(good);
                        for (int k = 1 + r.nextInt(3); k > 0; k--) {
                            RandomValues.mutate(candidate, r);
                        }
                    }
                    Object before = RandomValues.snapshot(opt.stateDict());
                    try {
                        Map<String, Object> map = candidate instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
                        if (map == null) {
                            Map<String, Object> wrapped = new LinkedHashMap<>();
                            wrapped.put("state", candidate);
                            wrapped.put("param_groups", candidate);
                            map = wrapped;
                        }
                        opt.loadStateDict(map);
                        loaded++;
                        opt.loadStateDict(good);
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        refused++;
                        if (e.getMessage() == null || e.getMessage().isBlank()) {
                            problems.add("map " + i + ": refused without a message: " + e);
                        }
                        String diff = PyValues.difference(before, opt.stateDict(), "state_dict");
                        if (diff != null) {
                            problems.add("map " + i + ": refused (" + e.getMessage() + ") but the optimizer changed: " + diff);
                        }
                    } catch (RuntimeException e) {
                        problems.add("map " + i + ": " + e);
                    }
                }
            }
            opt.loadStateDict(good);
            boolean golden = continuesLikePyTorch(opt, params, twoGroups);
            return new Report(count, loaded, refused, problems, golden);
        }
    }

    /** Steps 8..20 of the golden case from the loaded state: every param bit for bit. */
    static boolean continuesLikePyTorch(RAdam opt, List<Tensor> params, JsonNode c) {
        JsonNode steps = c.get("steps");
        for (int s = 7; s < steps.size(); s++) {
            for (int i = 0; i < params.size(); i++) {
                JsonNode g = steps.get(s).get("grads").get(i);
                if (g.isNull()) {
                    params.get(i).mutable_grad().reset();
                } else {
                    params.get(i).mutable_grad().put(TensorCodec.decode(g));
                }
            }
            opt.step();
            for (int i = 0; i < params.size(); i++) {
                byte[] want = TensorCodec.bytes(TensorCodec.decode(steps.get(s).get("expect").get("params").get(i)));
                if (!java.util.Arrays.equals(want, TensorCodec.bytes(params.get(i)))) {
                    return false;
                }
            }
        }
        return true;
    }
}
