package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;

import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/**
 * PyTorch's {@code CosineAnnealingLR}: cosine annealing from each group's lr to {@code eta_min} over
 * {@code T_max} epochs, in PyTorch's recursive form (and back up after {@code T_max}, as PyTorch's does).
 */
public final class CosineAnnealingLR extends LRScheduler {

    private long tMax;
    private double etaMin;

    public CosineAnnealingLR(RAdam optimizer, long tMax) {
        this(optimizer, tMax, 0.0, -1);
    }

    public CosineAnnealingLR(RAdam optimizer, long tMax, double etaMin) {
        this(optimizer, tMax, etaMin, -1);
    }

    public CosineAnnealingLR(RAdam optimizer, long tMax, double etaMin, long lastEpoch) {
        super(optimizer, lastEpoch);
        this.tMax = tMax;
        this.etaMin = etaMin;
        initialStep();
    }

    @Override
    protected List<Double> getLr() {
        List<Double> out = new ArrayList<>();
        if (isInitial) {
            return currentLrs();
        }
        for (int i = 0; i < groupCount(); i++) {
            double base = baseLrs.get(i);
            double lr = groupLr(i);
            if (stepCount == 1 && lastEpoch > 0) {
                out.add(etaMin + (base - etaMin) * (1 + LibM.cos(lastEpoch * Math.PI / tMax)) / 2);
            } else if (Math.floorMod(lastEpoch - 1 - tMax, 2 * tMax) == 0) {
                out.add(lr + (base - etaMin) * (1 - LibM.cos(Math.PI / tMax)) / 2);
            } else {
                out.add((1 + LibM.cos(Math.PI * lastEpoch / tMax)) / (1 + LibM.cos(Math.PI * (lastEpoch - 1) / tMax))
                        * (lr - etaMin) + etaMin);
            }
        }
        return out;
    }

    @Override
    protected List<Double> closedFormLr() {
        return fromBaseLrs(base -> etaMin + (base - etaMin) * (1 + LibM.cos(Math.PI * lastEpoch / tMax)) / 2);
    }

    @Override
    protected List<Field> fields() {
        return List.of(Field.integer("T_max", () -> tMax, x -> tMax = x),
                Field.real("eta_min", () -> etaMin, x -> etaMin = x));
    }
}
