package org.radam4j.distributed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.dist.DistGroup;

/**
 * For {@link DistTest}: {@code DistDie DIR die|stuck}. Ranks all-reduce in a loop with a 5 s timeout; after 1 s
 * rank 1 writes the time to {@code DIR/event.txt} and then dies abruptly ({@code die}) or stays alive without
 * calling another collective ({@code stuck}). A survivor writes its message and the time it failed to
 * {@code DIR/failure-RANK.txt} and exits 2.
 */
public final class DistDie {

    private DistDie() {
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        Path dir = Path.of(args[0]);
        boolean die = args[1].equals("die");
        DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(5));
        long start = System.nanoTime();
        try {
            while (true) {
                if (g.rank() == 1 && System.nanoTime() - start > 1_000_000_000L) {
                    Files.writeString(dir.resolve("event.txt"), Long.toString(System.currentTimeMillis()));
                    if (die) {
                        Runtime.getRuntime().halt(3);
                    }
                    Thread.sleep(60_000);
                    Runtime.getRuntime().halt(4);
                }
                g.allreduceSum(List.of(torch.ones(4)));
                Thread.sleep(20);
            }
        } catch (IllegalStateException e) {
            long now = System.currentTimeMillis();
            Files.writeString(dir.resolve("failure-" + g.rank() + ".txt"), now + "\n" + e.getMessage());
            System.out.println("failed as expected: " + e.getMessage());
            System.out.flush();
            Runtime.getRuntime().halt(2);
        }
    }
}
