package org.radam4j.distributed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdamOptions;
import org.radam4j.io.TorchFiles;
import org.radam4j.dist.ZeroRedundancyRAdam;
import org.radam4j.dist.GradAverager;
import org.radam4j.dist.DistGroup;

/**
 * One rank of {@link DistTest}'s runs: {@code DistCheck OUT.pt STEPS PATH[+views] [RESUME.pt]} (+views: params as
 * bucket views). Every rank builds the
 * same params and two groups, takes STEPS steps of ZeroRedundancyRAdam on PATH over gradients averaged from
 * per-rank gradients, and rank 0 saves the averaged gradients, the params and the consolidated state dict.
 */
public final class DistCheck {

    private DistCheck() {
    }

    static List<Tensor> params() {
        torch.manual_seed(0);
        List<Tensor> ps = new ArrayList<>();
        for (long n : new long[] {300, 17, 1000, 64, 5}) {
            ps.add(torch.randn(n).requires_grad_(true));
        }
        return ps;
    }

    static List<ParamGroupSpec> groups(List<Tensor> ps) {
        return List.of(ParamGroupSpec.of(ps.get(0), ps.get(1), ps.get(2)),
                ParamGroupSpec.of(ps.get(3), ps.get(4)).lr(0.003).weightDecay(0.1).decoupledWeightDecay(true));
    }

    static RAdamOptions defaults(String path) {
        RAdamOptions.Builder b = RAdamOptions.builder().lr(0.01);
        return switch (path.replace("+views", "")) {
            case "forloop" -> b.foreach(false).build();
            case "foreach" -> b.foreach(true).build();
            default -> b.fused(true).build();
        };
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Libtorch.load();
        Path out = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]);
        String path = args[2];
        try (PointerScope scope = new PointerScope(); DistGroup g = DistGroup.fromEnv(Duration.ofSeconds(60))) {
            List<Tensor> ps = params();
            ZeroRedundancyRAdam opt = new ZeroRedundancyRAdam(g, defaults(path), groups(ps), path.endsWith("+views"));
            int offset = 0;
            if (args.length > 3) {
                Map<String, Object> resume = (Map<String, Object>) TorchFiles.load(Path.of(args[3]));
                List<Object> saved = (List<Object>) resume.get("params");
                try (NoGradGuard ng = new NoGradGuard()) {
                    for (int i = 0; i < ps.size(); i++) {
                        ps.get(i).copy_((Tensor) saved.get(i));
                    }
                }
                opt.loadStateDict((Map<String, Object>) resume.get("optimizer"));
                offset = ((List<Object>) resume.get("grads")).size();
            }
            List<Object> grads = new ArrayList<>();
            for (int s = 0; s < steps; s++) {
                torch.manual_seed(1000 + 10L * (s + offset) + g.rank());
                for (Tensor p : ps) {
                    p.mutable_grad().put(torch.randn(p.sizes()));
                }
                GradAverager.average(g, ps);
                List<Object> avg = new ArrayList<>();
                for (Tensor p : ps) {
                    avg.add(p.grad().clone());
                }
                grads.add(avg);
                opt.step();
            }
            System.out.println("rank " + g.rank() + " of " + g.size() + ": state bytes " + opt.stateBytes());
            opt.consolidateStateDict(0);
            if (g.rank() == 0) {
                Map<String, Object> result = new LinkedHashMap<>();
                List<Object> saved = new ArrayList<>();
                ps.forEach(p -> saved.add(p.detach().clone()));
                result.put("params", saved);
                result.put("grads", grads);
                result.put("optimizer", opt.stateDict());
                TorchFiles.save(result, out);
            }
            g.barrier();
        }
    }
}
