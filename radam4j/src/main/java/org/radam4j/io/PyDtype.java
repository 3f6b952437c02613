package org.radam4j.io;

/**
 * A dtype stored in a checkpoint ({@code torch.float32} as a value, not a tensor's type): {@link TorchFiles}
 * reads it as its name and writes it back as the same {@code torch} global.
 *
 * @param name {@code "torch.float32"}, say
 */
public record PyDtype(String name) {
    @Override
    public String toString() {
        return name;
    }
}
