package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        List<Double> out = new ArrayList<>();
        for (double base : baseLrs) {
            out.add(base * LibM.pow(gamma, lastEpoch));
        }
        return out;
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("gamma", gamma);
    }

    @Override
    void loadFields(StateValues v) {
        gamma = v.real("gamma", gamma);
    }
}
