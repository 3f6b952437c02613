package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.parity.Golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code scripts/radam4j parity}: its lines, its closing line and its exit status. */
class ParityCliTest {

    @TempDir
    Path dir;

    private record Result(int rc, List<String> lines) {
    }

    private static Result parity(String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int rc = Main.parity(List.of(args));
            return new Result(rc, List.of(buf.toString(StandardCharsets.UTF_8).split("\n")));
        } finally {
            System.setOut(old);
        }
    }

    private Path subset(String caseName, boolean corrupt) throws Exception {
        JsonNode root = Golden.cpu();
        ObjectNode out = new ObjectMapper().createObjectNode();
        ArrayNode cases = out.putArray("cases");
        for (JsonNode c : root.get("cases")) {
            if (c.get("name").asText().equals(caseName)) {
                ObjectNode copy = c.deepCopy();
                if (corrupt) {
                    ((ObjectNode) copy.get("steps").get(2).get("expect")).set("params", copy.get("steps").get(1).get("expect").get("params"));
                }
                cases.add(copy);
            }
        }
        out.putArray("errors").add(root.get("errors").get(0));
        Path f = dir.resolve(caseName + (corrupt ? ".bad" : "") + ".json");
        new ObjectMapper().writeValue(f.toFile(), out);
        return f;
    }

    @Test
    void passingFile() throws Exception {
        Result r = parity(subset("float64_forloop_wd_l2", false).toString());
        assertEquals(List.of("float64_forloop_wd_l2: bitwise", "error:lr_negative: matched", "2 passed, 0 failed, 0 skipped"), r.lines());
        assertEquals(0, r.rc());
    }

    @Test
    void mismatchNamesStepAndTensorAndFails() throws Exception {
        Result r = parity(subset("float32_forloop_default", true).toString());
        assertTrue(r.lines().get(0).startsWith("float32_forloop_default: FAIL step 2, param 0 params: max abs diff "), r.lines().get(0));
        assertEquals("1 passed, 1 failed, 0 skipped", r.lines().get(2));
        assertEquals(1, r.rc());
    }

    @Test
    void forcedPathIsJudgedByTolerance() throws Exception {
        Result r = parity("--impl", "forloop", subset("float32_foreach_maximize", false).toString());
        assertTrue(r.lines().get(0).startsWith("float32_foreach_maximize: within-tolerance max_rel="), r.lines().get(0));
        assertEquals(0, r.rc());
    }

    @Test
    void invalidInputIsReportedNotThrown() throws Exception {
        Path junk = dir.resolve("junk.json");
        Files.writeString(junk, "{\"cases\": [{\"name\": \"x\", \"init\": [{\"dtype\": \"float32\", \"shape\": [2], \"b64\": \"AAAA\"}],"
                + " \"groups\": [{\"params\": [0]}], \"steps\": []}]");
        Result r = parity(junk.toString(), dir.resolve("missing.json").toString());
        assertTrue(r.lines().get(0).contains("FAIL") && r.lines().get(0).contains("not valid JSON"), r.lines().get(0));
        assertTrue(r.lines().get(1).endsWith("missing.json: FAIL no such file"), r.lines().get(1));
        assertEquals(1, r.rc());

        Files.writeString(junk, "{\"cases\": [{\"name\": \"x\", \"init\": [{\"dtype\": \"float32\", \"shape\": [2], \"b64\": \"AAAA\"}],"
                + " \"groups\": [{\"params\": [0]}], \"steps\": []}]}");
        r = parity(junk.toString());
        assertEquals("x: FAIL invalid case: tensor of dtype float32 and shape [2] needs 8 bytes, but 'b64' holds 3", r.lines().get(0));
        assertEquals(2, parity("--impl", "sideways", junk.toString()).rc());
    }
}
