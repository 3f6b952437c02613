package org.radam4j.io;

import java.io.IOException;

/**
 * A file that is not a PyTorch checkpoint radam4j can read safely: not a zip, truncated, inconsistent, or
 * needing a pickle global outside the allowed subset (what {@code torch.load(weights_only=True)} refuses too).
 */
public final class TorchFileFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public TorchFileFormatException(String message) {
        super(message);
    }

    public TorchFileFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
