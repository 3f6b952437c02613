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
 * A GradScaler's state dict between Java and Python's own GradScaler class: Java's file, loaded by Python's
 * {@code load_state_dict}, gives back the same {@code state_dict()} (keys, order, values, the types PyTorch has:
 * float scale and factors, int interval and tracker); the {@code state_dict()} of a scaler Python built loads into
 * Java's. PyTorch 2.3+ has {@code torch.amp.GradScaler("cpu")}; Debian's 1.13 has only
 * {@code torch.cuda.amp.GradScaler}, which disables itself without CUDA, so the script builds it with
 * {@code torch.cuda.is_available} reporting true (its constructor and state dict code run no CUDA op).
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
                + "def scaler(**kw):\n"
                + "    if hasattr(torch, 'amp') and hasattr(torch.amp, 'GradScaler'):\n"
                + "        return torch.amp.GradScaler('cpu', **kw)\n"
                + "    available, torch.cuda.is_available = torch.cuda.is_available, lambda: True\n"
                + "    try:\n"
                + "        return torch.cuda.amp.GradScaler(**kw)\n"
                + "    finally:\n"
                + "        torch.cuda.is_available = available\n"
                + "s = scaler()\n"
                + "s.load_state_dict(torch.load(sys.argv[1]))\n"
                + "d = s.state_dict()\n"
                + "print(list(d.keys()), [type(v).__name__ for v in d.values()], list(d.values()), s.get_scale())\n"
                + "other = scaler(init_scale=256.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=9)\n"
                + "other.load_state_dict(dict(other.state_dict(), _growth_tracker=3))\n"
                + "torch.save(other.state_dict(), sys.argv[2])",
                fromJava.toString(), fromPython.toString())).strip();
        assertEquals("['scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker'] "
                + "['float', 'float', 'float', 'int', 'int'] [1024.0, 2.0, 0.5, 7, 0] 1024.0", out);
        @SuppressWarnings("unchecked")
        Map<String, ?> sd = (Map<String, ?>) TorchFiles.load(fromPython);
        GradScaler back = new GradScaler("cpu");
        back.loadStateDict(sd);
        assertEquals(256.0, back.getScale());
        assertEquals(Map.of("scale", 256.0, "growth_factor", 4.0, "backoff_factor", 0.25, "growth_interval", 9L,
                "_growth_tracker", 3L), back.stateDict());
    }
}
