package org.radam4j.parity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;
import org.radam4j.ParamState;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.io.ModuleStates;
import org.radam4j.io.TorchFiles;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Replays an {@code mlp} case: {@code Linear(8,16) -> Tanh -> Linear(16,1)} built from JavaCPP's nn modules,
 * {@code mse_loss}, {@code RAdam(lr=0.01, weight_decay=1e-4, decoupled_weight_decay=True)}, trained through
 * {@code step(closure)}; losses, final weights and final state are compared with PyTorch's within
 * {@link #tolerance}, since matrix products go through a different BLAS.
 */
final class MlpReplay {

    private MlpReplay() {
    }

    /**
     * The tolerance for mlp cases. Measured over the 60 steps (losses, final weights and state): this libtorch's
     * BLAS differs from PyTorch 2.11's by at most 1.5e-5 relative in float32 (on small moments) and 1.1e-14 in
     * float64; the bounds leave a margin of about 7x and 100,000x.
     */
    static Tolerance tolerance(ScalarType type) {
        return type == ScalarType.Double ? new Tolerance(1e-9, 1e-12) : new Tolerance(1e-4, 1e-6);
    }

    static Outcome run(JsonNode m, Impl impl) {
        return run(m, new ParityRunner.Settings(impl, null, null));
    }

    static Outcome run(JsonNode m, ParityRunner.Settings settings) {
        Impl impl = settings.impl();
        String name = m.path("name").asText("<unnamed mlp>");
        String device = m.path("device").asText("cpu");
        if (device.startsWith("cuda") && !org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            return new Outcome(name, Outcome.Status.SKIPPED, "CUDA case, CUDA not available");
        }
        try (PointerScope scope = new PointerScope()) {
            return replay(name, m, impl == Impl.AUTO || impl == Impl.FUSED ? null : impl == Impl.FOREACH, device, settings);
        } catch (IllegalArgumentException e) {
            return new Outcome(name, Outcome.Status.FAIL, "invalid case: " + e.getMessage());
        } catch (java.io.IOException | RuntimeException e) {
            return new Outcome(name, Outcome.Status.FAIL, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Outcome replay(String name, JsonNode m, Boolean foreach, String device, ParityRunner.Settings settings)
            throws java.io.IOException {
        ScalarType type = Dtypes.of(m.path("dtype").asText("float32"));
        Tolerance tol = tolerance(type);
        Tensor x = CaseReplay.onDevice(TensorCodec.decode(CaseReplay.required(m, "X")), device);
        Tensor y = CaseReplay.onDevice(TensorCodec.decode(CaseReplay.required(m, "y")), device);
        RAdamOptions options = RAdamOptions.builder().lr(0.01).weightDecay(1e-4).decoupledWeightDecay(true).foreach(foreach)
                .fused(settings.impl() == Impl.FUSED).build();

        MlpModel model = newModel(type, device);
        model.load(CaseReplay.required(m, "init"));
        RAdam opt = new RAdam(model.module().parameters(), options);
        Comparison cmp = new Comparison();
        train(cmp, model, opt, x, y, m, 0, tol);
        Outcome main = cmp.withinTolerance() ? new Outcome(name, Outcome.Status.WITHIN_TOLERANCE, "max_rel=" + cmp.maxRel())
                : new Outcome(name, Outcome.Status.FAIL, cmp.firstOutOfTolerance());

        Path pt = checkpoint(settings.baseDir(), name);
        if (pt == null || !main.passed()) {
            return main;
        }
        int k = Integer.parseInt(pt.getFileName().toString().replaceAll(".*\\.after(\\d+)\\.pt$", "$1"));
        if (!(TorchFiles.load(pt) instanceof Map<?, ?> ckpt) || !(ckpt.get("model") instanceof Map<?, ?> weights)
                || !(ckpt.get("optimizer") instanceof Map<?, ?> sd)) {
            throw new IllegalArgumentException(pt + " is not a {'model': ..., 'optimizer': ...} checkpoint");
        }
        MlpModel resumed = newModel(type, device);
        ModuleStates.load(resumed.module(), weights);
        RAdam resumedOpt = new RAdam(resumed.module().parameters(), options);
        @SuppressWarnings("unchecked")
        Map<String, ?> optimizerState = (Map<String, ?>) sd;
        resumedOpt.loadStateDict(optimizerState);
        Comparison rc = new Comparison();
        train(rc, resumed, resumedOpt, x, y, m, k, tol);
        Outcome resume = rc.withinTolerance() ? new Outcome(name, Outcome.Status.WITHIN_TOLERANCE, "max_rel=" + rc.maxRel())
                : new Outcome(name, Outcome.Status.FAIL, rc.firstOutOfTolerance());
        return new Outcome(name, main.status(), main.detail(), new Outcome.Resume(resume, pt.getFileName().toString()));
    }

    private static MlpModel newModel(ScalarType type, String device) {
        MlpModel model = new MlpModel(type);
        if (!device.equals("cpu")) {
            try (org.bytedeco.pytorch.Device d = new org.bytedeco.pytorch.Device(device)) {
                model.module().to(d, type, false);
            }
        }
        return model;
    }

    /** {@code pt/<name>.after<k>.pt} next to the golden file, if there is one. */
    private static Path checkpoint(Path baseDir, String name) throws java.io.IOException {
        if (baseDir == null || !Files.isDirectory(baseDir.resolve("pt"))) {
            return null;
        }
        try (java.util.stream.Stream<Path> files = Files.list(baseDir.resolve("pt"))) {
            return files.filter(f -> f.getFileName().toString().matches(java.util.regex.Pattern.quote(name) + "\\.after\\d+\\.pt"))
                    .findFirst().orElse(null);
        }
    }

    /** Steps {@code from}.. with the case's closure, comparing each loss, then the final weights and state. */
    private static void train(Comparison cmp, MlpModel model, RAdam opt, Tensor x, Tensor y, JsonNode m, int from,
            Tolerance tol) {
        JsonNode losses = CaseReplay.required(m, "losses");
        for (int s = from; s < losses.size(); s++) {
            try (PointerScope step = new PointerScope()) {
                Tensor loss = model.trainStep(opt, x, y, true);
                cmp.scalar("step " + s + " loss", loss.item_double(), losses.get(s).asDouble(), tol);
            }
        }
        JsonNode fin = m.path("final");
        if (fin.isObject()) {
            Map<String, Tensor> params = model.named();
            fin.properties().forEach(e -> cmp.tensor("final " + e.getKey(), params.get(e.getKey()),
                    TensorCodec.decode(e.getValue()), tol));
        }
        compareState(cmp, opt, m.path("final_state_dict"), tol);
    }

    @SuppressWarnings("unchecked")
    private static void compareState(Comparison cmp, RAdam opt, JsonNode sdNode, Tolerance tol) {
        if (sdNode.isMissingNode() || sdNode.isNull()) {
            return;
        }
        Map<Object, Object> sd = (Map<Object, Object>) PyTree.toJava(sdNode);
        Map<Object, Object> state = (Map<Object, Object>) sd.get("state");
        List<Tensor> params = opt.paramGroups().get(0).params();
        for (Map.Entry<Object, Object> e : state.entrySet()) {
            int i = ((Number) e.getKey()).intValue();
            Map<String, Object> s = (Map<String, Object>) e.getValue();
            ParamState ours = opt.state(params.get(i));
            if (ours == null) {
                cmp.fail("final state " + i + ": missing");
                continue;
            }
            cmp.tensor("final state " + i + " exp_avg", ours.expAvg(), (Tensor) s.get("exp_avg"), tol);
            cmp.tensor("final state " + i + " exp_avg_sq", ours.expAvgSq(), (Tensor) s.get("exp_avg_sq"), tol);
            cmp.scalar("final state " + i + " step", ours.step().item_double(), ((Tensor) s.get("step")).item_double(),
                    new Tolerance(0, 0));
        }
    }
}
