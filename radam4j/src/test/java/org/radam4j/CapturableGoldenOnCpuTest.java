package org.radam4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.radam4j.internal.Dtypes;
import org.radam4j.internal.TensorBytes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The capturable variants recorded by PyTorch 2.11 on an H200 (golden_cuda.json, {@code *_capturable}),
 * replayed on the CPU through radam4j's capturable cores (PyTorch itself refuses capturable on the CPU, so the
 * cores are driven directly, with state made as for a capturable group). CUDA and CPU kernels round
 * differently, so this is judged by PyTorch's float32 tolerance at every step. It reads the tools' copy of the
 * golden file (Jackson in test scope only).
 */
class CapturableGoldenOnCpuTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A tensor as the golden files encode it: {@code {"dtype", "shape", "b64"}} (raw little-endian bytes). */
    private static Tensor tensor(JsonNode n) {
        long[] shape = new long[n.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = n.get("shape").get(i).asLong();
        }
        return TensorBytes.toTensor(Dtypes.of(n.get("dtype").asText()), shape, Base64.getDecoder().decode(n.get("b64").asText()));
    }

    @TestFactory
    Stream<DynamicTest> capturableCasesMatchPyTorchWithinTolerance() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        Path golden = Path.of("..", "radam4j-tools", "src", "test", "resources", "golden", "golden_cuda.json");
        for (JsonNode c : new ObjectMapper().readTree(golden.toFile()).get("cases")) {
            if (c.get("name").asText().endsWith("_capturable")) {
                tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> replay(c)));
            }
        }
        assertEquals(19, tests.size());
        return tests.stream();
    }

    @SuppressWarnings("unchecked")
    private static void replay(JsonNode c) {
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> params = new ArrayList<>();
            c.get("init").forEach(t -> params.add(tensor(t)));
            Map<String, Object> defaults = (Map<String, Object>) MAPPER.convertValue(c.get("defaults"), Map.class);
            List<List<Integer>> groups = new ArrayList<>();
            List<RAdamOptions> options = new ArrayList<>();
            for (JsonNode g : c.get("groups")) {
                List<Integer> idx = new ArrayList<>();
                g.get("params").forEach(i -> idx.add(i.asInt()));
                groups.add(idx);
                Map<String, Object> merged = new LinkedHashMap<>(defaults);
                Map<String, Object> own = (Map<String, Object>) MAPPER.convertValue(g.get("options"), Map.class);
                if (own != null) {
                    merged.putAll(own);
                }
                options.add(RAdamOptions.fromMap(merged, RAdamOptions.defaults()));
            }
            Map<Integer, ParamState> state = new LinkedHashMap<>();
            int s = 0;
            for (JsonNode step : c.get("steps")) {
                JsonNode setLr = step.path("set_lr");
                if (setLr.isObject()) {
                    setLr.properties().forEach(e -> {
                        int gi = Integer.parseInt(e.getKey());
                        options.set(gi, options.get(gi).withLr(e.getValue().asDouble()));
                    });
                }
                for (int gi = 0; gi < groups.size(); gi++) {
                    RAdamOptions o = options.get(gi);
                    List<Tensor> ps = new ArrayList<>(), gs = new ArrayList<>(), ms = new ArrayList<>(), vs = new ArrayList<>(),
                            ts = new ArrayList<>();
                    for (int i : groups.get(gi)) {
                        JsonNode g = step.get("grads").get(i);
                        if (g.isNull()) {
                            continue;
                        }
                        ParamState st = state.computeIfAbsent(i, k -> RAdam.newState(params.get(k), o));
                        ps.add(params.get(i));
                        gs.add(tensor(g));
                        ms.add(st.expAvg());
                        vs.add(st.expAvgSq());
                        ts.add(st.step());
                    }
                    if (!ps.isEmpty()) {
                        StepPath.of(StepPath.choose(o, ps)).step(GroupTensors.of(ps, gs, ms, vs, ts), o);
                    }
                }
                JsonNode expect = step.get("expect");
                for (int i = 0; i < params.size(); i++) {
                    String at = c.get("name").asText() + " step " + s + " param " + i;
                    close(params.get(i), expect.get("params").get(i), at + " params");
                    ParamState st = state.get(i);
                    if (expect.get("exp_avg").get(i).isNull()) {
                        assertEquals(null, st, at + ": no state yet");
                        continue;
                    }
                    close(st.expAvg(), expect.get("exp_avg").get(i), at + " exp_avg");
                    close(st.expAvgSq(), expect.get("exp_avg_sq").get(i), at + " exp_avg_sq");
                    assertEquals(expect.get("step").get(i).asDouble(), st.step().item_double(), at + " step");
                }
                s++;
            }
        }
    }

    private static void close(Tensor actual, JsonNode expected, String what) {
        Tensor e = tensor(expected);
        assertTrue(torch.allclose(actual, e, 1.3e-6, 1e-5, false),
                what + ": max abs diff " + actual.sub(e).abs().max().item_double());
    }
}
