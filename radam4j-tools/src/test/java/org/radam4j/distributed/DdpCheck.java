package org.radam4j.distributed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;
import org.radam4j.io.TorchFiles;

/**
 * One rank of {@link DdpTest}'s runs: {@code DdpCheck OUT_PREFIX STEPS MICRO net|jit:DIR}. Each rank builds the
 * model its own way ({@link DdpReplica#of}: DDP must broadcast rank 0's params), wraps it with
 * {@code findUnusedParameters}, and takes STEPS steps of RAdam, each over MICRO micro-batches of which all but
 * the last run under {@code noSync()}. Every rank saves its params after wrapping and, per step, the gradients
 * RAdam stepped with, then the params and buffers after the step.
 */
public final class DdpCheck {

    private DdpCheck() {
    }

    static List<Object> clones(List<Tensor> ts) {
        List<Object> out = new ArrayList<>();
        ts.forEach(t -> out.add(t.detach().clone()));
        return out;
    }

    /** Each param's gradient, or an empty tensor where it has none. */
    static List<Object> grads(List<Tensor> ps) {
        List<Object> out = new ArrayList<>();
        for (Tensor p : ps) {
            Tensor g = p.grad();
            out.add(g == null || g.isNull() || !g.defined() ? torch.empty(0) : g.clone());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        String prefix = args[0];
        int steps = Integer.parseInt(args[1]);
        int micro = Integer.parseInt(args[2]);
        try (PointerScope scope = new PointerScope(); DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(60))) {
            DdpReplica model = DdpReplica.of(args[3], g.rank());
            DistributedDataParallel ddp = model.wrap(g, new DistributedDataParallel.Options().findUnusedParameters(true));
            RAdam opt = new RAdam(model.params(), RAdamOptions.builder().lr(0.01).build());
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("initial", clones(model.params()));
            List<Object> grads = new ArrayList<>();
            List<Object> params = new ArrayList<>();
            List<Object> buffers = new ArrayList<>();
            for (int s = 0; s < steps; s++) {
                opt.zeroGrad();
                for (int m = 0; m < micro; m++) {
                    int step = s;
                    int mb = m;
                    if (m < micro - 1) {
                        try (DistributedDataParallel.NoSync n = ddp.noSync()) {
                            ddp.backward(ddp.forward(() -> model.loss(step, mb, g.rank())));
                        }
                    } else {
                        ddp.backward(ddp.forward(() -> model.loss(step, mb, g.rank())));
                    }
                }
                grads.add(grads(model.params()));
                opt.step();
                params.add(clones(model.params()));
                buffers.add(clones(model.buffers()));
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
