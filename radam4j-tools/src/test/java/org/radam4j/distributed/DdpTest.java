package org.radam4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.cli.Launch;
import org.radam4j.interop.PythonInteropTest;
import org.radam4j.io.TorchFiles;
import org.radam4j.parity.TensorCodec;

/**
 * DistributedDataParallel on 2 and 3 processes over Gloo, against one process that plays every rank in turn
 * as DDP defines it: rank 0's params and buffers broadcast when wrapped, rank 0's buffers broadcast before each
 * synced forward (not after a {@code noSync()} one), each rank's gradients accumulated over its micro-batches,
 * each times 1/world size and summed, the unused param left without a gradient. Checked after every step: the
 * gradients RAdam stepped with (bit for bit on 2 ranks; on 3, where Gloo's ring sums three terms in an order
 * that depends on the chunk, to 1 ulp-scale tolerance), the params (bit for bit, RAdam replayed from those
 * gradients), the BatchNorm buffers of every rank (bit for bit), and every rank holding the same params. On a
 * presets Module (2 and 3 ranks) and on a TorchScript module Python saved (2 ranks; skipped without a Python with
 * torch unless {@code RADAM4J_REQUIRE_PYTHON} is set).
 */
class DdpTest {

    private static final int STEPS = 4;
    private static final int MICRO = 2;

    @TempDir
    Path dir;

