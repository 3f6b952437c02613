package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.RAdamOptions;
import org.radam4j.interop.PythonInteropTest;
import org.radam4j.io.TorchFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code scripts/radam4j finetune} on a TorchScript model that Python (Debian's PyTorch 1.13 in CI) scripted with
 * BatchNorm: 30 steps in Java, then Python loads the checkpoint's model with {@code strict=True}, recomputes the
 * eval loss, and continues 5 steps with {@code torch.optim.RAdam} from the checkpoint's optimizer state, as Java
 * does from the same checkpoint. Skipped without such a Python, unless {@code RADAM4J_REQUIRE_PYTHON} is set.
 */
class FinetuneTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() throws Exception {
        PythonInteropTest.findPython();
    }

    private static String python(String... args) throws Exception {
        return PythonInteropTest.script("/python/jit_model.py", args);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aScriptedPythonModelFineTunesInJavaAndContinuesInPython() throws Exception {
        python("make", dir.toString());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path ckpt = dir.resolve("ckpt.pt");
        RAdamOptions options = RAdamOptions.builder().lr(0.01).build();
        Finetune.Result r = Finetune.finetune(dir.resolve("model.pt"), dir.resolve("data.pt"), 30, options, null, ckpt,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        String printed = log.toString(StandardCharsets.UTF_8);
        assertEquals(30, r.losses().size());
        assertTrue(r.losses().get(29) < r.losses().get(0), "the loss goes down: " + r.losses());
        assertTrue(printed.contains("step 30: loss ") && printed.contains("final loss (eval): " + r.finalEvalLoss()), printed);

        JsonNode py = new ObjectMapper().readTree(python("check", dir.toString(), ckpt.toString(), "5", "0.01"));
        double pyLoss = py.get("eval_loss").asDouble();
        assertTrue(Math.abs(pyLoss - r.finalEvalLoss()) <= 1e-5 * Math.abs(pyLoss),
                "eval loss: python " + pyLoss + ", java " + r.finalEvalLoss());

        Path resumed = dir.resolve("resumed.pt");
        Finetune.finetune(dir.resolve("model.pt"), dir.resolve("data.pt"), 5, options, ckpt, resumed,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try (PointerScope scope = new PointerScope()) {
            Map<String, Object> java = (Map<String, Object>) ((Map<String, Object>) TorchFiles.load(resumed)).get("model");
            int checked = 0;
            for (var e : py.get("params").properties()) {
                Tensor t = ((Tensor) java.get(e.getKey())).reshape(-1);
                assertEquals(e.getValue().size(), t.numel(), e.getKey());
                for (int i = 0; i < t.numel(); i++) {
                    double a = t.get(i).item_double();
                    double b = e.getValue().get(i).asDouble();
                    assertTrue(Math.abs(a - b) <= 1e-6 + 1e-5 * Math.abs(b), e.getKey() + "[" + i + "]: java " + a + ", python " + b);
                    checked++;
                }
            }
            assertEquals(6 * 16 + 16 + 16 + 16 * 3 + 3, checked, "every parameter compared");
            assertTrue(java.containsKey("backbone.1.num_batches_tracked") && java.containsKey("backbone.1.running_mean"),
                    "buffers are in the state dict: " + java.keySet());
        }
    }
}
