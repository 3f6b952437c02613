package org.radam4j.parity;

/**
 * The result of one replayed case or error, printed as one line of {@code scripts/radam4j parity}.
 *
 * @param label the case name, or {@code error:<name>}
 * @param status what happened
 * @param detail the rest of the line: max_rel, the skip reason or the first mismatch
 * @param resume the replay from a saved state dict, for cases that have one, else {@code null}
 */
public record Outcome(String label, Status status, String detail, Resume resume) {

    /** How a case or error came out. */
    public enum Status {
        BITWISE, WITHIN_TOLERANCE, MATCHED, SKIPPED, FAIL;

        boolean passed() {
            return this == BITWISE || this == WITHIN_TOLERANCE || this == MATCHED;
        }
    }

    /**
     * The second replay of a case from a state dict saved part-way.
     *
     * @param outcome how the resumed steps compared
     * @param from what was loaded
     */
    public record Resume(Outcome outcome, String from) {
    }

    public Outcome(String label, Status status, String detail) {
        this(label, status, detail, null);
    }

    public boolean passed() {
        return status.passed() && (resume == null || resume.outcome().passed());
    }

    /** The line as the CLI prints it: {@code <case>: bitwise}, {@code <case>: bitwise, resume bitwise}, ... */
    public String line() {
        String main = label + ": " + body();
        return resume == null ? main : main + ", resume " + resume.outcome().body();
    }

    private String body() {
        return switch (status) {
            case BITWISE -> "bitwise";
            case WITHIN_TOLERANCE -> "within-tolerance " + detail;
            case MATCHED -> "matched";
            case SKIPPED -> "skipped (" + detail + ")";
            case FAIL -> "FAIL " + detail;
        };
    }
}