    private static void copy(List<Tensor> into, List<Tensor> from) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < into.size(); i++) {
                into.get(i).copy_(from.get(i));
            }
        }
    }

    private static List<Tensor> clones(List<Tensor> ts) {
        List<Tensor> out = new ArrayList<>();
        ts.forEach(t -> out.add(t.detach().clone()));
        return out;
    }

    private static void assertBits(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(TensorCodec.bytes(expected), TensorCodec.bytes(actual), what);
    }

    @TestFactory
    Stream<DynamicTest> ddpMatchesOneProcessPlayingEveryRank() {
        return Stream.of(2, 3).map(n -> DynamicTest.dynamicTest(n + " ranks", () -> run(n, "net")));
    }

    /** The same on a TorchScript module (Linear, BatchNorm1d, ReLU, Linear) that Python scripted and saved. */
    @Test
    void aTorchScriptModuleOnTwoRanks() throws Exception {
        PythonInteropTest.findPython();
        PythonInteropTest.script("/python/jit_model.py", "make", dir.toString());
        run(2, "jit:" + dir);
    }

    /** Ranks whose params differ in shape all fail when wrapping, with c10d's message naming the mismatch. */
    @Test
    void ranksWithDifferentParamsFailWhenWrapping() throws Exception {
        List<Process> procs = Launch.start(2, DdpMismatchCheck.class.getName(), List.of(), Map.of(), true);
        for (Process p : procs) {
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "no rank hangs");
        }
        for (int r = 0; r < 2; r++) {
            assertEquals(3, procs.get(r).exitValue(), "rank " + r + " failed with c10d's message (see its output)");
        }
    }

    private void run(int n, String model) throws Exception {
        String prefix = dir.resolve("ddp" + n).toString();
        List<Process> procs = Launch.start(n, DdpCheck.class.getName(), List.of(prefix, Integer.toString(STEPS),
                Integer.toString(MICRO), model), Map.of(), true);
        assertEquals(0, Launch.waitAll(procs, 240_000), "every rank exits 0");
        try (PointerScope scope = new PointerScope()) {
            check(n, prefix, model);
        }
    }

    /**
     * The overlap: on a model whose gradients fill 7 buckets, the hook on the gradient computed last already sees
     * a bucket's all-reduce started, so communication began while backward was still computing; every bucket's
     * all-reduce has started (and, as {@code backward} returned, finished) by the end.
     */
    @TestFactory
    Stream<DynamicTest> bucketsAreAllReducedDuringBackward() {
        return Stream.of(2).map(n -> DynamicTest.dynamicTest(n + " ranks", () -> {
            String prefix = dir.resolve("overlap" + n).toString();
            List<Process> procs = Launch.start(n, DdpOverlapCheck.class.getName(), List.of(prefix), Map.of(), true);
            assertEquals(0, Launch.waitAll(procs, 240_000), "every rank exits 0");
            for (int r = 0; r < n; r++) {
                String[] f = java.nio.file.Files.readString(Path.of(prefix + "-" + r + ".txt")).trim().split(" ");
                long before = Long.parseLong(f[0]);
                long inHook = Long.parseLong(f[1]);
                long after = Long.parseLong(f[2]);
                assertTrue(after - before >= 4, "rank " + r + ": at least 4 bucket all-reduces per backward, got " + (after - before));
                assertTrue(inHook > before, "rank " + r + ": a bucket's all-reduce started before the last gradient was computed "
                        + "(collectives: " + before + " before backward, " + inHook + " in the last gradient's hook)");
                assertTrue(inHook < after, "rank " + r + ": the last bucket's all-reduce starts after the last gradient");
            }
        }));
    }

    @SuppressWarnings("unchecked")
    private static void check(int n, String prefix, String model) throws Exception {
        List<Map<String, Object>> ranks = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ranks.add((Map<String, Object>) TorchFiles.load(Path.of(prefix + "-" + r + ".pt")));
        }
        DdpReplica net = DdpReplica.of(model, 0);
        List<Tensor> params = net.params();
        List<Tensor> buffers = net.buffers();
        for (int r = 0; r < n; r++) {
            List<Object> initial = (List<Object>) ranks.get(r).get("initial");
            for (int i = 0; i < params.size(); i++) {
                assertBits(params.get(i), (Tensor) initial.get(i), "rank " + r + " param " + i + " after wrapping is rank 0's");
            }
        }
        assertTrue(DdpReplica.of(model, 1).params().get(0).ne(params.get(0)).any().item_bool(), "the ranks start from different params");
        RAdam opt = new RAdam(params, RAdamOptions.builder().lr(0.01).build());
        List<List<Tensor>> rankBuffers = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            rankBuffers.add(clones(buffers));
        }
        boolean forwardSync = true;
        for (int s = 0; s < STEPS; s++) {
            List<List<Tensor>> acc = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                acc.add(new ArrayList<>());
            }
            for (int m = 0; m < MICRO; m++) {
                if (forwardSync) {
                    for (int r = 1; r < n; r++) {
                        rankBuffers.set(r, clones(rankBuffers.get(0)));
                    }
                }
                for (int r = 0; r < n; r++) {
                    copy(buffers, rankBuffers.get(r));
                    opt.zeroGrad();
                    net.loss(s, m, r).backward();
                    rankBuffers.set(r, clones(buffers));
                    for (int i = 0; i < params.size(); i++) {
                        Tensor g = params.get(i).grad();
                        boolean has = g != null && !g.isNull() && g.defined();
                        if (m == 0) {
                            acc.get(r).add(has ? g.clone() : null);
                        } else if (has) {
                            Tensor a = acc.get(r).get(i);
                            acc.get(r).set(i, a == null ? g.clone() : a.add(g));
                        }
                    }
                }
                forwardSync = m == MICRO - 1;
            }
            List<Object> recorded = (List<Object>) ((List<Object>) ranks.get(0).get("grads")).get(s);
            for (int i = 0; i < params.size(); i++) {
                Tensor avg = null;
                for (int r = 0; r < n; r++) {
                    Tensor a = acc.get(r).get(i);
                    if (a != null) {
                        Tensor part = a.mul(new Scalar(1.0 / n));
                        avg = avg == null ? part : avg.add(part);
                    }
                }
                Tensor got = (Tensor) recorded.get(i);
                String what = "step " + s + " param " + i + " gradient";
                if (avg == null) {
                    assertEquals(0, got.numel(), what + ": a param no rank used keeps no gradient");
                } else if (n == 2) {
                    assertBits(avg, got, what);
                } else {
                    assertTrue(torch.allclose(avg, got, 1e-6, 1e-7, false), what);
                }
                for (int r = 1; r < n; r++) {
                    Tensor other = (Tensor) ((List<Object>) ((List<Object>) ranks.get(r).get("grads")).get(s)).get(i);
                    assertBits(got, other, what + " on rank " + r);
                }
                params.get(i).mutable_grad().put(got.numel() == 0 && avg == null ? new Tensor() : got.clone());
            }
            opt.step();
            for (int r = 0; r < n; r++) {
                List<Object> ps = (List<Object>) ((List<Object>) ranks.get(r).get("params")).get(s);
                List<Object> bs = (List<Object>) ((List<Object>) ranks.get(r).get("buffers")).get(s);
                for (int i = 0; i < params.size(); i++) {
                    assertBits(params.get(i), (Tensor) ps.get(i), "step " + s + " rank " + r + " param " + i);
                }
                for (int i = 0; i < buffers.size(); i++) {
                    assertBits(rankBuffers.get(r).get(i), (Tensor) bs.get(i), "step " + s + " rank " + r + " buffer " + i);
                }
            }
        }
    }
}
