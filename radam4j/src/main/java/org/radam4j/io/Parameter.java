package org.radam4j.io;

import org.bytedeco.pytorch.Tensor;

/**
 * A tensor that was a {@code torch.nn.Parameter} in the file: {@link TorchFiles} loads Python's Parameters as this
 * {@link Tensor} (a new handle to the same tensor, with {@code requires_grad} as saved) and writes it back as a
 * Parameter, so that {@code torch.load} of a copy gives a Parameter where the original had one.
 */
public final class Parameter extends Tensor {

    /** The parameter over {@code data}'s tensor (a new handle sharing it). */
    public Parameter(Tensor data) {
        super(data);
    }
}
