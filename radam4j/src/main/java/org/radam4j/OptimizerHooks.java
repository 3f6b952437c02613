package org.radam4j;

import java.util.Map;
import java.util.function.Supplier;

/**
 * The hook types of PyTorch's {@code Optimizer}, as Java functional interfaces. Register them on an
 * {@link RAdam} (or, for step hooks, globally with {@link RAdam#registerGlobalStepPreHook}); each registration
 * returns a {@link RemovableHandle}.
 *
 * <p>Order within {@code step()}: global pre-hooks, the optimizer's pre-hooks, the step, the optimizer's
 * post-hooks, global post-hooks. A hook that throws stops the call there and its exception reaches the caller:
 * a pre-hook before anything changed, a post-hook after the step was taken.
 */
public final class OptimizerHooks {

    private OptimizerHooks() {
    }

    /**
     * Runs before {@code step()}; PyTorch's {@code hook(optimizer, args, kwargs)}. It may return a replacement for
     * the closure (Python's new {@code (args, kwargs)}), or {@code null} to keep it.
     */
    @FunctionalInterface
    public interface StepPreHook {
        Supplier<?> beforeStep(RAdam optimizer, Supplier<?> closure);
    }

    /** Runs after {@code step()}; PyTorch's {@code hook(optimizer, args, kwargs)}, whose result is ignored. */
    @FunctionalInterface
    public interface StepPostHook {
        void afterStep(RAdam optimizer, Supplier<?> closure);
    }

    /** Runs when {@code stateDict()} starts; PyTorch's {@code hook(optimizer)}. */
    @FunctionalInterface
    public interface StateDictPreHook {
        void beforeStateDict(RAdam optimizer);
    }

    /** Runs on the packed state dict; may return a replacement, or {@code null} to keep it (or edit it in place). */
    @FunctionalInterface
    public interface StateDictPostHook {
        Map<String, Object> afterStateDict(RAdam optimizer, Map<String, Object> stateDict);
    }

    /**
     * Runs on the state dict given to {@code loadStateDict} (a shallow copy, as in PyTorch); may return a
     * replacement, or {@code null} to keep it (or edit it in place).
     */
    @FunctionalInterface
    public interface LoadStateDictPreHook {
        Map<String, ?> beforeLoadStateDict(RAdam optimizer, Map<String, ?> stateDict);
    }

    /** Runs after {@code loadStateDict} has loaded; PyTorch's {@code hook(optimizer)}. */
    @FunctionalInterface
    public interface LoadStateDictPostHook {
        void afterLoadStateDict(RAdam optimizer);
    }
}
