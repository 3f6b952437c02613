package org.radam4j.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.GradScaler;
import org.radam4j.NativeScope;
import org.radam4j.io.TorchFiles;

/**
 * A GradScaler's state dict between Java and Python: Java's file loads in Python with the types PyTorch 2.x's
 * {@code GradScaler.state_dict()} has (float scale and factors, int interval and tracker), and a dict of that
 * layout written by Python loads into Java's scaler. Debian's PyTorch 1.13 has no CPU GradScaler to load it
 * into, so Python's side checks the layout and types.
 */
@ExtendWith(NativeScope.class)
class GradScalerInteropTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() throws Exception {
        PythonInteropTest.findPython();
    }

    @Test
    void stateDictsCrossBothWays() throws Exception {
        GradScaler saved = new GradScaler("cpu", 1024.0, 2.0, 0.5, 7, true);
        saved.scale(torch.ones(1));
        Path fromJava = dir.resolve("java.pt");
        TorchFiles.save(saved.stateDict(), fromJava);
        Path fromPython = dir.resolve("python.pt");
        String out = PythonInteropTest.run(java.util.List.of(PythonInteropTest.python, "-c",
                "import sys, torch\n"
                + "d = torch.load(sys.argv[1])\n"
                + "types = [type(d[k]).__name__ for k in ['scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker']]\n"
                + "print(list(d.keys()), types, d['scale'])\n"
                + "torch.save({'scale': 256.0, 'growth_factor': 4.0, 'backoff_factor': 0.25, 'growth_interval': 9, '_growth_tracker': 3}, sys.argv[2])",
                fromJava.toString(), fromPython.toString())).strip();
        assertEquals("['scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker'] "
                + "['float', 'float', 'float', 'int', 'int'] 1024.0", out);
        @SuppressWarnings("unchecked")
        Map<String, ?> sd = (Map<String, ?>) TorchFiles.load(fromPython);
        GradScaler back = new GradScaler("cpu");
        back.loadStateDict(sd);
        assertEquals(256.0, back.getScale());
        assertEquals(Map.of("scale", 256.0, "growth_factor", 4.0, "backoff_factor", 0.25, "growth_interval", 9L,
                "_growth_tracker", 3L), back.stateDict());
    }
}
