package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.Libtorch;

class BenchTest {

    static {
        Libtorch.load();
    }

    @Test
    void aPeerRowIsMeasuredBesideTheFusedOneAndTheJsonNamesTheCpuAndThePlan(@TempDir Path dir) throws Exception {
        File json = dir.resolve("b.json").toFile();
        int threads = torch.get_num_threads();
        try {
            assertEquals(0, Bench.run(List.of("--rows", "2x1000:bfloat16,3x1000", "--impl", "fused", "--peer", "--steps", "10",
                    "--json", json.toString())));
        } finally {
            torch.set_num_threads(threads);
        }
        String doc = Files.readString(json.toPath());
        assertEquals(4, doc.split("\"median_ms\"", -1).length - 1, doc);
        assertTrue(doc.contains("\"impl\" : \"peer\""), doc);
        assertTrue(doc.contains("\"fused_plans\" : \"bfloat16="), doc);
        assertTrue(doc.contains("\"cpu\""), doc);
    }

    @Test
    void theScanRowCountsGradientBytesAndRoundsGiveMedians(@TempDir Path dir) throws Exception {
        File json = dir.resolve("c.json").toFile();
        int threads = torch.get_num_threads();
        try {
            assertEquals(0, Bench.run(List.of("--rows", "3x100000", "--impl", "fused,fused_check", "--steps", "10",
                    "--rounds", "2", "--json", json.toString())));
            assertEquals(2, Bench.run(List.of("--rows", "3x100000", "--rounds", "0")));
        } finally {
            torch.set_num_threads(threads);
        }
        com.fasterxml.jackson.databind.JsonNode rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("rows");
        assertEquals("fused_check", rows.get(1).get("impl").asText());
        double scan = rows.get(1).get("median_ms").asDouble();
        assertEquals(3 * 100000 * 4 / (scan / 1e3) / 1e9, rows.get(1).get("gbps").asDouble(), 1e-6);
        com.fasterxml.jackson.databind.JsonNode rounds = rows.get(1).get("round_ms");
        assertEquals(2, rounds.size());
        assertEquals((rounds.get(0).asDouble() + rounds.get(1).asDouble()) / 2, scan, 1e-9, "the median of two rounds");
    }

    @Test
    void anUnknownModelIsAUsageError() throws Exception {
        assertEquals(2, Bench.run(List.of("--model", "llama")));
    }
}
