package org.radam4j.parity;

import com.fasterxml.jackson.databind.JsonNode;

/** Lets tests outside this package replay a golden case on PyTorch's own path. */
public final class CaseReplayAccess {

    private CaseReplayAccess() {
    }

    public static Outcome run(JsonNode c) {
        return CaseReplay.run(c, Impl.AUTO);
    }
}
