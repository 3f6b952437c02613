package org.radam4j.lr;

import java.util.List;

import org.radam4j.RAdam;

/** PyTorch's {@code LinearLR}: a factor going linearly from {@code start_factor} to {@code end_factor} over {@code total_iters} epochs. */
public final class LinearLR extends LRScheduler {

    private double startFactor;
    private double endFactor;
    private long totalIters;

    /** {@code start_factor = 1/3}, {@code end_factor = 1}, {@code total_iters = 5}. */
    public LinearLR(RAdam optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5, -1);
    }

    public LinearLR(RAdam optimizer, double startFactor, double endFactor, long totalIters) {
        this(optimizer, startFactor, endFactor, totalIters, -1);
    }

    /**
     * @throws IllegalArgumentException PyTorch's {@code Starting multiplicative factor expected to be greater than 0
     *     and less or equal to 1.} / {@code Ending multiplicative factor expected to be between 0 and 1.}
     */
    public LinearLR(RAdam optimizer, double startFactor, double endFactor, long totalIters, long lastEpoch) {
        super(checked(optimizer, startFactor, endFactor), lastEpoch);
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        initialStep();
    }

    private static RAdam checked(RAdam optimizer, double start, double end) {
        if (start > 1.0 || start <= 0) {
            throw new IllegalArgumentException(
                    "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        }
        if (end > 1.0 || end < 0) {
            throw new IllegalArgumentException("Ending multiplicative factor expected to be between 0 and 1.");
        }
        return optimizer;
    }

    @Override
    protected List<Double> getLr() {
        if (lastEpoch == 0) {
            return scaled(startFactor);
        }
        if (isInitial || lastEpoch > totalIters) {
            return currentLrs();
        }
        return scaled(1.0 + (endFactor - startFactor)
                / (totalIters * startFactor + (lastEpoch - 1) * (endFactor - startFactor)));
    }

    @Override
    protected List<Double> closedFormLr() {
        return fromBaseLrs(base -> base * (startFactor + (endFactor - startFactor) * Math.min(totalIters, lastEpoch) / totalIters));
    }

    @Override
    protected List<Field> fields() {
        return List.of(Field.real("start_factor", () -> startFactor, x -> startFactor = x),
                Field.real("end_factor", () -> endFactor, x -> endFactor = x),
                Field.integer("total_iters", () -> totalIters, x -> totalIters = x));
    }
}
