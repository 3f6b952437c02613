package org.radam4j;

/**
 * What registering a hook returns, PyTorch's {@code RemovableHandle}: {@link #remove()} unregisters the hook
 * and may be called any number of times; {@link #close()} does the same, for try-with-resources.
 */
public interface RemovableHandle extends AutoCloseable {

    /** Unregisters the hook; a no-op when it is already removed. */
    void remove();

    @Override
    default void close() {
        remove();
    }
}
