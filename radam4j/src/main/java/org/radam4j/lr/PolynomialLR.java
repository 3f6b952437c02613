package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        List<Double> out = new ArrayList<>();
        for (double base : baseLrs) {
            out.add(base * LibM.pow(1.0 - (double) Math.min(totalIters, lastEpoch) / totalIters, power));
        }
        return out;
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("total_iters", totalIters);
        m.put("power", power);
    }

    @Override
    void loadFields(StateValues v) {
        totalIters = v.integer("total_iters", totalIters);
        power = v.real("power", power);
    }
}
