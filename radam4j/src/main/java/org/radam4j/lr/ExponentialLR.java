package org.radam4j.lr;

import java.util.List;

import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/** PyTorch's {@code ExponentialLR}: multiplies each group's lr by {@code gamma} every epoch. */
public final class ExponentialLR extends LRScheduler {

    private double gamma;

    public ExponentialLR(RAdam optimizer, double gamma) {
        this(optimizer, gamma, -1);
    }

    public ExponentialLR(RAdam optimizer, double gamma, long lastEpoch) {
        super(optimizer, lastEpoch);
        this.gamma = gamma;
        initialStep();
    }

    @Override
    protected List<Double> getLr() {
        return isInitial ? currentLrs() : scaled(gamma);
    }

    @Override
    protected List<Double> closedFormLr() {
        return fromBaseLrs(base -> base * LibM.pow(gamma, lastEpoch));
    }

    @Override
    protected List<Field> fields() {
        return List.of(Field.real("gamma", () -> gamma, x -> gamma = x));
    }
}
