package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.parity.Golden;
import org.radam4j.io.Recordings;
import org.radam4j.io.TorchFiles;

/**
 * golden_cpu.json's 47 optimizer cases, converted into the recording format, replay as the golden replay does:
 * bitwise for the for-loop cases but {@code float32_forloop_named} (one ulp, PyTorch's own op is one ulp off
 * there), and the verdicts name the first element that differs when a recording is tampered with.
 */
class ConvertGoldenTest {

    @TempDir
    Path dir;

    @Test
    void theGoldenCasesReplayAsRecordings() throws Exception {
        Path file = dir.resolve("golden.pt");
        try (PointerScope scope = new PointerScope()) {
            TorchFiles.save(ConvertGolden.convert(Golden.cpu()), file);
        }
        List<Recordings.Verdict> verdicts = Recordings.replay(file);
        assertEquals(47, verdicts.size());
        for (Recordings.Verdict v : verdicts) {
            if (v.name().equals("float32_forloop_named")) {
                assertEquals(Recordings.Status.WITHIN_TOLERANCE, v.status(), v.toString());
                assertEquals(1, v.maxUlp());
            } else if (v.name().contains("forloop")) {
                assertEquals(Recordings.Status.BITWISE, v.status(), v.toString());
            } else {
                assertTrue(v.passed(), v.toString());
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aTamperedRecordingFailsAtItsFirstDifference() throws Exception {
        Path file = dir.resolve("tampered.pt");
        try (PointerScope scope = new PointerScope()) {
            Map<String, Object> rec = ConvertGolden.convert(Golden.cpu());
            List<Object> cases = (List<Object>) rec.get("cases");
            Map<String, Object> first = (Map<String, Object>) cases.get(0);
            Map<String, Object> step3 = (Map<String, Object>) ((List<Object>) first.get("steps")).get(2);
            Tensor p = (Tensor) ((List<Object>) ((Map<String, Object>) step3.get("expect")).get("params")).get(1);
            p.view(-1).narrow(0, 4, 1).add_(new Scalar(1e-3));
            rec.put("cases", List.of(first));
            TorchFiles.save(rec, file);
        }
        Recordings.Verdict v = Recordings.replay(file).get(0);
        assertEquals(Recordings.Status.FAIL, v.status());
        assertTrue(v.toString().startsWith("float32_forloop_default: FAIL step 3, param 1 params element 4: java "), v.toString());
    }
}
