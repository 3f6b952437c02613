package org.radam4j.internal;

/**
 * libtorch's error text without its C++ part: JavaCPP hands a {@code c10::Error} to Java as a
 * {@link RuntimeException} whose message is {@code what()}, PyTorch's message followed by
 * {@code Exception raised from ... (most recent call first):} and the C++ stack frames. Python shows only the
 * message; so do radam4j's exceptions.
 */
public final class LibtorchErrors {

    private LibtorchErrors() {
    }

    /** The message of a libtorch error, cut before its C++ location and frames, without a leading source location. */
    public static String message(RuntimeException e) {
        String m = e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        int cut = m.indexOf("Exception raised from ");
        if (cut < 0) {
            cut = m.indexOf("\nframe #");
        }
        return SOURCE_LOCATION.matcher((cut < 0 ? m : m.substring(0, cut)).strip()).replaceFirst("");
    }

    /** A leading C++ source location, as Gloo starts its messages: {@code [/path/pair.cc:538] }. */
    private static final java.util.regex.Pattern SOURCE_LOCATION = java.util.regex.Pattern.compile("^\\[[^\\]\\s]*\\.(?:cc|cpp|h|hpp):\\d+\\]\\s*");

    /**
     * {@code e} as radam4j reports a libtorch failure: its own {@link IllegalArgumentException} and
     * {@link IllegalStateException} unchanged, anything else as an {@link IllegalStateException} with the message
     * cut by {@link #message} and no cause (the cause would carry the frames).
     */
    public static RuntimeException translate(RuntimeException e) {
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return e;
        }
        return new IllegalStateException(message(e));
    }
}
