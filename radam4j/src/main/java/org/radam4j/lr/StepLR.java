package org.radam4j.lr;

import java.util.List;

import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/** PyTorch's {@code StepLR}: multiplies each group's lr by {@code gamma} every {@code step_size} epochs. */
public final class StepLR extends LRScheduler {

    private long stepSize;
    private double gamma;

    public StepLR(RAdam optimizer, long stepSize) {
        this(optimizer, stepSize, 0.1, -1);
    }

    public StepLR(RAdam optimizer, long stepSize, double gamma) {
        this(optimizer, stepSize, gamma, -1);
    }

    public StepLR(RAdam optimizer, long stepSize, double gamma, long lastEpoch) {
        super(optimizer, lastEpoch);
        this.stepSize = stepSize;
        this.gamma = gamma;
        initialStep();
    }

    @Override
    protected List<Double> getLr() {
        if (lastEpoch == 0 || Math.floorMod(lastEpoch, stepSize) != 0) {
            return currentLrs();
        }
        return scaled(gamma);
    }

    @Override
    protected List<Double> closedFormLr() {
        return fromBaseLrs(base -> base * LibM.pow(gamma, Math.floorDiv(lastEpoch, stepSize)));
    }

    @Override
    protected List<Field> fields() {
        return List.of(Field.integer("step_size", () -> stepSize, x -> stepSize = x),
                Field.real("gamma", () -> gamma, x -> gamma = x));
    }
}
