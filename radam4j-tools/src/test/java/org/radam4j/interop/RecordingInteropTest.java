package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.io.Recordings;
import org.radam4j.io.Recorder;

/**
 * Recordings across Python and Java with Debian's PyTorch 1.13 (as in CI): runs that
 * {@code scripts/radam4j_record.py} records (for-loop and foreach, two groups, missing gradients, an lr change,
 * weight decay) replay in Java within tolerance, and runs that {@link Recorder} records in Java pass
 * {@code scripts/radam4j_check.py} in Python. Skipped without such a Python, unless {@code RADAM4J_REQUIRE_PYTHON}
 * is set.
 */
class RecordingInteropTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() throws Exception {
        PythonInteropTest.findPython();
    }

    private static Path script(String name) {
        return Path.of(System.getProperty("radam4j.home", ".."), "scripts", name).toAbsolutePath();
    }

    private static String python(String... args) throws Exception {
        assumeTrue(PythonInteropTest.python != null, "no python3 with torch (apt-get install python3-torch)");
        List<String> cmd = new java.util.ArrayList<>(List.of(PythonInteropTest.python));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), "python " + String.join(" ", args) + " failed:\n" + out);
        return out;
    }

    @Test
    void pythonRecordingsReplayInJavaWithinTolerance() throws Exception {
        Path rec = dir.resolve("python.pt");
        python(script("radam4j_record.py").toString(), rec.toString());
        List<Recordings.Verdict> verdicts = Recordings.replay(rec);
        assertEquals(List.of("forloop_two_groups", "foreach_two_groups"), verdicts.stream().map(Recordings.Verdict::name).toList());
        for (Recordings.Verdict v : verdicts) {
            assertTrue(v.passed(), v.toString());
            assertTrue(v.recordedWith().startsWith("PyTorch 1.13") || v.status() == Recordings.Status.BITWISE, v.toString());
            if (v.status() == Recordings.Status.WITHIN_TOLERANCE && v.recordedWith().startsWith("PyTorch 1.")) {
                assertTrue(v.toString().contains("bitwise not expected"), "the report says why: " + v);
            }
        }
    }

    @Test
    void javaRecordingsPassTheirCheckInPython() throws Exception {
        for (boolean foreach : new boolean[] {false, true}) {
            Path rec = dir.resolve("java-" + foreach + ".pt");
            try (PointerScope scope = new PointerScope()) {
                torch.manual_seed(3);
                Tensor a = torch.randn(5, 3).requires_grad_(true);
                Tensor b = torch.randn(4).requires_grad_(true);
                Tensor c = torch.randn(6).requires_grad_(true);
                RAdam opt = new RAdam(List.of(ParamGroupSpec.of(a, c).weightDecay(0.1),
                        ParamGroupSpec.of(b).lr(0.002).betas(0.8, 0.99)), RAdamOptions.builder().lr(0.01).foreach(foreach).build());
                try (Recorder r = new Recorder(opt, rec, foreach ? "java_foreach" : "java_forloop")) {
                    List<Tensor> ps = List.of(a, b, c);
                    for (int s = 0; s < 12; s++) {
                        try (PointerScope step = new PointerScope()) {
                            for (int i = 0; i < 3; i++) {
                                ps.get(i).mutable_grad().put((s + i) % 5 == 3 ? new Tensor() : torch.randn(ps.get(i).sizes()));
                            }
                            if (s == 6) {
                                opt.paramGroups().get(0).setLr(0.005);
                            }
                            opt.step();
                        }
                    }
                }
            }
            assertEquals(Recordings.Status.BITWISE, Recordings.replay(rec).get(0).status(), "Java replays its own recording exactly");
            String report = python(script("radam4j_check.py").toString(), rec.toString());
            assertTrue(report.strip().endsWith("1 passed, 0 failed"), report);
            assertTrue(report.contains("within-tolerance") || report.contains("bitwise"), report);
        }
    }
}
