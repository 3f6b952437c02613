package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

import org.radam4j.ParamGroup;
import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/**
 * PyTorch's {@code CyclicLR}: each group's lr cycles between {@code base_lr} and {@code max_lr} (triangular,
 * triangular2, exp_range or a custom scale function), and with {@code cycle_momentum} (the default) RAdam's
 * {@code betas[0]} cycles inversely between {@code max_momentum} and {@code base_momentum}, as PyTorch 2.x does
 * for optimizers with betas (1.13 refused them: it required {@code momentum}). Build it with {@link #builder}.
 */
public final class CyclicLR extends LRScheduler {

    private List<Double> maxLrs;
    private double totalSize;
    private double stepRatio;
    private String mode;
    private double gamma;
    private final DoubleUnaryOperator scaleFnCustom;
    private String scaleMode;
    private boolean cycleMomentum;
    private boolean useBeta1;
    private List<Double> baseMomentums;
    private List<Double> maxMomentums;

    /** Options with PyTorch's defaults; {@code base_lr} and {@code max_lr} are required. */
    public static Builder builder(RAdam optimizer, double baseLr, double maxLr) {
        return new Builder(optimizer, LRScheduler.perGroup(optimizer, baseLr), LRScheduler.perGroup(optimizer, maxLr));
    }

    /** Per-group {@code base_lr} and {@code max_lr}. */
    public static Builder builder(RAdam optimizer, List<Double> baseLrs, List<Double> maxLrs) {
        return new Builder(optimizer, LRScheduler.perGroup("base_lr", optimizer, baseLrs),
                LRScheduler.perGroup("max_lr", optimizer, maxLrs));
    }

    /** CyclicLR's keyword arguments. */
    public static final class Builder extends MomentumCycle<Builder> {
        private final List<Double> baseLrs;
        private final List<Double> maxLrs;
        private double stepSizeUp = 2000;
        private Double stepSizeDown;
        private String mode = "triangular";
        private double gamma = 1.0;
        private DoubleUnaryOperator scaleFn;
        private String scaleMode = "cycle";

        private Builder(RAdam optimizer, List<Double> baseLrs, List<Double> maxLrs) {
            super(optimizer, 0.8, 0.9);
            this.baseLrs = baseLrs;
            this.maxLrs = maxLrs;
        }

        public Builder stepSizeUp(long v) {
            stepSizeUp = v;
            return this;
        }

        public Builder stepSizeDown(long v) {
            stepSizeDown = (double) v;
            return this;
        }

        /** {@code triangular}, {@code triangular2} or {@code exp_range}. */
        public Builder mode(String v) {
            mode = v;
            return this;
        }

        public Builder gamma(double v) {
            gamma = v;
            return this;
        }

        /** A custom scale function (then {@code mode} is ignored), evaluated per {@link #scaleMode}. */
        public Builder scaleFn(DoubleUnaryOperator v) {
            scaleFn = v;
            return this;
        }

        /** {@code cycle} or {@code iterations}. */
        public Builder scaleMode(String v) {
            scaleMode = v;
            return this;
        }







        /** @throws IllegalArgumentException {@code mode is invalid and scale_fn is None} */
        public CyclicLR build() {
            return GroupSnapshot.restoringOnFailure(optimizer, () -> new CyclicLR(this));
        }
    }

    private CyclicLR(Builder b) {
        super(prepare(b), b.lastEpoch);
        this.maxLrs = b.maxLrs;
        double down = b.stepSizeDown != null ? b.stepSizeDown : b.stepSizeUp;
        this.totalSize = b.stepSizeUp + down;
        this.stepRatio = b.stepSizeUp / totalSize;
        this.mode = b.mode;
        this.gamma = b.gamma;
        this.scaleFnCustom = b.scaleFn;
        this.scaleMode = b.scaleMode;
        initScaleFn();
        this.cycleMomentum = b.cycleMomentum;
        if (cycleMomentum) {
            this.useBeta1 = true;
            this.baseMomentums = b.baseMomentum;
            this.maxMomentums = b.maxMomentum;
        }
        initialStep();
        this.baseLrs = new ArrayList<>(b.baseLrs);
    }

    /** What PyTorch's constructor does to the groups before {@code super().__init__}, checks first. */
    private static RAdam prepare(Builder b) {
        if (!List.of("triangular", "triangular2", "exp_range").contains(b.mode) && b.scaleFn == null) {
            throw new IllegalArgumentException("mode is invalid and scale_fn is None");
        }
        List<ParamGroup> groups = b.optimizer.paramGroups();
        if (b.lastEpoch == -1) {
            for (int i = 0; i < groups.size(); i++) {
                groups.get(i).fillLr(b.baseLrs.get(i));
            }
        }
        b.startMomentum();
        return b.optimizer;
    }

    private void initScaleFn() {
        if (scaleFnCustom != null) {
            return;
        }
        switch (mode) {
            case "triangular", "triangular2" -> scaleMode = "cycle";
            case "exp_range" -> scaleMode = "iterations";
            default -> {
            }
        }
    }

    private double scaleFn(double x) {
        if (scaleFnCustom != null) {
            return scaleFnCustom.applyAsDouble(x);
        }
        return switch (mode) {
            case "triangular" -> 1.0;
            case "triangular2" -> 1 / LibM.pow(2.0, x - 1);
            default -> LibM.pow(gamma, x);
        };
    }

    @Override
    protected List<Double> getLr() {
        long cycle = (long) Math.floor(1 + lastEpoch / totalSize);
        double x = 1.0 + lastEpoch / totalSize - cycle;
        double scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
        double scale = scaleMode.equals("cycle") ? scaleFn(cycle) : scaleFn(lastEpoch);
        List<Double> lrs = new ArrayList<>();
        for (int i = 0; i < baseLrs.size(); i++) {
            double baseHeight = (maxLrs.get(i) - baseLrs.get(i)) * scaleFactor;
            lrs.add(baseLrs.get(i) + baseHeight * scale);
        }
        if (cycleMomentum) {
            List<ParamGroup> groups = optimizer.paramGroups();
            for (int i = 0; i < groups.size(); i++) {
                double baseHeight = (maxMomentums.get(i) - baseMomentums.get(i)) * scaleFactor;
                groups.get(i).setBeta1(maxMomentums.get(i) - baseHeight * scale);
            }
        }
        return lrs;
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("max_lrs", new ArrayList<>(maxLrs));
        m.put("total_size", totalSize);
        m.put("step_ratio", stepRatio);
        m.put("mode", mode);
        m.put("gamma", gamma);
        m.put("scale_mode", scaleMode);
        m.put("cycle_momentum", cycleMomentum);
        if (cycleMomentum) {
            m.put("use_beta1", useBeta1);
            m.put("base_momentums", new ArrayList<>(baseMomentums));
            m.put("max_momentums", new ArrayList<>(maxMomentums));
        }
        m.put("_scale_fn_custom", null);
    }

    @Override
    protected void loadFields(StateValues v) {
        maxLrs = v.reals("max_lrs", maxLrs);
        totalSize = v.real("total_size", totalSize);
        stepRatio = v.real("step_ratio", stepRatio);
        mode = v.string("mode", mode);
        gamma = v.real("gamma", gamma);
        scaleMode = v.string("scale_mode", scaleMode);
        cycleMomentum = v.bool("cycle_momentum", cycleMomentum);
        useBeta1 = v.bool("use_beta1", useBeta1);
        baseMomentums = v.reals("base_momentums", baseMomentums);
        maxMomentums = v.reals("max_momentums", maxMomentums);
        initScaleFn();
    }
}
