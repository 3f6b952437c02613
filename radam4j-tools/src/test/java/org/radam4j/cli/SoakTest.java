package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.radam4j.Libtorch;

/**
 * A short soak of each mixed-precision loop: every handle a step makes (the scaled loss, the norms, the scaler's
 * found-inf flags, the optimizer's temporaries) is freed by the step's own scope, none is left to the GC.
 */
class SoakTest {

    static {
        Libtorch.load();
    }

    @Test
    void theMixedPrecisionLoopsLeaveNoHandleBehind() throws Exception {
        for (String impl : new String[] {"fused_amp", "forloop_amp", "fused"}) {
            Soak.Result r = Soak.soak(DemoTraining.load(), impl, 600, true, false);
            assertTrue(r.handlesAtEnd() <= r.handlesAfterWarmup(), impl + ": " + r);
        }
    }
}
