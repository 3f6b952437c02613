package org.radam4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.RAdam;
import org.radam4j.cli.Launch;
import org.radam4j.io.TorchFiles;
import org.radam4j.parity.PyValues;
import org.radam4j.parity.TensorCodec;
import org.radam4j.dist.DistGroup;

/**
 * ZeroRedundancyRAdam on 2 and 3 processes over Gloo on 127.0.0.1, on every path: params equal bit for bit to a
 * single-process RAdam given the same averaged gradients, the consolidated state dict equal to that RAdam's, and
 * a run saved at 2 ranks resumed at 3 continuing bit for bit.
 */
class DistTest {

    @TempDir
    Path dir;

    private static void launch(int n, List<String> args) throws Exception {
        List<Process> procs = Launch.start(n, DistCheck.class.getName(), args, Map.of(), true);
        assertEquals(0, Launch.waitAll(procs, 240_000), "every rank exits 0");
    }

    /** A single-process RAdam fed the recorded averaged gradients, from the start or from a saved run. */
    @SuppressWarnings("unchecked")
    private static RAdam replay(String path, List<Tensor> ps, List<Object> gradSteps, RAdam opt) {
        RAdam o = opt != null ? opt : new RAdam(DistCheck.groups(ps), DistCheck.defaults(path));
        for (Object step : gradSteps) {
            List<Object> grads = (List<Object>) step;
            for (int i = 0; i < ps.size(); i++) {
                ps.get(i).mutable_grad().put(((Tensor) grads.get(i)).clone());
            }
            o.step();
        }
        return o;
    }

    @SuppressWarnings("unchecked")
    private static void assertSame(List<Tensor> ps, RAdam single, Map<String, Object> result) {
        List<Object> params = (List<Object>) result.get("params");
        for (int i = 0; i < ps.size(); i++) {
            assertArrayEquals(TensorCodec.bytes(ps.get(i).detach()), TensorCodec.bytes((Tensor) params.get(i)), "param " + i);
        }
        assertNull(PyValues.difference(single.stateDict(), result.get("optimizer"), "state_dict"),
                "the consolidated state dict is the single-process one");
    }

    @TestFactory
    @SuppressWarnings("unchecked")
    Stream<DynamicTest> zeroMatchesASingleProcessBitForBit() {
        return Stream.of("forloop", "foreach", "fused", "fused+views").flatMap(path -> Stream.of(2, 3).map(n -> DynamicTest.dynamicTest(
                path + " on " + n + " ranks", () -> {
                    Path out = dir.resolve(path + n + ".pt");
                    launch(n, List.of(out.toString(), "7", path));
                    try (PointerScope scope = new PointerScope()) {
                        Map<String, Object> result = (Map<String, Object>) TorchFiles.load(out);
                        List<Tensor> ps = DistCheck.params();
                        RAdam single = replay(path, ps, (List<Object>) result.get("grads"), null);
                        assertSame(ps, single, result);
                    }
                })));
    }

    @TestFactory
    @SuppressWarnings("unchecked")
    Stream<DynamicTest> aRunSavedAtTwoRanksResumesAtThree() {
        return Stream.of("forloop", "foreach", "fused").map(path -> DynamicTest.dynamicTest(path, () -> {
            Path two = dir.resolve(path + "-two.pt");
            Path three = dir.resolve(path + "-three.pt");
            launch(2, List.of(two.toString(), "4", path));
            launch(3, List.of(three.toString(), "4", path, two.toString()));
            try (PointerScope scope = new PointerScope()) {
                Map<String, Object> first = (Map<String, Object>) TorchFiles.load(two);
                Map<String, Object> second = (Map<String, Object>) TorchFiles.load(three);
                List<Tensor> ps = DistCheck.params();
                RAdam single = replay(path, ps, (List<Object>) first.get("grads"), null);
                replay(path, ps, (List<Object>) second.get("grads"), single);
                assertSame(ps, single, second);
            }
        }));
    }

    /**
     * A rank that dies, and one that stays alive but stops calling collectives, make the others fail within the
     * timeout (5 s here) plus 2 s, with a message that names it.
     */
    @TestFactory
    Stream<DynamicTest> aDeadOrStuckRankMakesTheOthersFailNamingIt() {
        return Stream.of("die", "stuck").map(mode -> DynamicTest.dynamicTest(mode, () -> {
            Path d = java.nio.file.Files.createDirectories(dir.resolve(mode));
            List<Process> procs = Launch.start(3, DistDie.class.getName(), List.of(d.toString(), mode), Map.of(), true);
            for (int r : new int[] {0, 2}) {
                org.junit.jupiter.api.Assertions.assertTrue(procs.get(r).waitFor(60, java.util.concurrent.TimeUnit.SECONDS),
                        "rank " + r + " does not hang");
                assertEquals(2, procs.get(r).exitValue(), "rank " + r + " failed with an IllegalStateException");
            }
            procs.forEach(Process::destroyForcibly);
            long event = Long.parseLong(java.nio.file.Files.readString(d.resolve("event.txt")).trim());
            for (int r : new int[] {0, 2}) {
                String[] f = java.nio.file.Files.readString(d.resolve("failure-" + r + ".txt")).split("\n", 2);
                double seconds = (Long.parseLong(f[0]) - event) / 1e3;
                org.junit.jupiter.api.Assertions.assertTrue(seconds < 5 + 2, "rank " + r + " failed " + seconds + " s after rank 1 "
                        + (mode.equals("die") ? "died" : "stopped calling collectives") + ", goal: within the timeout (5 s) plus 2 s");
                org.junit.jupiter.api.Assertions.assertTrue(f[1].startsWith("rank " + r + ": ") && f[1].contains("rank 1 "), f[1]);
                org.junit.jupiter.api.Assertions.assertFalse(f[1].contains(".cc:") || f[1].contains("frame #"), f[1]);
            }
        }));
    }

    /**
     * Groups and DDPs built and closed inside and outside a {@code PointerScope}, on 2 ranks, under glibc's heap
     * checks ({@code libc_malloc_debug.so} with {@code MALLOC_CHECK_=3}): a store freed while a backend still
     * held it, as the group once did, aborts there. Skipped where glibc has no debug library.
     */
    @org.junit.jupiter.api.Test
    void groupsAndDdpsCloseCleanlyUnderGlibcsHeapChecks() throws Exception {
        Path debug = Path.of("/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(debug), "no " + debug);
        for (int round = 0; round < 2; round++) {
            List<Process> procs = Launch.start(2, DistLifecycleCheck.class.getName(), List.of(),
                    Map.of("LD_PRELOAD", debug.toString(), "MALLOC_CHECK_", "3"), true);
            assertEquals(0, Launch.waitAll(procs, 120_000), "every rank closes without a heap error");
        }
    }

    /** NCCL (CUDA params) without the presets' CUDA build is a clear error, not a crash. */
    @org.junit.jupiter.api.Test
    void ncclWithoutTheCudaBuildIsAClearError() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(org.bytedeco.pytorch.global.torch.cuda_is_available(), "a CUDA build");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> DistGroup.create("127.0.0.1", Launch.freePort(), 0, 1, java.time.Duration.ofSeconds(5), true));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("NCCL"), e.getMessage());
    }
}
