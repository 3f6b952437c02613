package org.radam4j.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.radam4j.parity.Golden;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Replays golden_cpu.json (PyTorch 2.11) and requires PyTorch's results: every for-loop case bit for bit after
 * every step, every error with PyTorch's message, the mlp cases within the measured BLAS tolerance.
 */
class GoldenParityTest {

    /**
     * The one value of golden_cpu.json this libtorch (2.10) does not reproduce: at the last step of
     * float32_forloop_named, element 23 of param 0 lands one float32 ulp away, where PyTorch's update is within
     * one ulp of a rounding tie (see README, "Parity"). Every other compared value is identical; this pins the
     * deviation so that any other difference fails.
     */
    static final String KNOWN_NAMED_DEVIATION = "step 19, param 0 params: max abs diff 2.384185791015625E-7";

    /** Replays with the golden folder as base, so cases resume from its pt/ files. */
    static final ParityRunner.Settings WITH_PT = new ParityRunner.Settings(Impl.AUTO, null,
            Golden.file("golden_cpu.json").toPath().getParent());

    @TestFactory
    Stream<DynamicTest> forLoopCasesAreBitwise() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Golden.cpu().get("cases")) {
            String name = c.get("name").asText();
            if (!name.contains("forloop")) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Outcome o = CaseReplay.run(c, WITH_PT);
                if (name.equals("float32_forloop_named")) {
                    assertEquals("float32_forloop_named: FAIL " + KNOWN_NAMED_DEVIATION + ", resume FAIL " + KNOWN_NAMED_DEVIATION,
                            o.line(), "the resumed run from pt/float32_forloop_named.after5.pt meets the same ulp");
                } else {
                    assertEquals(Outcome.Status.BITWISE, o.status(), o.line());
                    if (c.has("state_dict_after")) {
                        assertEquals(name + ": bitwise, resume bitwise", o.line());
                        assertEquals("state_dict_after and pt/" + name + ".after7.pt", o.resume().from(),
                                "golden_cpu.json's state_dict_after (fixed upstream) and torch.save's file both resume");
                    }
                }
            }));
        }
        assertEquals(24, tests.size(), "golden_cpu.json has 24 for-loop cases");
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> errorsMatchPyTorch() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode e : Golden.cpu().get("errors")) {
            tests.add(DynamicTest.dynamicTest(e.get("name").asText(), () -> {
                Outcome o = ErrorScenarios.run(e);
                assertEquals(Outcome.Status.MATCHED, o.status(), o.line());
            }));
        }
        assertEquals(20, tests.size());
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> mlpWithinTolerance() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode m : Golden.cpu().get("mlp")) {
            tests.add(DynamicTest.dynamicTest(m.get("name").asText(), () -> {
                Outcome o = MlpReplay.run(m, WITH_PT);
                assertEquals(Outcome.Status.WITHIN_TOLERANCE, o.status(), o.line());
                assertEquals(Outcome.Status.WITHIN_TOLERANCE, o.resume().outcome().status(), o.line());
                assertEquals(m.get("name").asText() + ".after25.pt", o.resume().from());
            }));
        }
        assertEquals(2, tests.size());
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> foreachCasesAreBitwise() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Golden.cpu().get("cases")) {
            if (c.get("name").asText().contains("foreach")) {
                tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                        Outcome o = CaseReplay.run(c, WITH_PT);
                    assertEquals(Outcome.Status.BITWISE, o.status(), o.line());
                    if (c.has("state_dict_after")) {
                        assertEquals(c.get("name").asText() + ": bitwise, resume bitwise", o.line());
                    }
                }));
            }
        }
        assertEquals(23, tests.size());
        return tests.stream();
    }

    /**
     * The other path on each case, judged by PyTorch's dtype tolerances. One bfloat16 element is out of
     * tolerance both ways, exactly as far as PyTorch's own for-loop and foreach recordings of the same inputs
     * are from each other (step 2, param 3: 6.10e-4 vs 6.33e-4).
     */
    @TestFactory
    Stream<DynamicTest> otherPathIsWithinTolerance() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Golden.cpu().get("cases")) {
            String name = c.get("name").asText();
            Impl other = name.contains("foreach") ? Impl.FORLOOP : Impl.FOREACH;
            tests.add(DynamicTest.dynamicTest(name + " --impl " + other, () -> {
                Outcome o = CaseReplay.run(c, other);
                if (name.startsWith("bfloat16_")) {
                    assertEquals(Outcome.Status.FAIL, o.status(), o.line());
                    assertEquals("step 2, param 3 params: max abs diff 2.288818359375E-5 beyond rtol 0.016 atol 1.0E-5", o.detail());
                } else {
                    assertTrue(o.passed(), o.line());
                }
            }));
        }
        for (JsonNode m : Golden.cpu().get("mlp")) {
            tests.add(DynamicTest.dynamicTest(m.get("name").asText() + " --impl foreach", () -> {
                Outcome o = MlpReplay.run(m, Impl.FOREACH);
                assertEquals(Outcome.Status.WITHIN_TOLERANCE, o.status(), o.line());
            }));
        }
        return tests.stream();
    }

    @Test
    void forcedForLoopOnForeachCaseIsJudgedByTolerance() throws IOException {
        for (JsonNode c : Golden.cpu().get("cases")) {
            if (c.get("name").asText().equals("float64_foreach_default")) {
                Outcome o = CaseReplay.run(c, Impl.FORLOOP);
                assertEquals(Outcome.Status.WITHIN_TOLERANCE, o.status(), o.line());
                assertTrue(o.line().startsWith("float64_foreach_default: within-tolerance max_rel="), o.line());
            }
        }
    }

    @Test
    void aCorruptedExpectationIsReportedAsTheFirstMismatch() throws IOException {
        JsonNode c = null;
        for (JsonNode x : Golden.cpu().get("cases")) {
            if (x.get("name").asText().equals("float64_forloop_default")) {
                c = x.deepCopy();
            }
        }
        com.fasterxml.jackson.databind.node.ObjectNode expect = (com.fasterxml.jackson.databind.node.ObjectNode) c.get("steps").get(3).get("expect");
        expect.set("exp_avg", expect.get("exp_avg_sq"));
        Outcome o = CaseReplay.run(c, Impl.AUTO);
        assertEquals(Outcome.Status.FAIL, o.status());
        assertTrue(o.detail().startsWith("step 3, param 0 exp_avg: max abs diff"), o.line());
    }
}
