package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** {@code demo --amp}: the bfloat16 and float16 (GradScaler) runs train as the float32 one does, within 5%. */
class DemoAmpTest {

    @Test
    void mixedPrecisionRunsFollowTheFloat32One() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = DemoAmp.run();
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        Matcher m = Pattern.compile("final losses: float32 ([0-9.]+), bfloat16 ([0-9.]+), float16 ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        double f32 = Double.parseDouble(m.group(1));
        assertTrue(f32 < 0.3, "the float32 run trains: " + f32);
        for (int g = 2; g <= 3; g++) {
            double v = Double.parseDouble(m.group(g));
            assertTrue(Math.abs(v - f32) / f32 < 0.05, "run " + g + ": " + v + " against float32 " + f32 + "\n" + out);
        }
    }
}
