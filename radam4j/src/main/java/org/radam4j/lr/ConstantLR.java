package org.radam4j.lr;

import java.util.List;

import org.radam4j.RAdam;

/** PyTorch's {@code ConstantLR}: each group's lr times {@code factor} until epoch {@code total_iters}. */
public final class ConstantLR extends LRScheduler {

    private double factor;
    private long totalIters;

    /** {@code factor = 1/3}, {@code total_iters = 5}. */
    public ConstantLR(RAdam optimizer) {
        this(optimizer, 1.0 / 3, 5, -1);
    }

    public ConstantLR(RAdam optimizer, double factor, long totalIters) {
        this(optimizer, factor, totalIters, -1);
    }

    /** @throws IllegalArgumentException {@code Constant multiplicative factor expected to be between 0 and 1.} */
    public ConstantLR(RAdam optimizer, double factor, long totalIters, long lastEpoch) {
        super(checked(optimizer, factor), lastEpoch);
        this.factor = factor;
        this.totalIters = totalIters;
        initialStep();
    }

    private static RAdam checked(RAdam optimizer, double factor) {
        if (factor > 1.0 || factor < 0) {
            throw new IllegalArgumentException("Constant multiplicative factor expected to be between 0 and 1.");
        }
        return optimizer;
    }

    @Override
    protected List<Double> getLr() {
        if (lastEpoch == 0) {
            return scaled(factor);
        }
        if (lastEpoch != totalIters) {
            return currentLrs();
        }
        return scaled(1.0 / factor);
    }

    @Override
    protected List<Double> closedFormLr() {
        return fromBaseLrs(base -> base * (factor + (lastEpoch >= totalIters ? 1 : 0) * (1 - factor)));
    }

    @Override
    protected List<Field> fields() {
        return List.of(Field.real("factor", () -> factor, x -> factor = x),
                Field.integer("total_iters", () -> totalIters, x -> totalIters = x));
    }
}
