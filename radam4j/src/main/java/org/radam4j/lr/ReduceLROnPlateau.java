package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.radam4j.ParamGroup;
import org.radam4j.RAdam;

/**
 * PyTorch's {@code ReduceLROnPlateau}: {@link #step(double)} takes a metric, and each group's lr is multiplied by
 * {@code factor} (not below {@code min_lr}) once the metric has not improved for more than {@code patience}
 * steps, then waits {@code cooldown} steps. Build it with {@link #builder}.
 */
public final class ReduceLROnPlateau extends LRScheduler {

    private double factor;
    private List<Double> minLrs;
    private Double defaultMinLr;
    private long patience;
    private long cooldown;
    private double eps;
    private String mode;
    private double threshold;
    private String thresholdMode;
    private double best;
    private long cooldownCounter;
    private long numBadEpochs;
    private double modeWorse;

    public static Builder builder(RAdam optimizer) {
        return new Builder(optimizer);
    }

    /** ReduceLROnPlateau's keyword arguments, with PyTorch's defaults. */
    public static final class Builder {
        private final RAdam optimizer;
        private String mode = "min";
        private double factor = 0.1;
        private long patience = 10;
        private double threshold = 1e-4;
        private String thresholdMode = "rel";
        private long cooldown;
        private Double minLr = 0.0;
        private List<Double> minLrs;
        private double eps = 1e-8;

        private Builder(RAdam optimizer) {
            this.optimizer = optimizer;
        }

        /** {@code min} or {@code max}. */
        public Builder mode(String v) {
            mode = v;
            return this;
        }

        public Builder factor(double v) {
            factor = v;
            return this;
        }

        public Builder patience(long v) {
            patience = v;
            return this;
        }

        public Builder threshold(double v) {
            threshold = v;
            return this;
        }

        /** {@code rel} or {@code abs}. */
        public Builder thresholdMode(String v) {
            thresholdMode = v;
            return this;
        }

        public Builder cooldown(long v) {
            cooldown = v;
            return this;
        }

        public Builder minLr(double v) {
            minLr = v;
            minLrs = null;
            return this;
        }

        /** @throws IllegalArgumentException {@code expected N min_lrs, got M} */
        public Builder minLr(List<Double> v) {
            if (v.size() != optimizer.paramGroups().size()) {
                throw new IllegalArgumentException("expected " + optimizer.paramGroups().size() + " min_lrs, got " + v.size());
            }
            minLr = null;
            minLrs = new ArrayList<>(v);
            return this;
        }

        public Builder eps(double v) {
            eps = v;
            return this;
        }

        /** @throws IllegalArgumentException PyTorch's {@code Factor should be < 1.0.}, {@code mode ... is unknown!} */
        public ReduceLROnPlateau build() {
            return GroupSnapshot.restoringOnFailure(optimizer, () -> new ReduceLROnPlateau(this));
        }
    }

    private ReduceLROnPlateau(Builder b) {
        super(b.optimizer);
        if (b.factor >= 1.0) {
            throw new IllegalArgumentException("Factor should be < 1.0.");
        }
        checkModes(b.mode, b.thresholdMode);
        this.factor = b.factor;
        this.defaultMinLr = b.minLr;
        this.minLrs = b.minLrs != null ? b.minLrs : LRScheduler.perGroup(b.optimizer, b.minLr);
        this.patience = b.patience;
        this.cooldown = b.cooldown;
        this.eps = b.eps;
        this.lastEpoch = 0;
        this.lastLr = currentLrs();
        this.mode = b.mode;
        this.threshold = b.threshold;
        this.thresholdMode = b.thresholdMode;
        this.modeWorse = mode.equals("min") ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        reset();
    }

    private static void checkModes(String mode, String thresholdMode) {
        if (!mode.equals("min") && !mode.equals("max")) {
            throw new IllegalArgumentException("mode " + mode + " is unknown!");
        }
        if (!thresholdMode.equals("rel") && !thresholdMode.equals("abs")) {
            throw new IllegalArgumentException("threshold mode " + thresholdMode + " is unknown!");
        }
    }

    private void reset() {
        best = modeWorse;
        cooldownCounter = 0;
        numBadEpochs = 0;
    }

    /** Needs a metric: use {@link #step(double)}. */
    @Override
    public void step() {
        throw new IllegalArgumentException("ReduceLROnPlateau.step() needs a metric: step(metrics)");
    }

    /** One step with this epoch's metric (a validation loss, say). */
    public void step(double metrics) {
        double current = metrics;
        lastEpoch = lastEpoch + 1;
        if (isBetter(current, best)) {
            best = current;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0;
        }
        if (numBadEpochs > patience) {
            reduceLr();
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        lastLr = currentLrs();
    }

    private void reduceLr() {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != minLrs.size()) {
            if (defaultMinLr == null) {
                throw new IllegalStateException("The number of param groups in the `optimizer` (" + groups.size()
                        + ") differs from when `ReduceLROnPlateau` was initialized (" + minLrs.size() + "), usually due "
                        + "to a new param group being added to the optimizer. Please modify the `min_lrs` field to match "
                        + "the length of the `optimizer` param groups.");
            }
            minLrs = LRScheduler.perGroup(optimizer, defaultMinLr);
        }
        for (int i = 0; i < groups.size(); i++) {
            double oldLr = groups.get(i).lr();
            double newLr = Math.max(oldLr * factor, minLrs.get(i));
            if (oldLr - newLr > eps) {
                groups.get(i).fillLr(newLr);
            }
        }
    }

    private boolean isBetter(double a, double best) {
        if (mode.equals("min") && thresholdMode.equals("rel")) {
            return a < best * (1.0 - threshold);
        } else if (mode.equals("min")) {
            return a < best - threshold;
        } else if (thresholdMode.equals("rel")) {
            return a > best * (threshold + 1.0);
        }
        return a > best + threshold;
    }

    @Override
    protected List<Double> getLr() {
        return currentLrs();
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("factor", factor);
        m.put("default_min_lr", defaultMinLr);
        m.put("min_lrs", new ArrayList<>(minLrs));
        m.put("patience", patience);
        m.put("cooldown", cooldown);
        m.put("eps", eps);
        m.put("last_epoch", lastEpoch);
        m.put("_last_lr", lastLr == null ? null : new ArrayList<>(lastLr));
        m.put("mode_worse", modeWorse);
        m.put("mode", mode);
        m.put("threshold", threshold);
        m.put("threshold_mode", thresholdMode);
        m.put("best", best);
        m.put("cooldown_counter", cooldownCounter);
        m.put("num_bad_epochs", numBadEpochs);
    }

    @Override
    protected void loadFields(StateValues v) {
        factor = v.real("factor", factor);
        if (v.has("default_min_lr")) {
            defaultMinLr = v.raw("default_min_lr") == null ? null : v.real("default_min_lr", 0);
        }
        minLrs = v.reals("min_lrs", minLrs);
        patience = v.integer("patience", patience);
        cooldown = v.integer("cooldown", cooldown);
        eps = v.real("eps", eps);
        lastEpoch = v.integer("last_epoch", lastEpoch);
        lastLr = v.reals("_last_lr", lastLr);
        mode = v.string("mode", mode);
        threshold = v.real("threshold", threshold);
        thresholdMode = v.string("threshold_mode", thresholdMode);
        checkModes(mode, thresholdMode);
        modeWorse = mode.equals("min") ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        best = v.real("best", best);
        cooldownCounter = v.integer("cooldown_counter", cooldownCounter);
        numBadEpochs = v.integer("num_bad_epochs", numBadEpochs);
    }
}
