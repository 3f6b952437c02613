package org.radam4j.distributed;

import java.time.Duration;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;

/**
 * For {@link DdpTest}: each rank wraps a param of a different shape (4 + rank elements). Every rank must fail
 * with c10d's message instead of hanging or crashing: prints the message and exits 3; 1 when wrapping worked.
 */
public final class DdpMismatchCheck {

    private DdpMismatchCheck() {
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        try (PointerScope scope = new PointerScope(); DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(30))) {
            try {
                new DistributedDataParallel(g, List.of(torch.zeros(4 + g.rank()).requires_grad_(true)), List.of(),
                        new DistributedDataParallel.Options());
            } catch (IllegalStateException e) {
                System.out.println("failed as expected: " + e.getMessage());
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }
        }
        Runtime.getRuntime().halt(1);
    }
}
