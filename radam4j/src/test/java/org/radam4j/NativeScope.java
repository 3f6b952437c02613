package org.radam4j;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(NativeScope.class)}: libtorch loaded through {@link Libtorch} before the class's tests, and
 * each test run inside its own {@link PointerScope}, so that every tensor it makes is freed when it ends, without
 * the garbage collector.
 */
public final class NativeScope implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback {

    /** A random leaf tensor that requires grad: a param as a module would hold it. */
    public static Tensor param(long... shape) {
        Tensor p = torch.randn(shape);
        p.requires_grad_(true);
        return p;
    }

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NativeScope.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Libtorch.load();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put(PointerScope.class, new PointerScope());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        PointerScope scope = context.getStore(NS).remove(PointerScope.class, PointerScope.class);
        if (scope != null) {
            scope.close();
        }
    }
}
