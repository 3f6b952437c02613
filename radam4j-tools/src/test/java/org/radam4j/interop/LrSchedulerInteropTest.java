package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.ParamGroup;
import org.radam4j.RAdam;
import org.radam4j.lr.LRScheduler;
import org.radam4j.lr.ReduceLROnPlateau;
import org.radam4j.parity.LrParity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.radam4j.io.TorchFiles;

/**
 * Learning-rate schedules against real Python PyTorch (Debian's 1.13, which .ci/run installs): the recorder
 * records {@code src/test/resources/lr/schedulers.json} and every run replays bit for bit; and scheduler state
 * dicts cross both ways through {@code torch.save} files, the receiving side continuing the sender's sequence bit
 * for bit. Skipped without such a Python, unless {@code RADAM4J_REQUIRE_PYTHON} is set (as in CI).
 */
class LrSchedulerInteropTest {

    /** One run per scheduler class (LambdaLR's functions are rebuilt on each side, as in Python). */
    private static final Set<String> INTEROP_RUNS = Set.of("LambdaLR_power", "MultiplicativeLR_constant", "StepLR_30_half",
            "MultiStepLR_repeated", "ConstantLR_half_40", "LinearLR_warmup_40", "ExponentialLR_098", "PolynomialLR_150_09",
            "CosineAnnealingLR_50_past_tmax", "CosineAnnealingWarmRestarts_10_x2", "CyclicLR_triangular2_asymmetric",
            "OneCycleLR_cos_momentum", "ReduceLROnPlateau_max_abs_cooldown", "SequentialLR_warmup_cosine",
            "ChainedScheduler_constant_exponential");
    /**
     * PyTorch 1.13 cannot save these: CyclicLR's state dict holds a {@code WeakMethod} ({@code torch.save} fails),
     * OneCycleLR's its {@code anneal_func} method (pickled through {@code getattr}, which weights_only loading
     * refuses). PyTorch 2.x saves neither; the test skips them in that direction.
     */
    private static final Set<String> UNSAVEABLE_IN_1_13 = Set.of("CyclicLR_triangular2_asymmetric", "OneCycleLR_cos_momentum");
    private static final int K = 37;
    private static final int N = 60;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() throws Exception {
        PythonInteropTest.findPython();
    }

    private static Path resource(String name) throws Exception {
        return Path.of(LrSchedulerInteropTest.class.getResource(name).toURI());
    }

    private static Path recorder() {
        return Path.of(System.getProperty("radam4j.home", ".."), "scripts", "record_lr_schedulers.py").toAbsolutePath();
    }

    private static String run(List<String> cmd) throws Exception {
        return PythonInteropTest.run(cmd);
    }

    @Test
    void everyRecordedScheduleReplaysBitForBit() throws Exception {
        assumeTrue(PythonInteropTest.python != null, "no python3 with torch (apt-get install python3-torch)");
        Path out = dir.resolve("lr.json");
        run(List.of(PythonInteropTest.python, recorder().toString(), resource("/lr/schedulers.json").toString(), out.toString()));
        JsonNode recording = LrParity.read(out.toFile());
        assertTrue(recording.get("torch_version").asText().startsWith("1.13"), "CI records with Debian's PyTorch 1.13");
        List<LrParity.Result> results = LrParity.run(recording);
        assertEquals(33, results.size());
        for (LrParity.Result r : results) {
            assertEquals("bitwise", r.verdict(), r.name());
        }
    }

    private static List<JsonNode> interopRuns() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode run : JSON.readTree(resource("/lr/schedulers.json").toFile())) {
            if (INTEROP_RUNS.contains(run.get("name").asText())) {
                out.add(run);
            }
        }
        assertEquals(INTEROP_RUNS.size(), out.size());
        return out;
    }

    /** Steps a scheduler once, with the run's metric series for ReduceLROnPlateau; returns the groups' lrs. */
    private static List<Double> step(LRScheduler s, JsonNode run, long done) {
        JsonNode metrics = run.get("metrics");
        if (metrics != null) {
            ((ReduceLROnPlateau) s).step(metrics.get((int) (done % metrics.size())).asDouble());
        } else {
            s.step();
        }
        List<Double> lrs = new ArrayList<>();
        for (ParamGroup g : s.optimizer().paramGroups()) {
            lrs.add(g.lr());
        }
        return lrs;
    }

    private static void assertSameLrs(JsonNode python, List<List<Double>> java, String what) {
        assertEquals(N, python.size(), what);
        for (int i = 0; i < N; i++) {
            for (int g = 0; g < java.get(i).size(); g++) {
                assertEquals(Double.doubleToLongBits(python.get(i).get(g).asDouble()), Double.doubleToLongBits(java.get(i).get(g)),
                        what + ": step " + (i + 1) + " after the load, group " + g + ": python " + python.get(i).get(g)
                                + ", java " + java.get(i).get(g));
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> aStateDictSavedInJavaContinuesInPython() throws Exception {
        return interopRuns().stream().map(run -> DynamicTest.dynamicTest(run.get("name").asText(), () -> {
            try (PointerScope scope = new PointerScope()) {
                Path config = dir.resolve(run.get("name").asText() + ".json");
                Files.writeString(config, run.toString());
                RAdam opt = LrParity.optimizer(run.get("lrs"));
                LRScheduler s = LrParity.build(opt, run);
                for (int i = 0; i < K; i++) {
                    step(s, run, i);
                }
                Path file = dir.resolve(run.get("name").asText() + ".java.pt");
                TorchFiles.save(s.stateDict(), file);
                List<List<Double>> java = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    java.add(step(s, run, K + i));
                }
                JsonNode python = JSON.readTree(run(List.of(PythonInteropTest.python, resource("/python/lr_interop.py").toString(),
                        recorder().toString(), config.toString(), "continue", file.toString(), Integer.toString(N))));
                assertSameLrs(python, java, "Java -> Python");
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> aStateDictSavedInPythonContinuesInJava() throws Exception {
        return interopRuns().stream().map(run -> DynamicTest.dynamicTest(run.get("name").asText(), () -> {
            assumeTrue(!UNSAVEABLE_IN_1_13.contains(run.get("name").asText())
                    || !run(List.of(PythonInteropTest.python, "-c", "import torch; print(torch.__version__)")).strip().startsWith("1.13"),
                    "PyTorch 1.13 cannot save this scheduler");
            try (PointerScope scope = new PointerScope()) {
                Path config = dir.resolve(run.get("name").asText() + ".json");
                Files.writeString(config, run.toString());
                Path file = dir.resolve(run.get("name").asText() + ".python.pt");
                JsonNode python = JSON.readTree(run(List.of(PythonInteropTest.python, resource("/python/lr_interop.py").toString(),
                        recorder().toString(), config.toString(), "save", Integer.toString(K), Integer.toString(N), file.toString())));
                RAdam opt = LrParity.optimizer(run.get("lrs"));
                LRScheduler s = LrParity.build(opt, run);
                @SuppressWarnings("unchecked")
                Map<String, Object> state = (Map<String, Object>) TorchFiles.load(file);
                s.loadStateDict(state);
                List<Double> last = s.getLastLr();
                for (int g = 0; g < last.size(); g++) {
                    opt.paramGroups().get(g).fillLr(last.get(g));
                }
                List<List<Double>> java = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    java.add(step(s, run, K + i));
                }
                assertSameLrs(python, java, "Python -> Java");
            }
        }));
    }
}
