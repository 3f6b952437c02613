package org.radam4j.parity;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.TanhImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.RAdam;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The golden files' {@code mlp} network, {@code Linear(8,16) -> Tanh -> Linear(16,1)} with {@code mse_loss}, in
 * JavaCPP's nn modules; its parameters are named as PyTorch names them ({@code 0.weight}, {@code 0.bias}, ...).
 */
public final class MlpModel {

    private final Module module = new Module();
    private final LinearImpl l1;
    private final TanhImpl act;
    private final LinearImpl l2;

    /** A new network whose parameters have the given dtype (initial values: libtorch's default init). */
    public MlpModel(ScalarType type) {
        l1 = module.register_module("0", new LinearImpl(8, 16));
        act = module.register_module("1", new TanhImpl());
        l2 = module.register_module("2", new LinearImpl(16, 1));
        module.to(type, false);
    }

    public Module module() {
        return module;
    }

    /**
     * Copies recorded weights (a JSON map of state_dict keys to tensor encodings) into the module.
     *
     * @throws IllegalArgumentException for a key the module does not have
     */
    public void load(JsonNode weights) {
        Map<String, Tensor> params = named();
        try (NoGradGuard g = new NoGradGuard()) {
            weights.properties().forEach(e -> {
                Tensor p = params.get(e.getKey());
                if (p == null) {
                    throw new IllegalArgumentException("unknown parameter " + e.getKey() + "; the model has " + params.keySet());
                }
                p.copy_(TensorCodec.decode(e.getValue()));
            });
        }
    }

    /** The parameters by their PyTorch names, in order. */
    public Map<String, Tensor> named() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        StringTensorDict dict = module.named_parameters();
        for (long i = 0; i < dict.size(); i++) {
            m.put(dict.get(i).key().getString(), dict.get(i).value());
        }
        return m;
    }

    /**
     * One training step the way the golden {@code mlp} case takes it: {@code opt.step(closure)} where the
     * closure zeroes the gradients, runs the model, calls {@code backward()} and returns the loss.
     */
    public Tensor trainStep(RAdam opt, Tensor x, Tensor y, boolean setToNone) {
        return opt.step(() -> {
            opt.zeroGrad(setToNone);
            Tensor l = loss(x, y);
            l.backward();
            return l;
        });
    }

    /** {@code mse_loss(model(x), y)}, with autograd recording when grad mode is on. */
    public Tensor loss(Tensor x, Tensor y) {
        return torch.mse_loss(l2.forward(act.forward(l1.forward(x))), y);
    }
}
