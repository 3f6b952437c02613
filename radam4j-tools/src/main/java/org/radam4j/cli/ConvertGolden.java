package org.radam4j.cli;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.radam4j.PyTuple;
import org.radam4j.io.Recordings;
import org.radam4j.io.TorchFiles;
import org.radam4j.parity.ParityRunner;
import org.radam4j.parity.TensorCodec;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code scripts/radam4j convert-golden IN.json OUT.pt}: the optimizer trajectory cases of a golden JSON file
 * ({@code radam-golden/1}, as {@code radam4j-tools/src/test/resources/golden/golden_cpu.json}) as one recording in the format of
 * {@code docs/recording-format.md}, which {@code scripts/radam4j parity OUT.pt} replays. The golden file's error,
 * hook and training cases are not optimizer runs and are left out.
 */
final class ConvertGolden {

    private ConvertGolden() {
    }

    static int run(List<String> args) throws Exception {
        if (args.size() != 2) {
            System.err.println("usage: scripts/radam4j convert-golden IN.json OUT.pt");
            return 2;
        }
        JsonNode root = ParityRunner.read(new File(args.get(0)));
        try (PointerScope scope = new PointerScope()) {
            Map<String, Object> file = convert(root);
            TorchFiles.save(file, Path.of(args.get(1)));
            System.out.println("converted " + ((List<?>) file.get("cases")).size() + " cases of " + args.get(0) + " (PyTorch "
                    + root.get("torch").asText() + ") into " + args.get(1));
        }
        return 0;
    }

    static Map<String, Object> convert(JsonNode root) {
        List<Object> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            cases.add(convertCase(c));
        }
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("format", Recordings.FORMAT);
        file.put("producer", "golden-json");
        file.put("torch_version", root.get("torch").asText());
        file.put("cases", cases);
        return file;
    }

    private static Map<String, Object> convertCase(JsonNode c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", c.get("name").asText());
        out.put("defaults", options(c.get("defaults")));
        List<Object> groups = new ArrayList<>();
        for (JsonNode g : c.get("groups")) {
            Map<String, Object> group = new LinkedHashMap<>();
            List<Object> idx = new ArrayList<>();
            g.get("params").forEach(i -> idx.add(i.asLong()));
            group.put("params", idx);
            group.put("options", options(g.get("options")));
            groups.add(group);
        }
        out.put("groups", groups);
        out.put("init", tensors(c.get("init")));
        List<Object> steps = new ArrayList<>();
        for (JsonNode s : c.get("steps")) {
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("grads", tensors(s.get("grads")));
            List<Object> perGroup = new ArrayList<>();
            for (int g = 0; g < groups.size(); g++) {
                Map<String, Object> change = new LinkedHashMap<>();
                JsonNode lr = s.has("set_lr") ? s.get("set_lr").get(Integer.toString(g)) : null;
                if (lr != null) {
                    change.put("lr", lr.asDouble());
                }
                perGroup.add(change);
            }
            step.put("options", perGroup);
            Map<String, Object> expect = new LinkedHashMap<>();
            for (String k : List.of("params", "exp_avg", "exp_avg_sq", "step")) {
                expect.put(k, tensors(s.get("expect").get(k)));
            }
            step.put("expect", expect);
            steps.add(step);
        }
        out.put("steps", steps);
        return out;
    }

    private static Map<String, Object> options(JsonNode o) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            Object value;
            if (v.isObject() && v.has("tensor")) {
                value = TensorCodec.decode(v.get("tensor"));
            } else if (v.isArray()) {
                List<Object> items = new ArrayList<>();
                v.forEach(x -> items.add(x.asDouble()));
                value = PyTuple.copyOf(items);
            } else if (v.isBoolean()) {
                value = v.asBoolean();
            } else if (v.isNull()) {
                value = null;
            } else if (v.isIntegralNumber()) {
                value = v.asLong();
            } else {
                value = v.asDouble();
            }
            m.put(e.getKey(), value);
        }
        return m;
    }

    private static List<Object> tensors(JsonNode list) {
        List<Object> out = new ArrayList<>();
        for (JsonNode t : list) {
            if (t.isNull()) {
                out.add(null);
            } else if (t.isNumber()) {
                out.add(org.bytedeco.pytorch.global.torch.scalar_tensor(new org.bytedeco.pytorch.Scalar(t.asDouble()),
                        new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Float)));
            } else {
                out.add(TensorCodec.decode(t));
            }
        }
        return out;
    }
}
