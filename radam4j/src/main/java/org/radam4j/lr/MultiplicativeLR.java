package org.radam4j.lr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.LongToDoubleFunction;

import org.radam4j.RAdam;

/**
 * PyTorch's {@code MultiplicativeLR}: each step multiplies each group's lr by {@code lrLambda(epoch)}. As in
 * PyTorch, the functions are not saved: the state dict holds {@code lr_lambdas: [None, ...]}.
 */
public final class MultiplicativeLR extends LRScheduler {

    private final List<LongToDoubleFunction> lambdas;

    /** One function for every group. */
    public MultiplicativeLR(RAdam optimizer, LongToDoubleFunction lrLambda) {
        this(optimizer, Collections.nCopies(optimizer.paramGroups().size(), lrLambda), -1);
    }

    /**
     * One function per group.
     *
     * @throws IllegalArgumentException {@code Expected N lr_lambdas, but got M}
     */
    public MultiplicativeLR(RAdam optimizer, List<LongToDoubleFunction> lrLambdas, long lastEpoch) {
        super(LambdaLR.checked(optimizer, lrLambdas), lastEpoch);
        this.lambdas = List.copyOf(lrLambdas);
        initialStep();
    }

    @Override
    protected List<Double> getLr() {
        if (isInitial) {
            return currentLrs();
        }
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < groupCount(); i++) {
            out.add(groupLr(i) * lambdas.get(i).applyAsDouble(lastEpoch));
        }
        return out;
    }

    /** Python keeps {@code None} for a lambda that is not a callable object; the lambdas are not loaded. */
    @Override
    protected List<Field> fields() {
        return List.of(new Field("lr_lambdas", () -> new ArrayList<>(Collections.nCopies(lambdas.size(), null)), v -> { }));
    }
}
