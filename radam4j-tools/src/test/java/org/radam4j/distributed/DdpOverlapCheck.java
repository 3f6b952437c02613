package org.radam4j.distributed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.SequentialImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;

/**
 * One rank of {@link DdpTest}'s overlap run: {@code DdpOverlapCheck OUT_PREFIX}. Ten Linear(256, 256) layers (the first bucket 1 MiB, then
 * 0.25 MiB buckets: 7 in all). A hook on the first layer's weight (whose gradient the backward pass computes last) reads how
 * many collectives this rank has started; so do the lines before and after {@code backward}. Writes
 * "before hook after" for the third iteration (the buckets are rebuilt at the second).
 */
public final class DdpOverlapCheck {

    private DdpOverlapCheck() {
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        try (PointerScope scope = new PointerScope(); DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(60))) {
            torch.manual_seed(0);
            SequentialImpl net = new SequentialImpl();
            LinearImpl first = new LinearImpl(256, 256);
            net.push_back(first);
            for (int i = 0; i < 9; i++) {
                net.push_back(new LinearImpl(256, 256));
            }
            AtomicLong inHook = new AtomicLong(-1);
            VoidTensorHook hook = new VoidTensorHook() {
                @Override
                public void call(TensorBase grad) {
                    inHook.set(g.collectivesStarted());
                }
            };
            first.weight().register_hook(hook);
            DistributedDataParallel ddp = new DistributedDataParallel(g, net, new DistributedDataParallel.Options().bucketCapMb(0.25));
            String line = "";
            for (int it = 0; it < 3; it++) {
                Tensor x = torch.randn(32, 256).add(new org.bytedeco.pytorch.Scalar((double) g.rank()));
                Tensor loss = ddp.forward(() -> net.forward(x)).square().mean();
                long before = g.collectivesStarted();
                ddp.backward(loss);
                line = before + " " + inHook.get() + " " + g.collectivesStarted();
            }
            System.out.println("collectives started: before backward, in the last gradient's hook, after: " + line);
            Files.writeString(Path.of(args[0] + "-" + g.rank() + ".txt"), line);
            ddp.close();
            g.barrier();
        }
    }
}
