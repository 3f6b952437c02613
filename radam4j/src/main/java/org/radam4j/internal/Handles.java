package org.radam4j.internal;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/** Native handles that outlive the caller's {@link PointerScope}. */
public final class Handles {

    private Handles() {
    }

    /**
     * Takes a native handle out of the caller's innermost {@link PointerScope}, for handles an object keeps
     * (optimizer state, its own handles of the params, a reducer): a training loop wrapped in a scope must not
     * free them. Call it right after creating the handle: JavaCPP attaches new handles to the innermost scope
     * only, and {@code detach} releases a reference whether or not the scope held the handle.
     */
    public static <P extends Pointer> P keep(P t) {
        PointerScope scope = PointerScope.getInnerScope();
        if (scope != null && t.referenceCount() > 0) {
            t.retainReference();
            scope.detach(t);
        }
        return t;
    }

    /**
     * Hands a handle the library made in a scope of its own, and retained past it, to the caller as a presets op
     * hands its result: attached to the caller's innermost {@link PointerScope} when there is one (freed when that
     * closes), else the caller's to close. Call it once the library's own scope has closed.
     */
    public static <P extends Pointer> P handOver(P t) {
        PointerScope scope = PointerScope.getInnerScope();
        if (scope != null) {
            int before = t.referenceCount();
            scope.attach(t);
            if (t.referenceCount() > before) {
                t.releaseReference();
            }
        }
        return t;
    }
}
