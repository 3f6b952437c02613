package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.radam4j.PyCounter;
import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/**
 * PyTorch's {@code MultiStepLR}: multiplies each group's lr by {@code gamma} at each milestone epoch (by
 * {@code gamma ** k} at a milestone given k times). The milestones are saved as Python's {@code Counter}.
 */
public final class MultiStepLR extends LRScheduler {

    private PyCounter milestones;
    private double gamma;

    public MultiStepLR(RAdam optimizer, List<Long> milestones) {
        this(optimizer, milestones, 0.1, -1);
    }

    public MultiStepLR(RAdam optimizer, List<Long> milestones, double gamma) {
        this(optimizer, milestones, gamma, -1);
    }

    public MultiStepLR(RAdam optimizer, List<Long> milestones, double gamma, long lastEpoch) {
        super(optimizer, lastEpoch);
        this.milestones = PyCounter.of(new ArrayList<>(milestones));
        this.gamma = gamma;
        initialStep();
    }

    @Override
    protected List<Double> getLr() {
        long times = milestones.count(lastEpoch);
        if (times == 0) {
            return currentLrs();
        }
        return scaled(LibM.pow(gamma, times));
    }

    @Override
    protected List<Double> closedFormLr() {
        long passed = 0;
        for (Map.Entry<Long, Long> e : new TreeMap<>(milestones.asLongs()).entrySet()) {
            if (e.getKey() <= lastEpoch) {
                passed += e.getValue();
            }
        }
        double factor = LibM.pow(gamma, passed);
        return fromBaseLrs(base -> base * factor);
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("milestones", milestones.copy());
        m.put("gamma", gamma);
    }

    @Override
    protected void loadFields(StateValues v) {
        if (v.has("milestones")) {
            Object raw = v.raw("milestones");
            if (!(raw instanceof Map<?, ?> map)) {
                throw StateValues.wrong("milestones", "a Counter of epochs", raw);
            }
            milestones = PyCounter.copyOf(map, "milestones");
        }
        gamma = v.real("gamma", gamma);
    }
}
