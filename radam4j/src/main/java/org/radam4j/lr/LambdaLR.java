package org.radam4j.lr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.LongToDoubleFunction;

import org.radam4j.RAdam;

/**
 * PyTorch's {@code LambdaLR}: each group's lr is its initial lr times {@code lrLambda(epoch)}. As in PyTorch, the
 * functions are not saved: the state dict holds {@code lr_lambdas: [None, ...]}.
 */
public final class LambdaLR extends LRScheduler {

    private final List<LongToDoubleFunction> lambdas;

    /** One function for every group. */
    public LambdaLR(RAdam optimizer, LongToDoubleFunction lrLambda) {
        this(optimizer, Collections.nCopies(optimizer.paramGroups().size(), lrLambda), -1);
    }

    /**
     * One function per group.
     *
     * @throws IllegalArgumentException {@code Expected N lr_lambdas, but got M}
     */
    public LambdaLR(RAdam optimizer, List<LongToDoubleFunction> lrLambdas, long lastEpoch) {
        super(checked(optimizer, lrLambdas), lastEpoch);
        this.lambdas = List.copyOf(lrLambdas);
        initialStep();
    }

    static RAdam checked(RAdam optimizer, List<LongToDoubleFunction> lambdas) {
        if (lambdas.size() != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException("Expected " + optimizer.paramGroups().size() + " lr_lambdas, but got "
                    + lambdas.size());
        }
        return optimizer;
    }

    @Override
    protected List<Double> getLr() {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < baseLrs.size(); i++) {
            out.add(baseLrs.get(i) * lambdas.get(i).applyAsDouble(lastEpoch));
        }
        return out;
    }

    /** Python keeps {@code None} for a lambda that is not a callable object; the lambdas are not loaded. */
    @Override
    protected List<Field> fields() {
        return List.of(new Field("lr_lambdas", () -> new ArrayList<>(Collections.nCopies(lambdas.size(), null)), v -> { }));
    }
}
