package org.radam4j.lr;

import java.util.List;

import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/** PyTorch's {@code PolynomialLR}: decays each group's lr polynomially to 0 over {@code total_iters} epochs. */
public final class PolynomialLR extends LRScheduler {

    private long totalIters;
    private double power;

    /** {@code total_iters = 5}, {@code power = 1}. */
    public PolynomialLR(RAdam optimizer) {
        this(optimizer, 5, 1.0, -1);
    }

    public PolynomialLR(RAdam optimizer, long totalIters, double power) {
        this(optimizer, totalIters, power, -1);
    }

    public PolynomialLR(RAdam optimizer, long totalIters, double power, long lastEpoch) {
        super(optimizer, lastEpoch);
        this.totalIters = totalIters;
        this.power = power;
        initialStep();
    }

    @Override
    protected List<Double> getLr() {
        if (isInitial || lastEpoch > totalIters) {
            return currentLrs();
        }
        double decay = LibM.pow((1.0 - (double) lastEpoch / totalIters) / (1.0 - (double) (lastEpoch - 1) / totalIters), power);
        return scaled(decay);
    }

    @Override
    protected List<Double> closedFormLr() {
        return fromBaseLrs(base -> base * LibM.pow(1.0 - (double) Math.min(totalIters, lastEpoch) / totalIters, power));
    }

    @Override
    protected List<Field> fields() {
        return List.of(Field.integer("total_iters", () -> totalIters, x -> totalIters = x),
                Field.real("power", () -> power, x -> power = x));
    }
}
