package org.radam4j.distributed;

import java.time.Duration;
import java.util.List;

import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.dist.DistGroup;

/**
 * For {@link DistTest}: ranks all-reduce in a loop with a 5 s timeout; rank 1 dies abruptly after 1 s. The
 * survivors must fail with a clear error (exit 2, the message on stdout) instead of hanging.
 */
public final class DistDie {

    private DistDie() {
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(5));
        long start = System.nanoTime();
        try {
            while (true) {
                if (g.rank() == 1 && System.nanoTime() - start > 1_000_000_000L) {
                    Runtime.getRuntime().halt(3);
                }
                g.allreduceSum(List.of(torch.ones(4)));
                Thread.sleep(20);
            }
        } catch (IllegalStateException e) {
            System.out.println("failed as expected: " + e.getMessage());
            System.out.flush();
            Runtime.getRuntime().halt(2);
        }
    }
}
