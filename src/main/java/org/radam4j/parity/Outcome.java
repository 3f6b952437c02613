package org.radam4j.parity;

/**
 * The result of one replayed case or error, printed as one line of {@code scripts/radam4j parity}.
 *
 * @param label the case name, or {@code error:<name>}
 * @param status what happened
 * @param detail the rest of the line: max_rel, the skip reason or the first mismatch
 */
public record Outcome(String label, Status status, String detail) {

    /** How a case or error came out. */
    public enum Status {
        BITWISE, WITHIN_TOLERANCE, MATCHED, SKIPPED, FAIL;

        boolean passed() {
            return this == BITWISE || this == WITHIN_TOLERANCE || this == MATCHED;
        }
    }

    public boolean passed() {
        return status.passed();
    }

    /** The line as the CLI prints it. */
    public String line() {
        return switch (status) {
            case BITWISE -> label + ": bitwise";
            case WITHIN_TOLERANCE -> label + ": within-tolerance " + detail;
            case MATCHED -> label + ": matched";
            case SKIPPED -> label + ": skipped (" + detail + ")";
            case FAIL -> label + ": FAIL " + detail;
        };
    }
}
