package org.radam4j.parity;

/** Which RAdam path a parity replay runs: the case's own ({@code auto}) or one forced for every case. */
public enum Impl {
    AUTO, FORLOOP, FOREACH, FUSED;

    /** From the CLI's spelling: {@code auto|forloop|foreach|fused}. */
    public static Impl parse(String s) {
        return switch (s) {
            case "auto" -> AUTO;
            case "forloop" -> FORLOOP;
            case "foreach" -> FOREACH;
            case "fused" -> FUSED;
            default -> throw new IllegalArgumentException("--impl must be auto, forloop, foreach or fused, but got '" + s + "'");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
