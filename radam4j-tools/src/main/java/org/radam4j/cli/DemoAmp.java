package org.radam4j.cli;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.Autocast;
import org.radam4j.ClipGrad;
import org.radam4j.GradScaler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code scripts/radam4j demo --amp}: the demo network trained three ways on the CPU, side by side, each with
 * {@code clip_grad_norm_(params, 1.0)}: float32; under {@code Autocast} bfloat16; under {@code Autocast} float16 with a
 * {@code GradScaler} and {@code clip_grad_norm_}, the loop Python users write:
 * {@code scaler.scale(loss).backward(); scaler.unscale(opt); clip; scaler.step(opt); scaler.update()}. It prints the
 * losses, the float16 run's scale and the steps its scaler skipped.
 */
final class DemoAmp {

    private static final double MAX_NORM = 1.0;

    private DemoAmp() {
    }

    static int run() throws IOException {
        JsonNode data = DemoTraining.load();
        int steps = data.get("losses").size();
        System.out.println("radam4j demo --amp: " + data.get("architecture").asText() + ", " + steps + " steps on the CPU");
        System.out.println();
        System.out.println("  step   float32        bfloat16 (autocast)   float16 (autocast + GradScaler)   scale");
        int skipped = 0;
        double[] last = new double[3];
        try (PointerScope scope = new PointerScope()) {
            DemoTraining f32 = DemoTraining.start(data, 0.01);
            DemoTraining bf16 = DemoTraining.start(data, 0.01);
            DemoTraining f16 = DemoTraining.start(data, 0.01);
            GradScaler scaler = new GradScaler("cpu");
            for (int s = 0; s < steps; s++) {
                try (PointerScope step = new PointerScope()) {
                    last[0] = autocastStep(f32, null, null);
                    last[1] = autocastStep(bf16, ScalarType.BFloat16, null);
                    double before = scaler.getScale();
                    last[2] = autocastStep(f16, ScalarType.Half, scaler);
                    if (scaler.getScale() < before) {
                        skipped++;
                    }
                }
                if (s % 5 == 0 || s == steps - 1) {
                    System.out.println(String.format(Locale.ROOT, "  %4d   %.6f       %.6f              %.6f                          %.0f",
                            s + 1, last[0], last[1], last[2], scaler.getScale()));
                }
            }
        }
        System.out.println();
        System.out.println(String.format(Locale.ROOT, "  final losses: float32 %.6f, bfloat16 %.6f, float16 %.6f; the float16 "
                + "scaler skipped %d of %d steps (an inf or NaN gradient: the scale halves and the step is not taken)",
                last[0], last[1], last[2], skipped, steps));
        return 0;
    }

    /** One step of the AMP loop ({@code dtype} null: float32); with a scaler, the loss is scaled and the step may be skipped. */
    private static double autocastStep(DemoTraining run, ScalarType dtype, GradScaler scaler) {
        run.opt().zeroGrad();
        Tensor loss;
        try (Autocast ac = Autocast.enter("cpu", dtype, dtype != null, null)) {
            loss = run.model().loss(run.x(), run.y());
        }
        List<Tensor> params = List.of(run.model().module().parameters().get());
        if (scaler == null) {
            loss.backward();
            ClipGrad.clipGradNorm(params, MAX_NORM).close();
            run.opt().step();
        } else {
            scaler.scale(loss).backward();
            scaler.unscale(run.opt());
            ClipGrad.clipGradNorm(params, MAX_NORM).close();
            scaler.step(run.opt());
            scaler.update();
        }
        return loss.item_double();
    }
}
