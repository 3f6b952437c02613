package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** {@code dist-bench} on a small model, one round, without Python or the failure runs: a row per rank at 1, 2, 3 ranks. */
class DistBenchTest {

    @Test
    void aRowPerRankWithItsStateShareAndPhases() throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true));
            code = DistBench.run(List.of("--elements", "0.05", "--steps", "3", "--rounds", "1", "--python", "none",
                    "--failures", "no"));
        } finally {
            System.setOut(out);
        }
        String text = captured.toString();
        out.print(text);
        assertEquals(0, code, text);
        Matcher m = Pattern.compile("(?m)^\\s+(\\d)\\s+(\\d)\\s+[0-9.]+\\s+([0-9.]+)%\\s+([0-9.]+)\\s+-\\s+-\\s+[0-9.]+ / [0-9.]+ / [0-9.]+ \\| -$")
                .matcher(text);
        int rows = 0;
        double share3 = 0;
        while (m.find()) {
            rows++;
            if (m.group(1).equals("3")) {
                share3 += Double.parseDouble(m.group(3));
            }
            assertTrue(Double.parseDouble(m.group(4)) > 0, m.group());
        }
        assertEquals(6, rows, text);
        assertTrue(Math.abs(share3 - 100) < 1, "3 ranks hold the whole state between them: " + share3 + "%");
    }
}
