package org.radam4j.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.RAdamOptions;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;
import org.radam4j.dist.ZeroRedundancyRAdam;
import org.radam4j.parity.MlpModel;
import org.radam4j.parity.TensorCodec;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code scripts/radam4j demo --ranks N}: the demo network trained data-parallel on N local processes (launched
 * as {@code scripts/radam4j launch} does): each rank takes its share of the 64 samples (uneven when N does not
 * divide 64), the model is wrapped in {@link DistributedDataParallel}, each rank's loss (the mean over its own
 * samples) is multiplied by world size times its share of the batch, so that DDP's average over the ranks is the
 * full batch's mean gradient, and {@link ZeroRedundancyRAdam} steps each rank's partition. Every rank
 * prints its losses; rank 0 prints the full-batch loss of the last step (the mean over the ranks' shares) and
 * compares it with PyTorch's single-process run.
 */
final class DistDemo {

    private DistDemo() {
    }

    /** The parent: launches N ranks of {@link #main}. */
    static int run(int ranks) throws Exception {
        List<Process> procs = Launch.start(ranks, DistDemo.class.getName(), List.of(), java.util.Map.of(), true);
        return Launch.waitAll(procs, 600_000);
    }

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        JsonNode data = DemoTraining.load();
        try (PointerScope scope = new PointerScope(); DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(60))) {
            MlpModel model = new MlpModel(torch.ScalarType.Float);
            model.load(data.get("init"));
            Tensor x = TensorCodec.decode(data.get("X"));
            Tensor y = TensorCodec.decode(data.get("y"));
            long n = x.size(0);
            long from = n * g.rank() / g.size();
            long to = n * (g.rank() + 1) / g.size();
            Tensor xs = x.narrow(0, from, to - from);
            Tensor ys = y.narrow(0, from, to - from);
            List<Tensor> params = new ArrayList<>();
            var pv = model.module().parameters();
            for (long i = 0; i < pv.size(); i++) {
                params.add(pv.get(i));
            }
            DistributedDataParallel ddp = new DistributedDataParallel(g, model.module());
            double share = (double) (to - from) / n;
            ZeroRedundancyRAdam opt = new ZeroRedundancyRAdam(g, params,
                    RAdamOptions.builder().lr(0.01).weightDecay(1e-4).decoupledWeightDecay(true).build());
            JsonNode recorded = data.get("losses");
            double last = 0;
            for (int s = 0; s < recorded.size(); s++) {
                try (PointerScope step = new PointerScope()) {
                    opt.zeroGrad();
                    Tensor loss = ddp.forward(() -> model.loss(xs, ys));
                    ddp.backward(loss.mul(new Scalar(g.size() * share)));
                    Tensor mean = loss.detach().clone().mul(new Scalar(share));
                    g.allreduceSum(List.of(mean));
                    last = mean.item_double();
                    opt.step();
                    if (s % 10 == 0 || s == recorded.size() - 1) {
                        System.out.println(String.format(Locale.ROOT, "step %2d: loss on my %d samples %.9f", s + 1, to - from,
                                loss.item_double()));
                    }
                }
            }
            boolean ok = true;
            if (g.rank() == 0) {
                double expected = recorded.get(recorded.size() - 1).asDouble();
                double rel = Math.abs(last - expected) / Math.abs(expected);
                System.out.println(String.format(Locale.ROOT, "full-batch loss of the last step (mean over the ranks' shares): "
                        + "%.9f; PyTorch single process: %.9f; relative difference %.1e (%s 1e-4)", last, expected, rel,
                        rel <= 1e-4 ? "within" : "NOT within"));
                ok = rel <= 1e-4;
            }
            g.barrier();
            if (!ok) {
                System.exit(1);
            }
        }
    }
}
