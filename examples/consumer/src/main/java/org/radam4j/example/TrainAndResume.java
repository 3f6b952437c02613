package org.radam4j.example;

import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.bytedeco.pytorch.global.torch.matmul;
import static org.bytedeco.pytorch.global.torch.mse_loss;
import static org.bytedeco.pytorch.global.torch.randn;
import static org.bytedeco.pytorch.global.torch.zeros;

import java.io.File;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.Libtorch;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.dist.DistGroup;
import org.radam4j.dist.DistributedDataParallel;
import org.radam4j.dist.ZeroRedundancyRAdam;
import org.radam4j.io.TorchFiles;

/**
 * Trains a linear model with RAdam, saves model and optimizer, resumes from the file in a new optimizer and checks
 * that the resumed run takes the same steps; then reports the jars it runs on. Exits non-zero on any failure.
 */
public final class TrainAndResume {

    public static void main(String[] args) throws Exception {
        Libtorch.load();
        manual_seed(0);
        Path file = Path.of(args[0]);
        Tensor x = randn(64, 4);
        Tensor y = matmul(x, randn(4, 1)).add(randn(64, 1).mul(new org.bytedeco.pytorch.Scalar(0.01)));
        Tensor w = zeros(4, 1).requires_grad_(true);
        Tensor b = zeros(1).requires_grad_(true);
        RAdam opt = new RAdam(List.of(w, b), RAdamOptions.builder().lr(0.05).weightDecay(1e-4).build());
        double first = train(opt, w, b, x, y, 20);

        Map<String, Object> ckpt = new LinkedHashMap<>();
        ckpt.put("w", w.detach().clone());
        ckpt.put("b", b.detach().clone());
        ckpt.put("optimizer", opt.stateDict());
        TorchFiles.save(ckpt, file);
        double continued = train(opt, w, b, x, y, 10);

        Map<?, ?> back = (Map<?, ?>) TorchFiles.load(file);
        Tensor w2 = ((Tensor) back.get("w")).requires_grad_(true);
        Tensor b2 = ((Tensor) back.get("b")).requires_grad_(true);
        RAdam resumed = new RAdam(List.of(w2, b2), RAdamOptions.defaults());
        @SuppressWarnings("unchecked")
        Map<String, ?> state = (Map<String, ?>) back.get("optimizer");
        resumed.loadStateDict(state);
        double again = train(resumed, w2, b2, x, y, 10);

        System.out.printf("loss %.6f after 20 steps, %.6f after 30; resumed from %s: %.6f%n", first, continued, file, again);
        if (!(continued < first) || again != continued || !w2.equal(w)) {
            throw new AssertionError("the resumed run differs from the original one");
        }
        System.out.println(opt);
        dataParallel(x, y);
        reportJars();
    }

    /**
     * The same model through DistributedDataParallel and ZeroRedundancyRAdam on a group of one (c10d over Gloo on
     * a free local port): from the module path, the gradients DDP leaves are the plain backward's, and the ZeRO
     * step is a plain RAdam step.
     */
    private static void dataParallel(Tensor x, Tensor y) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (PointerScope scope = new PointerScope();
                DistGroup g = DistGroup.create("127.0.0.1", port, 0, 1, java.time.Duration.ofSeconds(30))) {
            Tensor w = zeros(4, 1).requires_grad_(true);
            Tensor plainW = zeros(4, 1).requires_grad_(true);
            RAdamOptions options = RAdamOptions.builder().lr(0.05).build();
            DistributedDataParallel ddp = new DistributedDataParallel(g, List.of(w), List.of(), new DistributedDataParallel.Options());
            ZeroRedundancyRAdam zero = new ZeroRedundancyRAdam(g, List.of(w), options);
            RAdam plain = new RAdam(List.of(plainW), options);
            for (int i = 0; i < 5; i++) {
                zero.zeroGrad();
                plain.zeroGrad();
                ddp.backward(mse_loss(ddp.forward(() -> matmul(x, w)), y));
                mse_loss(matmul(x, plainW), y).backward();
                if (!w.grad().equal(plainW.grad())) {
                    throw new AssertionError("DDP's gradient differs from the plain backward's at step " + i);
                }
                zero.step();
                plain.step();
            }
            if (!w.equal(plainW)) {
                throw new AssertionError("ZeroRedundancyRAdam's params differ from RAdam's");
            }
            ddp.close();
            System.out.println("data parallel (1 rank): DDP and ZeRO steps equal plain RAdam's");
        }
    }

    private static double train(RAdam opt, Tensor w, Tensor b, Tensor x, Tensor y, int steps) {
        double loss = Double.NaN;
        for (int i = 0; i < steps; i++) {
            try (PointerScope scope = new PointerScope()) {
                opt.zeroGrad();
                Tensor l = mse_loss(matmul(x, w).add(b), y);
                l.backward();
                opt.step();
                loss = l.item_double();
            }
        }
        return loss;
    }

    /** The jars on the module path, their total size, and a check that natives come for one platform only. */
    private static void reportJars() {
        String path = System.getProperty("jdk.module.path", "");
        long bytes = 0;
        int count = 0;
        for (String entry : path.split(File.pathSeparator)) {
            File f = new File(entry);
            if (!f.getName().endsWith(".jar")) {
                continue;
            }
            count++;
            bytes += f.length();
            for (String other : new String[] {"macosx", "windows", "android", "ios", "linux-arm", "linux-ppc"}) {
                if (f.getName().contains(other)) {
                    throw new AssertionError("natives of another platform were resolved: " + f.getName());
                }
            }
        }
        System.out.printf("dependencies: %d jars, %.1f MB%n", count, bytes / 1e6);
    }
}
