package org.radam4j.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.NativeScope;

/**
 * DistributedDataParallel in one process (a group of one): what DDP does on a single rank and how it fails. The
 * multi-rank behaviour is checked by the tools' {@code DdpTest} on 2 and 3 processes.
 */
@ExtendWith(NativeScope.class)
class DistributedDataParallelTest {

    private DistGroup group;

    @BeforeEach
    void join() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        group = DistGroup.create("127.0.0.1", port, 0, 1, Duration.ofSeconds(10));
    }

    @AfterEach
    void leave() {
        group.close();
    }

    private static float[] values(Tensor t) {
        Tensor c = t.contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    @Test
    void oneRankLeavesTheGradientsAsBackwardMadeThem() {
        Tensor w = NativeScope.param(3, 4);
        Tensor x = torch.randn(5, 4);
        torch.matmul(x, w.t()).square().sum().backward();
        float[] plain = values(w.grad());
        w.mutable_grad().put(new Tensor());
        try (DistributedDataParallel ddp = new DistributedDataParallel(group, List.of(w), List.of(), new DistributedDataParallel.Options())) {
            for (int i = 0; i < 3; i++) {
                w.mutable_grad().put(new Tensor());
                ddp.backward(ddp.forward(() -> torch.matmul(x, w.t())).square().sum());
                assertArrayEquals(plain, values(w.grad()), "iteration " + i);
            }
        }
    }

    @Test
    void noSyncAccumulatesAndRestoresTheSyncedState() {
        Tensor w = NativeScope.param(4);
        try (DistributedDataParallel ddp = new DistributedDataParallel(group, List.of(w), List.of(), new DistributedDataParallel.Options())) {
            try (DistributedDataParallel.NoSync outer = ddp.noSync()) {
                try (DistributedDataParallel.NoSync inner = ddp.noSync()) {
                    ddp.backward(ddp.forward(() -> w.sum()));
                }
                ddp.backward(ddp.forward(() -> w.sum()));
            }
            ddp.backward(ddp.forward(() -> w.sum()));
            assertArrayEquals(new float[] {3, 3, 3, 3}, values(w.grad()), "three backward passes accumulated");
        }
    }

    @Test
    void aModuleWithoutTrainableParamsIsPyTorchsError() {
        Tensor frozen = torch.randn(3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DistributedDataParallel(group, List.of(frozen), List.of(), new DistributedDataParallel.Options()));
        assertEquals("DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.",
                e.getMessage());
    }

    @Test
    void anUnusedParamWithoutFindUnusedParametersIsPyTorchsErrorNamingTheRank() {
        Tensor used = NativeScope.param(4);
        Tensor unused = NativeScope.param(4);
        try (DistributedDataParallel ddp = new DistributedDataParallel(group, List.of(used, unused), List.of(),
                new DistributedDataParallel.Options())) {
            ddp.backward(ddp.forward(() -> used.sum()));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
                Tensor loss = ddp.forward(() -> used.sum());
                ddp.backward(loss);
            });
            assertTrue(e.getMessage().startsWith("rank 0: "), e.getMessage());
            assertTrue(e.getMessage().contains("Expected to have finished reduction in the prior iteration"), e.getMessage());
            assertFalse(e.getMessage().contains("frame #"), e.getMessage());
        }
    }

    @Test
    void withFindUnusedParametersAnUnusedParamKeepsNoGradient() {
        Tensor used = NativeScope.param(4);
        Tensor unused = NativeScope.param(4);
        try (DistributedDataParallel ddp = new DistributedDataParallel(group, List.of(used, unused), List.of(),
                new DistributedDataParallel.Options().findUnusedParameters(true))) {
            for (int i = 0; i < 3; i++) {
                used.mutable_grad().put(new Tensor());
                ddp.backward(ddp.forward(() -> used.sum()));
                assertArrayEquals(new float[] {1, 1, 1, 1}, values(used.grad()));
                assertFalse(unused.grad().defined(), "iteration " + i);
            }
        }
    }

    @Test
    void aClosedWrapperIsAnErrorAndItsHooksAreGone() {
        Tensor w = NativeScope.param(4);
        DistributedDataParallel ddp = new DistributedDataParallel(group, List.of(w), List.of(), new DistributedDataParallel.Options());
        ddp.close();
        assertEquals("this DistributedDataParallel is closed",
                assertThrows(IllegalStateException.class, () -> ddp.forward(() -> w.sum())).getMessage());
        w.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1, 1}, values(w.grad()), "a plain backward after close");
    }

    @Test
    void badOptionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new DistributedDataParallel.Options().bucketCapMb(0));
        assertThrows(IllegalArgumentException.class, () -> new DistributedDataParallel.Options().bucketCapMb(Double.NaN));
    }

    /** Closing the group closes a wrapper still open on it: its reducer holds the group's process group. */
    @Test
    void closingTheGroupClosesTheWrapperFirst() {
        Tensor w = NativeScope.param(4);
        DistributedDataParallel ddp = new DistributedDataParallel(group, List.of(w), List.of(), new DistributedDataParallel.Options());
        ddp.backward(ddp.forward(() -> w.sum()));
        group.close();
        assertThrows(IllegalStateException.class, () -> ddp.forward(() -> w.sum()));
        w.sum().backward();
        assertArrayEquals(new float[] {2, 2, 2, 2}, values(w.grad()), "a plain backward after the group closed");
        ddp.close();
    }
}
