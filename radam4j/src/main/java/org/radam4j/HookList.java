package org.radam4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An ordered list of hooks, PyTorch's {@code OrderedDict} of hooks: registration appends (or, with
 * {@code prepend}, inserts first), removal is by handle and idempotent, and iteration works on a snapshot, so a
 * hook that removes itself or registers another while running does not disturb the current call.
 */
final class HookList<H> {

    private final CopyOnWriteArrayList<Object[]> hooks = new CopyOnWriteArrayList<>();

    RemovableHandle add(H hook, boolean prepend) {
        java.util.Objects.requireNonNull(hook, "hook");
        Object[] entry = {hook};
        if (prepend) {
            hooks.add(0, entry);
        } else {
            hooks.add(entry);
        }
        return () -> hooks.remove(entry);
    }

    @SuppressWarnings("unchecked")
    List<H> snapshot() {
        List<H> out = new ArrayList<>(hooks.size());
        for (Object[] e : hooks) {
            out.add((H) e[0]);
        }
        return out;
    }
}
