package org.radam4j.distributed;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;
import org.radam4j.io.JitModules;
import org.radam4j.io.TorchFiles;

/**
 * A model of the DDP checks, as the ranks and the one-process reference both build it: its params, its buffers,
 * and rank r's loss for micro-batch m of step s (uneven shares).
 */
interface DdpReplica {

    List<Tensor> params();

    List<Tensor> buffers();

    Tensor loss(int step, int micro, int rank);

    /** The model wrapped in DDP. */
    DistributedDataParallel wrap(DistGroup group, DistributedDataParallel.Options options);

    /** {@code net} ({@link DdpNet} from seed {@code rank}) or {@code jit:DIR}, as rank {@code rank} builds it. */
    static DdpReplica of(String model, int rank) throws Exception {
        return model.equals("net") ? net(rank) : jit(Path.of(model.substring("jit:".length())), 0.1 * rank);
    }

    /** {@link DdpNet}, built from {@code seed}. */
    static DdpReplica net(long seed) {
        DdpNet net = new DdpNet(seed);
        return new DdpReplica() {
            public List<Tensor> params() {
                return list(net.root.parameters());
            }

            public List<Tensor> buffers() {
                return list(net.root.buffers());
            }

            public Tensor loss(int step, int micro, int rank) {
                Tensor[] b = DdpNet.batch(step, micro, rank);
                return DdpNet.loss(net.forward(b[0]), b[1]);
            }

            public DistributedDataParallel wrap(DistGroup group, DistributedDataParallel.Options options) {
                return new DistributedDataParallel(group, net.root, options);
            }
        };
    }

    /**
     * The TorchScript model {@code jit_model.py make DIR} saved (Linear, BatchNorm1d, ReLU, Linear) with its
     * data; rank r's share of step s is 20 + r rows from row 8s + 20r. With {@code perturb}, every param is moved
     * by {@code perturb} first (a rank that starts elsewhere).
     */
    @SuppressWarnings("unchecked")
    static DdpReplica jit(Path dir, double perturb) throws Exception {
        JitModule model = torch.load(dir.resolve("model.pt").toString());
        Map<String, Object> data = (Map<String, Object>) TorchFiles.load(dir.resolve("data.pt"));
        Tensor x = (Tensor) data.get("x");
        Tensor y = (Tensor) data.get("y");
        List<Tensor> params = JitModules.parameters(model);
        if (perturb != 0) {
            try (NoGradGuard g = new NoGradGuard()) {
                params.forEach(p -> p.add_(new Scalar(perturb)));
            }
        }
        return new DdpReplica() {
            public List<Tensor> params() {
                return params;
            }

            public List<Tensor> buffers() {
                return new ArrayList<>(JitModules.namedBuffers(model).values());
            }

            public Tensor loss(int step, int micro, int rank) {
                long from = (8L * step + 20L * rank) % 40;
                Tensor out = model.forward(new IValueVector(new IValue(x.narrow(0, from, 20 + rank)))).toTensor();
                return torch.mse_loss(out, y.narrow(0, from, 20 + rank));
            }

            public DistributedDataParallel wrap(DistGroup group, DistributedDataParallel.Options options) {
                return new DistributedDataParallel(group, model, options);
            }
        };
    }

    static List<Tensor> list(TensorVector v) {
        List<Tensor> out = new ArrayList<>();
        for (long i = 0; i < v.size(); i++) {
            out.add(v.get(i));
        }
        return out;
    }
}
