package org.radam4j.io;

/**
 * A {@code torch.device} stored in a checkpoint: {@link TorchFiles} reads it as its string form and writes it
 * back as a device.
 *
 * @param name {@code "cpu"} or {@code "cuda:1"}, say
 */
public record PyDevice(String name) {
    @Override
    public String toString() {
        return name;
    }
}
