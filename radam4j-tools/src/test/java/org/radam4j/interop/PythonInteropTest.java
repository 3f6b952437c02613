package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.parity.Golden;
import org.radam4j.PyTuple;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.parity.Impl;
import org.radam4j.parity.MlpModel;
import org.radam4j.parity.Outcome;
import org.radam4j.parity.ParityRunner;
import org.radam4j.parity.PyTree;
import org.radam4j.parity.PyValues;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.radam4j.io.ModuleStates;
import org.radam4j.io.TorchFiles;

/**
 * Checkpoints crossing between Java and real Python PyTorch (Debian's python3-torch, 1.13, which .ci/run
 * installs): files radam4j writes load in {@code torch.load} with its defaults and hold the same values, use
 * only the pickle globals PyTorch's {@code weights_only} loader allows, and files Python writes load here.
 * Without such a Python these tests are skipped, unless {@code RADAM4J_REQUIRE_PYTHON} is set (as in CI), when
 * they fail.
 */
public class PythonInteropTest {

    static final Set<String> ALLOWED_GLOBALS = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
            "torch.ComplexFloatStorage", "torch.LongStorage", "torch.IntStorage", "torch.BoolStorage");

    public static String python;

    @TempDir
    Path dir;

    @BeforeAll
    public static void findPython() throws Exception {
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    python = candidate;
                    return;
                }
            } catch (IOException e) {
                // not there; try the next one
            }
        }
        if (System.getenv("RADAM4J_REQUIRE_PYTHON") != null) {
            throw new IllegalStateException("RADAM4J_REQUIRE_PYTHON is set but there is no python3 with torch "
                    + "(apt-get install python3-torch)");
        }
    }

    static String py(String... args) throws Exception {
        return script("/python/pytree.py", args);
    }

    /** Runs the test resource {@code resource} with Python and {@code args}; its standard output. */
    public static String script(String resource, String... args) throws Exception {
        assumeTrue(python != null, "no python3 with torch (apt-get install python3-torch)");
        List<String> cmd = new ArrayList<>(List.of(python, Path.of(Golden.class.getResource(resource).toURI()).toString()));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs {@code cmd} (a Python command line); its standard output. Skips the test where there is no Python. */
    static String run(List<String> cmd) throws Exception {
        assumeTrue(python != null, "no python3 with torch (apt-get install python3-torch)");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), "python " + String.join(" ", cmd) + " failed");
        return out;
    }

    @Test
    void everySavedStateDictLoadsInPythonAndEqualsFinalStateDict() throws Exception {
        assumeTrue(python != null, "no python3 with torch (apt-get install python3-torch)");
        JsonNode golden = Golden.cpu();
        List<Outcome> outcomes = new ParityRunner(new ParityRunner.Settings(Impl.AUTO, dir, null)).run(golden, o -> {
        });
        assertEquals(69, outcomes.size());
        JsonNode dumped = new ObjectMapper().readTree(py("dumpdir", dir.toString()));
        int checked = 0;
        for (JsonNode c : golden.get("cases")) {
            String name = c.get("name").asText();
            JsonNode file = dumped.get(name + ".pt");
            assertTrue(file != null, name + ".pt was written and loads in Python");
            for (JsonNode g : file.get("globals")) {
                assertTrue(ALLOWED_GLOBALS.contains(g.asText()), name + ".pt uses the global " + g.asText());
            }
            try (PointerScope scope = new PointerScope()) {
                String diff = PyValues.difference(PyTree.toJava(c.get("final_state_dict")), PyTree.toJava(file.get("value")),
                        name + ".pt");
                assertNull(diff);
            }
            checked++;
        }
        assertEquals(47, checked);
    }

    @Test
    void aJavaCheckpointRoundTripsThroughPython() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Map<String, Object> ckpt = javaCheckpoint();
            Path f = dir.resolve("java.pt");
            TorchFiles.save(ckpt, f);
            JsonNode back = new ObjectMapper().readTree(py("dump", f.toString()));
            assertNull(PyValues.difference(ckpt, PyTree.toJava(back), "java.pt"));
            for (String g : py("globals", f.toString()).trim().split("\n")) {
                assertTrue(ALLOWED_GLOBALS.contains(g.trim()), "java.pt uses the global " + g);
            }
        }
    }

    @Test
    void aPythonCheckpointLoadsInJava() throws Exception {
        try (PointerScope scope = new PointerScope()) {
            Map<String, Object> value = javaCheckpoint();
            ObjectNode json = (ObjectNode) PyTree.toJson(value);
            for (JsonNode kv : json.get("dict")) {
                if (kv.get(0).asText().equals("model")) {
                    ObjectNode model = (ObjectNode) kv.get(1);
                    ArrayNode items = (ArrayNode) model.remove("dict");
                    model.set("odict", items);
                }
            }
            Path spec = dir.resolve("spec.json");
            Files.writeString(spec, json.toString());
            Path f = dir.resolve("python.pt");
            py("write", spec.toString(), f.toString());
            Object loaded = TorchFiles.load(f);
            assertNull(PyValues.difference(value, loaded, "python.pt"));
        }
    }

    /** A checkpoint with every kind of value: a module, an optimizer, every dtype, nested containers. */
    static Map<String, Object> javaCheckpoint() {
        torch.manual_seed(11);
        MlpModel model = new MlpModel(ScalarType.Float);
        RAdam opt = new RAdam(model.module().named_parameters(), RAdamOptions.builder()
                .lr(torch.ones(1).mul(new Scalar(0.01))).weightDecay(0.1).build());
        for (Tensor p : opt.paramGroups().get(0).params()) {
            p.mutable_grad().put(torch.randn(p.sizes().vec().get()));
        }
        opt.step();
        Map<String, Object> ckpt = new LinkedHashMap<>();
        Map<String, Object> weights = new LinkedHashMap<>();
        weights.putAll(ModuleStates.stateDict(model.module()));
        ckpt.put("model", weights);
        ckpt.put("optimizer", opt.stateDict());
        Map<String, Object> misc = new LinkedHashMap<>();
        for (ScalarType t : List.of(ScalarType.Float, ScalarType.Double, ScalarType.Half, ScalarType.BFloat16,
                ScalarType.ComplexFloat, ScalarType.Long, ScalarType.Int, ScalarType.Bool)) {
            misc.put(t.name(), torch.randn(2, 3).mul(new Scalar(10)).to(t));
        }
        misc.put("scalar", torch.randn(1).squeeze());
        misc.put("empty", torch.randn(0, 4));
        misc.put("tuple", PyTuple.of(1, 2.5, "three", null, true, PyTuple.of()));
        misc.put("list", List.of(List.of(), 7, -70000, 5_000_000_000L, -1e-300, "\u00fc"));
        Map<Object, Object> intKeys = new LinkedHashMap<>();
        intKeys.put(3, "c");
        intKeys.put(1, "a");
        misc.put("int_keys", intKeys);
        ckpt.put("misc", misc);
        return ckpt;
    }
}
