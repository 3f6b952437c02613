package org.radam4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The first start of a JVM on an empty JavaCPP cache, in a child JVM each (issue: SIGSEGV on the first launch). */
class FirstLaunchTest {

    /** The child: loads libtorch the way {@code args[0]} says, then computes with it. */
    public static void main(String[] args) {
        if (args[0].equals("radam4j")) {
            Libtorch.load();
        }
        System.out.println("sum " + torch.ones(3, 3).sum().item_double());
    }

    private static Result child(Path cache, String how) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + cache, "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                FirstLaunchTest.class.getName(), how));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).directory(cache.getParent().toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }

    private record Result(int exit, String output) {
    }

    @Test
    void libtorchLoadsOnTheFirstStartWithAnEmptyCache(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("new-cache");
        Result first = child(cache, "radam4j");
        assertEquals(0, first.exit(), first.output());
        assertTrue(first.output().contains("sum 9.0"), first.output());
        assertTrue(Files.isRegularFile(cache.resolve("pytorch-2.10.0-1.5.13-linux-x86_64.jar/org/bytedeco/pytorch/linux-x86_64/libtorch_cpu.so")));
        Result second = child(cache, "radam4j");
        assertEquals(0, second.exit(), second.output());
    }

    /**
     * The cause, shown: with another libtorch in the system's library path (Debian's python3-torch), a plain
     * JavaCPP load on an empty cache loads it next to the presets' and the JVM dies. If this starts to pass,
     * JavaCPP has fixed the order and {@link Libtorch} could go.
     */
    @Test
    void withoutItTheFirstStartLoadsTheSystemsLibtorch(@TempDir Path dir) throws Exception {
        assumeTrue(new File("/usr/lib/x86_64-linux-gnu/libtorch_cpu.so").exists(), "no system libtorch on this machine");
        Result plain = child(dir.resolve("new-cache"), "plain");
        assertNotEquals(0, plain.exit(), plain.output());
        assertTrue(plain.output().contains("SIGSEGV"), plain.output());
    }
}
