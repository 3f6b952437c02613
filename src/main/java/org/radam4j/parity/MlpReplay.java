package org.radam4j.parity;

import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.Dtypes;
import org.radam4j.ParamState;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;

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
        String name = m.path("name").asText("<unnamed mlp>");
        if (impl == Impl.FUSED) {
            return new Outcome(name, Outcome.Status.SKIPPED, "the fused path is not built yet");
        }
        String device = m.path("device").asText("cpu");
        if (device.startsWith("cuda") && !org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            return new Outcome(name, Outcome.Status.SKIPPED, "CUDA case, CUDA not available");
        }
        try (PointerScope scope = new PointerScope()) {
            return replay(name, m, impl == Impl.AUTO ? null : impl == Impl.FOREACH, device);
        } catch (IllegalArgumentException e) {
            return new Outcome(name, Outcome.Status.FAIL, "invalid case: " + e.getMessage());
        } catch (RuntimeException e) {
            if (System.getenv("RADAM4J_TRACE") != null) {
                e.printStackTrace();
            }
            return new Outcome(name, Outcome.Status.FAIL, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Outcome replay(String name, JsonNode m, Boolean foreach, String device) {
        ScalarType type = Dtypes.of(m.path("dtype").asText("float32"));
        Tolerance tol = tolerance(type);
        MlpModel model = new MlpModel(type);
        model.load(CaseReplay.required(m, "init"));
        if (!device.equals("cpu")) {
            try (org.bytedeco.pytorch.Device d = new org.bytedeco.pytorch.Device(device)) {
                model.module().to(d, type, false);
            }
        }
        Tensor x = CaseReplay.onDevice(TensorCodec.decode(CaseReplay.required(m, "X")), device);
        Tensor y = CaseReplay.onDevice(TensorCodec.decode(CaseReplay.required(m, "y")), device);
        JsonNode losses = CaseReplay.required(m, "losses");

        RAdam opt = new RAdam(model.module().parameters(), RAdamOptions.builder().lr(0.01).weightDecay(1e-4)
                .decoupledWeightDecay(true).foreach(foreach).build());
        Comparison cmp = new Comparison();
        for (int s = 0; s < losses.size(); s++) {
            try (PointerScope step = new PointerScope()) {
                Tensor loss = model.trainStep(opt, x, y, true);
                cmp.scalar("step " + s + " loss", loss.item_double(), losses.get(s).asDouble(), tol);
            }
        }
        JsonNode fin = m.path("final");
        if (fin.isObject()) {
            Map<String, Tensor> params = model.named();
            fin.fields().forEachRemaining(e -> cmp.tensor("final " + e.getKey(), params.get(e.getKey()),
                    TensorCodec.decode(e.getValue()), tol));
        }
        compareState(cmp, opt, m.path("final_state_dict"), tol);
        return cmp.withinTolerance() ? new Outcome(name, Outcome.Status.WITHIN_TOLERANCE, "max_rel=" + cmp.maxRel())
                : new Outcome(name, Outcome.Status.FAIL, cmp.firstOutOfTolerance());
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
            int i = (Integer) e.getKey();
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
