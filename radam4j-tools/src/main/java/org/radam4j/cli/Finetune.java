package org.radam4j.cli;

import static org.bytedeco.pytorch.global.torch.mse_loss;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.io.ModuleStates;
import org.radam4j.io.TorchFiles;

/**
 * {@code scripts/radam4j finetune --model MODEL.pt --data DATA.pt --steps N [--lr X] [--weight-decay W]
 * [--decoupled] [--impl forloop|foreach|fused] [--resume CKPT.pt] --out CKPT.pt}: fine-tunes a TorchScript model
 * saved by Python ({@code torch.jit.script(model).save(...)}) with RAdam on {@code mse_loss(model(x), y)}, where
 * DATA.pt is a {@code torch.save}d dict with {@code x} and {@code y}. It trains in train mode (BatchNorm uses and
 * updates its batch statistics), prints each step's loss, ends with {@code final loss (eval): X}, the loss of the
 * final weights in eval mode, and saves {@code {"model": state_dict, "optimizer": RAdam state_dict}}, which
 * Python's {@code torch.load} reads. {@code --resume} starts from such a checkpoint (model and optimizer).
 */
final class Finetune {

    /** What a run ended with. */
    record Result(double finalEvalLoss, List<Double> losses) {
    }

    private Finetune() {
    }

    static int run(List<String> args) throws IOException {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--decoupled")) {
                o.put(a, "true");
            } else if (a.startsWith("--") && i + 1 < args.size()) {
                o.put(a, args.get(++i));
            } else {
                System.err.println("radam4j finetune: unexpected argument " + a);
                return 2;
            }
        }
        for (String required : List.of("--model", "--data", "--steps", "--out")) {
            if (!o.containsKey(required)) {
                System.err.println("usage: scripts/radam4j finetune --model MODEL.pt --data DATA.pt --steps N [--lr X] "
                        + "[--weight-decay W] [--decoupled] [--impl forloop|foreach|fused] [--resume CKPT.pt] --out CKPT.pt");
                return 2;
            }
        }
        for (String k : o.keySet()) {
            if (!List.of("--model", "--data", "--steps", "--out", "--lr", "--weight-decay", "--decoupled", "--impl",
                    "--resume").contains(k)) {
                System.err.println("radam4j finetune: unknown option " + k);
                return 2;
            }
        }
        RAdamOptions.Builder b = RAdamOptions.builder().lr(Double.parseDouble(o.getOrDefault("--lr", "0.001")))
                .weightDecay(Double.parseDouble(o.getOrDefault("--weight-decay", "0")))
                .decoupledWeightDecay(o.containsKey("--decoupled"));
        switch (o.getOrDefault("--impl", "auto")) {
            case "forloop" -> b.foreach(false);
            case "foreach" -> b.foreach(true);
            case "fused" -> b.fused(true);
            case "auto" -> {
            }
            default -> {
                System.err.println("radam4j finetune: --impl is forloop, foreach or fused");
                return 2;
            }
        }
        finetune(Path.of(o.get("--model")), Path.of(o.get("--data")), Integer.parseInt(o.get("--steps")), b.build(),
                o.containsKey("--resume") ? Path.of(o.get("--resume")) : null, Path.of(o.get("--out")), System.out);
        return 0;
    }

    @SuppressWarnings("unchecked")
    static Result finetune(Path modelFile, Path dataFile, int steps, RAdamOptions options, Path resume, Path out,
            PrintStream log) throws IOException {
        try (PointerScope scope = new PointerScope()) {
            JitModule model = torch.load(modelFile.toString());
            Map<String, Object> data = (Map<String, Object>) TorchFiles.load(dataFile);
            Tensor x = tensor(data, "x", dataFile);
            Tensor y = tensor(data, "y", dataFile);
            RAdam opt = new RAdam(model.named_parameters(true), options);
            if (resume != null) {
                Map<String, Object> ckpt = (Map<String, Object>) TorchFiles.load(resume);
                ModuleStates.load(model, (Map<?, ?>) ckpt.get("model"));
                opt.loadStateDict((Map<String, Object>) ckpt.get("optimizer"));
            }
            log.println("radam4j finetune: " + modelFile.getFileName() + ", " + x.size(0) + " samples, " + steps
                    + " steps, " + opt.paramGroups().get(0).paramNames().size() + " parameters");
            model.train(true);
            List<Double> losses = new java.util.ArrayList<>();
            for (int s = 1; s <= steps; s++) {
                try (PointerScope step = new PointerScope()) {
                    opt.zeroGrad();
                    Tensor loss = mse_loss(forward(model, x), y);
                    loss.backward();
                    opt.step();
                    double v = loss.item_double();
                    losses.add(v);
                    log.println(String.format(Locale.ROOT, "step %d: loss %s", s, v));
                }
            }
            model.eval();
            double finalLoss;
            try (PointerScope eval = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                finalLoss = mse_loss(forward(model, x), y).item_double();
            }
            log.println("final loss (eval): " + finalLoss);
            Map<String, Object> ckpt = new LinkedHashMap<>();
            ckpt.put("model", ModuleStates.stateDict(model));
            ckpt.put("optimizer", opt.stateDict());
            TorchFiles.save(ckpt, out);
            log.println("saved " + out);
            return new Result(finalLoss, losses);
        }
    }

    private static Tensor forward(JitModule model, Tensor x) {
        IValue out = model.forward(new IValueVector(new IValue(x)));
        if (!out.isTensor()) {
            throw new IllegalArgumentException("the model's forward must return a tensor, but returned " + out.tagKind().getString());
        }
        return out.toTensor();
    }

    private static Tensor tensor(Map<String, Object> data, String key, Path file) {
        if (!(data.get(key) instanceof Tensor t)) {
            throw new IllegalArgumentException(file + " must be a dict with tensors 'x' and 'y' (torch.save({'x': x, 'y': y}, ...)), "
                    + "but '" + key + "' is " + (data.containsKey(key) ? "not a tensor" : "missing"));
        }
        return t;
    }
}
