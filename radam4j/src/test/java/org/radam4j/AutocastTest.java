package org.radam4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.radam4j.internal.Dtypes;

/** Autocast scopes cast as torch.autocast does on the CPU, nest, and restore the state they found. */
@ExtendWith(NativeScope.class)
class AutocastTest {

    private static ScalarType mm() {
        Tensor a = torch.ones(4, 4);
        return Dtypes.of(torch.matmul(a, a));
    }

    @Test
    void scopesCastNestAndRestore() {
        assertEquals(ScalarType.Float, mm());
        assertFalse(Autocast.isEnabled("cpu"));
        try (Autocast outer = Autocast.enter("cpu", ScalarType.BFloat16)) {
            assertTrue(Autocast.isEnabled("cpu"));
            assertEquals(ScalarType.BFloat16, mm());
            try (Autocast off = Autocast.enter("cpu", null, false, null)) {
                assertEquals(ScalarType.Float, mm());
            }
            try (Autocast half = Autocast.enter("cpu", ScalarType.Half)) {
                assertEquals(ScalarType.Half, mm());
            }
            assertEquals(ScalarType.BFloat16, mm());
        }
        assertFalse(Autocast.isEnabled("cpu"));
        assertEquals(ScalarType.Float, mm());
    }

    @Test
    void unsupportedChoicesAreDisabledOrRefusedAsInPyTorch() {
        try (Autocast f64 = Autocast.enter("cpu", ScalarType.Double)) {
            assertFalse(Autocast.isEnabled("cpu"), "CPU autocast supports bfloat16 and float16 only: disabled");
        }
        assertEquals("User specified an unsupported autocast device_type 'tpu'",
                assertThrows(IllegalStateException.class, () -> Autocast.enter("tpu")).getMessage());
    }
}
