package org.radam4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** libtorch's messages as radam4j reports them: no C++ frames, no source location in front. */
class LibtorchErrorsTest {

    @Test
    void framesAreCut() {
        RuntimeException e = new RuntimeException("a leaf Variable that requires grad is being used in an in-place operation.\n"
                + "Exception raised from check_inplace at /x/VariableTypeUtils.h:81 (most recent call first):\nframe #0: c10::Error");
        assertEquals("a leaf Variable that requires grad is being used in an in-place operation.", LibtorchErrors.message(e));
    }

    @Test
    void glooSourceLocationIsCut() {
        RuntimeException e = new RuntimeException("[/home/runner/work/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:538] "
                + "Read error [127.0.0.1]:22175: Connection reset by peer");
        assertEquals("Read error [127.0.0.1]:22175: Connection reset by peer", LibtorchErrors.message(e));
    }

    @Test
    void aBracketThatIsNoSourceLocationStays() {
        RuntimeException e = new RuntimeException("[1, 2] is not a valid shape");
        assertEquals("[1, 2] is not a valid shape", LibtorchErrors.message(e));
    }
}
