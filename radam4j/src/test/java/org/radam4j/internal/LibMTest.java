package org.radam4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LibMTest {

    /** The schedulers' math comes from the C library whenever radam4j's native library loads, fused kernel or not. */
    @Test
    void theCLibraryIsUsedWhereTheNativeLibraryLoads() {
        assertEquals(NativeLoader.library().loaded(), LibM.isNative());
        assertTrue(LibM.isNative(), "this build's native library: " + NativeLoader.library().failure());
        assertNull(NativeLoader.library().failure());
        assertEquals(-1.0, LibM.cos(Math.PI));
        assertEquals(1024.0, LibM.pow(2.0, 10.0));
        assertEquals(0.0, LibM.log(1.0));
    }
}
