package org.radam4j.distributed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.radam4j.Libtorch;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;
import org.radam4j.io.TorchFiles;

/**
 * One rank of {@link DdpTest}'s runs: {@code DdpCheck OUT_PREFIX STEPS MICRO}. Each rank builds {@link DdpNet}
 * from its own seed (DDP must broadcast rank 0's), wraps it with {@code findUnusedParameters}, and takes STEPS
 * steps of RAdam, each over MICRO micro-batches of which all but the last run under {@code noSync()}. Every rank
 * saves, per step, the gradients RAdam stepped with, then the params and buffers after the step.
 */
public final class DdpCheck {

    private DdpCheck() {
    }

    static List<Object> clones(TensorVector v) {
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < v.size(); i++) {
            out.add(v.get(i).detach().clone());
        }
        return out;
    }

    /** Each param's gradient, or an empty tensor where it has none. */
    static List<Object> grads(TensorVector v) {
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < v.size(); i++) {
            Tensor g = v.get(i).grad();
            out.add(g == null || g.isNull() || !g.defined() ? org.bytedeco.pytorch.global.torch.empty(0) : g.clone());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        String prefix = args[0];
        int steps = Integer.parseInt(args[1]);
        int micro = Integer.parseInt(args[2]);
        try (PointerScope scope = new PointerScope(); DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(60))) {
            DdpNet net = new DdpNet(g.rank());
            DistributedDataParallel ddp = new DistributedDataParallel(g, net.root,
                    new DistributedDataParallel.Options().findUnusedParameters(true));
            RAdam opt = new RAdam(net.root.parameters(), RAdamOptions.builder().lr(0.01).build());
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("initial", clones(net.root.parameters()));
            List<Object> grads = new ArrayList<>();
            List<Object> params = new ArrayList<>();
            List<Object> buffers = new ArrayList<>();
            for (int s = 0; s < steps; s++) {
                opt.zeroGrad();
                for (int m = 0; m < micro; m++) {
                    Tensor[] b = DdpNet.batch(s, m, g.rank());
                    if (m < micro - 1) {
                        try (DistributedDataParallel.NoSync n = ddp.noSync()) {
                            ddp.backward(DdpNet.loss(ddp.forward(() -> net.forward(b[0])), b[1]));
                        }
                    } else {
                        ddp.backward(DdpNet.loss(ddp.forward(() -> net.forward(b[0])), b[1]));
                    }
                }
                grads.add(grads(net.root.parameters()));
                opt.step();
                params.add(clones(net.root.parameters()));
                buffers.add(clones(net.root.buffers()));
            }
            result.put("grads", grads);
            result.put("params", params);
            result.put("buffers", buffers);
            TorchFiles.save(result, Path.of(prefix + "-" + g.rank() + ".pt"));
            ddp.close();
            g.barrier();
        }
    }
}
