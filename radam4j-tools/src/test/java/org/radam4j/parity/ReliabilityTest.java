package org.radam4j.parity;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.fuzz.CheckpointFuzzer;
import org.radam4j.fuzz.StateDictFuzzer;
import org.radam4j.parity.CaseReplayAccess;
import org.radam4j.parity.MlpModel;
import org.radam4j.parity.Outcome;
import org.radam4j.parity.TensorCodec;

import com.fasterxml.jackson.databind.JsonNode;
import org.radam4j.RAdamOptions;
import org.radam4j.RAdam;

/**
 * Long-run safety: fixed-seed fuzzing of loadStateDict and of the checkpoint reader, no handle growth over a
 * short training run, closing, and the thread-safety contract.
 */
class ReliabilityTest {

    @TempDir
    Path dir;

    private static JsonNode goldenCase(String name) throws Exception {
        for (JsonNode c : Golden.cpu().get("cases")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalStateException(name);
    }

    @Test
    void fuzzedStateDictsLoadOrAreRefusedAndChangeNothing() throws Exception {
        StateDictFuzzer.Report r = StateDictFuzzer.run(goldenCase("float32_forloop_two_groups"),
                Golden.file("pt/float32_forloop_two_groups.after7.pt").toPath(), 2000, 20261128L);
        assertEquals(List.of(), r.problems());
        assertEquals(2000, r.loaded() + r.refused());
        assertTrue(r.refused() > 1500 && r.loaded() > 20, r.toString());
        assertTrue(r.goldenAfter(), "after 2000 attempts the optimizer still continues PyTorch's run bit for bit");
    }

    @Test
    void damagedCheckpointsAreRefusedWithAClearException() throws Exception {
        List<Path> pts = new ArrayList<>();
        try (var files = Files.list(Golden.file("pt/mlp_float32.after25.pt").toPath().getParent())) {
            files.sorted().forEach(pts::add);
        }
        CheckpointFuzzer.Report r = CheckpointFuzzer.run(pts, dir, 400, 20261128L);
        assertEquals(List.of(), r.problems());
        assertTrue(r.refused() > 300, r.toString());
    }

    /** A short training run frees every temporary as it goes: the number of live native handles does not grow. */
    @Test
    void noNativeHandlesAccumulateWhileTraining() throws Exception {
        for (RAdamOptions o : List.of(RAdamOptions.builder().foreach(false).build(), RAdamOptions.builder().foreach(true).build(),
                RAdamOptions.builder().fused(true).build())) {
            try (PointerScope scope = new PointerScope()) {
                MlpModel model = new MlpModel(org.bytedeco.pytorch.global.torch.ScalarType.Float);
                Tensor x = randn(64, 8);
                Tensor y = randn(64, 1);
                try (RAdam opt = new RAdam(model.module().parameters(), o)) {
                    for (int s = 0; s < 200; s++) {
                        try (PointerScope step = new PointerScope()) {
                            model.trainStep(opt, x, y, s % 2 == 0);
                        }
                    }
                    long before = settledHandleCount();
                    for (int s = 0; s < 1000; s++) {
                        try (PointerScope step = new PointerScope()) {
                            model.trainStep(opt, x, y, s % 2 == 0);
                        }
                    }
                    assertEquals(before, settledHandleCount(), "live JavaCPP handles after 1000 more steps");
                }
            }
        }
    }

    /** Live JavaCPP handles once unrelated garbage (other tests', the model's setup) has been collected. */
    private static long settledHandleCount() throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 20; i++) {
            System.gc();
            Thread.sleep(50);
            long now = Pointer.totalCount();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    @Test
    void aClosedOptimizerRefusesEverything() {
        try (PointerScope scope = new PointerScope()) {
            Tensor p = ones(3).requires_grad_(true);
            p.mutable_grad().put(ones(3));
            RAdam opt = new RAdam(List.of(p), RAdamOptions.defaults());
            opt.step();
            opt.close();
            opt.close();
            for (Runnable call : List.<Runnable>of(opt::step, opt::zeroGrad, opt::stateDict, () -> opt.state(p),
                    opt::paramGroups)) {
                assertEquals("this RAdam has been closed", assertThrows(IllegalStateException.class, call::run).getMessage());
            }
            assertEquals(3.0, p.sum().item_double() + 0.003, 0.01, "the params are the caller's and stay usable");
        }
    }

    @Test
    void aClosureThatThrowsChangesNothing() {
        try (PointerScope scope = new PointerScope()) {
            Tensor p = randn(4).requires_grad_(true);
            p.mutable_grad().put(ones(4));
            RAdam opt = new RAdam(List.of(p), RAdamOptions.defaults());
            byte[] before = TensorCodec.bytes(p);
            assertThrows(ArithmeticException.class, () -> opt.step(() -> {
                throw new ArithmeticException("in the closure");
            }));
            assertArrayEquals(before, TensorCodec.bytes(p));
            assertNull(opt.state(p));
        }
    }

    /** Two threads on one optimizer: every overlapping call is refused, never silently interleaved. */
    @Test
    void concurrentCallsOnOneOptimizerAreRefused() throws Exception {
        Tensor p = randn(1_000_000).requires_grad_(true);
        p.mutable_grad().put(randn(1_000_000));
        RAdam opt = new RAdam(List.of(p), RAdamOptions.defaults());
        AtomicInteger stepped = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    try (PointerScope scope = new PointerScope()) {
                        opt.step();
                        stepped.incrementAndGet();
                    } catch (IllegalStateException e) {
                        assertTrue(e.getMessage().contains("in use by another thread"), e.getMessage());
                        refused.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertEquals(200, stepped.get() + refused.get());
        assertEquals(stepped.get(), (int) opt.state(p).step().item_double(), "every accepted step counted exactly once");
    }

    /** Independent optimizers on their own threads all reproduce PyTorch's trajectories bit for bit. */
    @Test
    void manyOptimizersInParallelMatchTheGoldenResults() throws Exception {
        List<String> names = List.of("float32_forloop_default", "float64_forloop_wd_l2", "float32_foreach_maximize",
                "complex64_forloop_default", "float64_foreach_two_groups", "bfloat16_forloop_default", "float32_forloop_lr_tensor",
                "float64_forloop_sparse_grads");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Outcome>> futures = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (String n : names) {
                JsonNode c = goldenCase(n);
                futures.add(pool.submit(() -> CaseReplayAccess.run(c)));
            }
        }
        for (Future<Outcome> f : futures) {
            Outcome o = f.get(5, TimeUnit.MINUTES);
            assertEquals(Outcome.Status.BITWISE, o.status(), o.line());
        }
        pool.shutdown();
    }
}
