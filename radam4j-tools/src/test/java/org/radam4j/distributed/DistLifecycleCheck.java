package org.radam4j.distributed;

import java.time.Duration;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;

/**
 * For {@link DistTest}: a group and a DDP on it, built and closed the ways an application does, inside a
 * {@code PointerScope} (which frees what the constructors made): the DDP closed first, then left open for the
 * group's close; then a group with no scope at all. Exits 0 when nothing crashed.
 */
public final class DistLifecycleCheck {

    private DistLifecycleCheck() {
    }

    private static void train(DistGroup g, boolean closeDdp) {
        LinearImpl net = new LinearImpl(8, 4);
        DistributedDataParallel ddp = new DistributedDataParallel(g, net);
        for (int i = 0; i < 3; i++) {
            Tensor x = torch.randn(4, 8);
            ddp.backward(ddp.forward(() -> net.forward(x)).square().mean());
        }
        if (closeDdp) {
            ddp.close();
        }
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        for (boolean closeDdp : new boolean[] {true, false}) {
            try (PointerScope scope = new PointerScope(); DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(30))) {
                train(g, closeDdp);
                g.barrier();
            }
            Thread.sleep(300);
        }
        DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(30));
        train(g, false);
        g.barrier();
        g.close();
        System.out.println("closed cleanly");
    }
}
