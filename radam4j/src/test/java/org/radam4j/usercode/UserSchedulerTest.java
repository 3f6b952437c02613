package org.radam4j.usercode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.NativeScope;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;
import org.radam4j.io.TorchFiles;
import org.radam4j.lr.LRScheduler;
import org.radam4j.lr.StateValues;

/** A scheduler written outside {@code org.radam4j.lr}, as a user writes one, and its state dict through a file. */
@ExtendWith(NativeScope.class)
class UserSchedulerTest {

    /** Linear warmup over {@code warmup} epochs, then the inverse square root of the epoch (the Transformer schedule). */
    static final class WarmupInverseSqrt extends LRScheduler {

        private long warmup;

        WarmupInverseSqrt(RAdam optimizer, long warmup, long lastEpoch) {
            super(optimizer, lastEpoch);
            this.warmup = warmup;
            initialStep();
        }

        static double factor(long epoch, long warmup) {
            long e = epoch + 1;
            return e <= warmup ? (double) e / warmup : Math.sqrt((double) warmup / e);
        }

        @Override
        protected List<Double> getLr() {
            List<Double> out = new ArrayList<>();
            for (double base : baseLrs) {
                out.add(base * factor(lastEpoch, warmup));
            }
            return out;
        }

        @Override
        protected void saveFields(Map<String, Object> m) {
            m.put("warmup", warmup);
        }

        @Override
        protected void loadFields(StateValues v) {
            warmup = v.integer("warmup", warmup);
        }
    }

    private static RAdam optimizer() {
        Tensor p = torch.randn(3);
        p.requires_grad_(true);
        return new RAdam(List.of(p), RAdamOptions.builder().lr(0.01).build());
    }

    @Test
    void followsItsFormulaAndResumesFromAFile(@TempDir Path dir) throws Exception {
        RAdam opt = optimizer();
        WarmupInverseSqrt s = new WarmupInverseSqrt(opt, 4, -1);
        List<Double> lrs = new ArrayList<>();
        for (int epoch = 0; epoch < 12; epoch++) {
            assertEquals(0.01 * WarmupInverseSqrt.factor(epoch, 4), opt.paramGroups().get(0).lr(), 0.0, "epoch " + epoch);
            lrs.add(opt.paramGroups().get(0).lr());
            if (epoch == 6) {
                TorchFiles.save(Map.of("optimizer", opt.stateDict(), "scheduler", s.stateDict()), dir.resolve("ckpt.pt"));
            }
            opt.step();
            s.step();
        }

        @SuppressWarnings("unchecked")
        Map<String, Map<String, ?>> ckpt = (Map<String, Map<String, ?>>) TorchFiles.load(dir.resolve("ckpt.pt"));
        assertEquals(4L, ckpt.get("scheduler").get("warmup"));
        assertEquals(6L, ckpt.get("scheduler").get("last_epoch"));
        RAdam resumed = optimizer();
        resumed.loadStateDict(ckpt.get("optimizer"));
        WarmupInverseSqrt r = new WarmupInverseSqrt(resumed, 1, 6);
        r.loadStateDict(ckpt.get("scheduler"));
        assertEquals(lrs.get(6), r.getLastLr().get(0), 0.0);
        for (int epoch = 7; epoch < 12; epoch++) {
            resumed.step();
            r.step();
            assertEquals(lrs.get(epoch), resumed.paramGroups().get(0).lr(), 0.0, "resumed epoch " + epoch);
        }
    }

    @Test
    void aWrongFieldTypeIsRefusedAndChangesNothing() {
        WarmupInverseSqrt s = new WarmupInverseSqrt(optimizer(), 4, -1);
        Map<String, Object> before = s.stateDict();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.loadStateDict(Map.of("warmup", "four", "last_epoch", 3L)));
        assertEquals("scheduler state_dict['warmup'] must be an int, but got str four", e.getMessage());
        assertEquals(before, s.stateDict());
    }
}
