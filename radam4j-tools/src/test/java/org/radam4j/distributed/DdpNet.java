package org.radam4j.distributed;

import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The model of the DDP checks: Linear(8, 16), BatchNorm1d(16) (running statistics as buffers), ReLU,
 * Linear(16, 4); and {@code unused}, a Linear(8, 4) the forward never reaches, for {@code find_unused_parameters}.
 */
final class DdpNet {

    final Module root = new Module();
    final LinearImpl fc1;
    final BatchNorm1dImpl bn;
    final LinearImpl fc2;
    final LinearImpl unused;

    DdpNet(long seed) {
        torch.manual_seed(seed);
        fc1 = root.register_module("fc1", new LinearImpl(8, 16));
        bn = root.register_module("bn", new BatchNorm1dImpl(new BatchNormOptions(16)));
        fc2 = root.register_module("fc2", new LinearImpl(16, 4));
        unused = root.register_module("unused", new LinearImpl(8, 4));
    }

    Tensor forward(Tensor x) {
        return fc2.forward(torch.relu(bn.forward(fc1.forward(x))));
    }

    /** Rank {@code rank}'s share of micro-batch {@code micro} of step {@code step}: 4 + rank samples (uneven). */
    static Tensor[] batch(int step, int micro, int rank) {
        torch.manual_seed(100_000L + 1000L * step + 10L * micro + rank);
        return new Tensor[] {torch.randn(4 + rank, 8), torch.randn(4 + rank, 4)};
    }

    static Tensor loss(Tensor out, Tensor target) {
        return torch.mse_loss(out, target);
    }
}
