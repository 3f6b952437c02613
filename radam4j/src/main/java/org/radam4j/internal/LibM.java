package org.radam4j.internal;

/**
 * {@code cos}, {@code pow} and {@code log} as CPython computes them: the C library's (glibc's on Linux), called
 * through radam4j's native library. Java's {@link Math} and {@link StrictMath} can differ from glibc in the last
 * bit, and a learning-rate schedule that should follow Python's float for float cannot. radam4j's native library
 * is built for linux-x86_64; where it cannot be loaded these fall back to {@link StrictMath}, say so once in the
 * log, and {@link #isNative()} is false: schedules may then differ from Python's in the last bit.
 */
public final class LibM {

    private static final boolean NATIVE = NativeLoader.library().loaded();

    static {
        if (!NATIVE) {
            java.util.logging.Logger.getLogger(LibM.class.getName()).warning("learning-rate schedulers compute cos, pow "
                    + "and log with StrictMath, which can differ from Python's in the last bit: "
                    + NativeLoader.library().failure());
        }
    }

    private LibM() {
    }

    /** Whether these are the C library's functions (Python's); false where they fall back to {@link StrictMath}. */
    public static boolean isNative() {
        return NATIVE;
    }

    public static double cos(double x) {
        return NATIVE ? cos0(x) : StrictMath.cos(x);
    }

    /** Python's {@code x ** y} and {@code math.pow(x, y)} on floats. */
    public static double pow(double x, double y) {
        return NATIVE ? pow0(x, y) : StrictMath.pow(x, y);
    }

    public static double log(double x) {
        return NATIVE ? log0(x) : StrictMath.log(x);
    }

    private static native double cos0(double x);

    private static native double pow0(double x, double y);

    private static native double log0(double x);
}
