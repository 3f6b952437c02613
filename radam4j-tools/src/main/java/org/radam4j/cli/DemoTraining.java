package org.radam4j.cli;

import java.io.IOException;
import java.io.InputStream;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.parity.MlpModel;
import org.radam4j.parity.TensorCodec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The demo network on the data the jar ships ({@code org/radam4j/demo/mlp_float32.json}, from PyTorch 2.11),
 * with RAdam as the golden {@code mlp} case configures it, ready to train.
 */
record DemoTraining(MlpModel model, Tensor x, Tensor y, RAdam opt) {

    static JsonNode load() throws IOException {
        try (InputStream in = DemoTraining.class.getResourceAsStream("/org/radam4j/demo/mlp_float32.json")) {
            if (in == null) {
                throw new IOException("the demo data is missing from the classpath (rebuild with mvn package)");
            }
            return new ObjectMapper().readTree(in);
        }
    }

    /** A fresh network with PyTorch's recorded initial weights and {@code RAdam(lr, weight_decay=1e-4, decoupled)}. */
    static DemoTraining start(JsonNode data, double lr) {
        return start(data, RAdamOptions.builder().lr(lr).weightDecay(1e-4).decoupledWeightDecay(true).build());
    }

    /** A fresh network with PyTorch's recorded initial weights and RAdam with the given options. */
    static DemoTraining start(JsonNode data, RAdamOptions options) {
        MlpModel model = new MlpModel(ScalarType.Float);
        model.load(data.get("init"));
        RAdam opt = new RAdam(model.module().parameters(), options);
        return new DemoTraining(model, TensorCodec.decode(data.get("X")), TensorCodec.decode(data.get("y")), opt);
    }

    /** One {@code step(closure)}; returns the loss. */
    Tensor step(boolean setToNone) {
        return model.trainStep(opt, x, y, setToNone);
    }
}
