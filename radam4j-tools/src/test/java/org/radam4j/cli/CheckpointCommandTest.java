package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.interop.PythonInteropTest;
import org.radam4j.io.TorchFiles;

/**
 * {@code checkpoint copy} and {@code show} on a file Python 1.13 wrote (Parameters, torch.Size, bytes, sets, a
 * device, a dtype, shared views, tied weights, a BatchNorm state dict with int64 and bool buffers), and the
 * streaming round trip Java -> Python -> Java in a JVM with a 64 MB heap. Skipped without such a Python, unless
 * {@code RADAM4J_REQUIRE_PYTHON} is set.
 */
class CheckpointCommandTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() throws Exception {
        PythonInteropTest.findPython();
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    private static String python(String code, String... args) throws Exception {
        assumeTrue(PythonInteropTest.python != null, "no python3 with torch (apt-get install python3-torch)");
        List<String> cmd = new ArrayList<>(List.of(PythonInteropTest.python, "-c", code));
        cmd.addAll(List.of(args));
        return run(cmd).strip();
    }

    @Test
    @SuppressWarnings("unchecked")
    void aPythonFileCopiesThroughJavaUnchanged() throws Exception {
        Path in = dir.resolve("python.pt");
        Path out = dir.resolve("copy.pt");
        python("import sys, torch\n"
                + "bn = torch.nn.BatchNorm1d(4); bn(torch.randn(8, 4))\n"
                + "t = torch.arange(12.).reshape(3, 4)\n"
                + "d = {'bn': bn.state_dict(), 'mask': torch.tensor([True, False, True]), 'p': torch.nn.Parameter(torch.ones(2)),\n"
                + "     'size': torch.Size([2, 3]), 'b': b'a\\xffb', 's': {1, 2}, 'dev': torch.device('cpu'), 'dt': torch.bfloat16,\n"
                + "     'w': t, 'row': t[1], 'tied': t, 'n': 3, 'ts': {t[0]}, 'tk': {t[2]: 'x'}}\n"
                + "torch.save(d, sys.argv[1])", in.toString());
        try (PointerScope scope = new PointerScope()) {
            Map<String, Object> m = (Map<String, Object>) TorchFiles.load(in);
            Map<String, Object> bn = (Map<String, Object>) m.get("bn");
            assertEquals(1L, ((Tensor) bn.get("num_batches_tracked")).item_long(), "an int64 buffer");
            assertEquals("bool", org.radam4j.internal.Dtypes.name((Tensor) m.get("mask")).replace("torch.", ""));
        }
        assertEquals(0, Checkpoint.run(List.of("copy", in.toString(), out.toString())));
        assertEquals("True", python("import sys, torch\n"
                + "a = torch.load(sys.argv[1]); b = torch.load(sys.argv[2])\n"
                + "same = lambda x, y: type(x) is type(y) and (torch.equal(x, y) if torch.is_tensor(x) else (all(same(x[k], y[k]) for k in x) and x.keys() == y.keys()) if isinstance(x, dict) else x == y)\n"
                + "ta, tb = a.pop('ts'), b.pop('ts'); ka, kb = a.pop('tk'), b.pop('tk')\n"
                + "ok = same(a, b) and b['p'].requires_grad and b['row'].storage().data_ptr() == b['w'].storage().data_ptr()\n"
                + "ok = ok and b['tied'].storage().data_ptr() == b['w'].storage().data_ptr() and type(b['size']) is torch.Size\n"
                + "ok = ok and type(b['p']) is torch.nn.Parameter and b['bn']._metadata == a['bn']._metadata\n"
                + "ok = ok and len(tb) == 1 and torch.equal(next(iter(tb)), next(iter(ta))) and list(kb.values()) == ['x']\n"
                + "ok = ok and torch.equal(next(iter(kb)), next(iter(ka)))\n"
                + "torch.nn.BatchNorm1d(4).load_state_dict(b['bn'])\n"
                + "print(ok and b['b'] == a['b'] and b['s'] == {1, 2} and b['dt'] is torch.bfloat16 and b['dev'] == torch.device('cpu'))",
                in.toString(), out.toString()));
        assertEquals(0, Checkpoint.run(List.of("show", out.toString())));
    }

    @Test
    void showPrintsContainersThatHoldThemselves() throws Exception {
        Path in = dir.resolve("self.pt");
        python("import sys, torch\nl = [1]; l.append(l); d = {'k': 2}; d['me'] = d\ntorch.save({'l': l, 'd': d}, sys.argv[1])",
                in.toString());
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Checkpoint.run(List.of("show", in.toString())));
        } finally {
            System.setOut(old);
        }
        String shown = buf.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains("[1]: the list above (it contains itself)"), shown);
        assertTrue(shown.contains("'me': the dict above (it contains itself)"), shown);
    }

    @Test
    void theStreamingRoundTripRunsInA64MbHeap() throws Exception {
        assumeTrue(PythonInteropTest.python != null, "no python3 with torch (apt-get install python3-torch)");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.radam4j.cli.Main", "checkpoint", "bench-child",
                "0.3", dir.toString(), PythonInteropTest.python));
        String out = run(cmd);
        assertTrue(out.contains("identical, sharing kept"), out);
        assertTrue(out.contains("JVM max heap 64 MB") || out.contains("JVM max heap 6"), out);
    }
}
