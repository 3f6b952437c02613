package org.radam4j.lr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.radam4j.ParamGroup;
import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/**
 * PyTorch's {@code OneCycleLR}: the 1cycle policy, lr from {@code max_lr / div_factor} up to {@code max_lr} and
 * down to {@code initial_lr / final_div_factor} (two phases, or three with {@code three_phase}), cosine or linear,
 * with RAdam's {@code betas[0]} cycled inversely between {@code max_momentum} and {@code base_momentum}. Not
 * chainable. Build it with {@link #builder}.
 */
public final class OneCycleLR extends LRScheduler {

    private long totalSteps;
    private List<Map<String, Object>> phases;
    private String annealFuncType;
    private boolean cycleMomentum;
    private boolean useBeta1;

    public static Builder builder(RAdam optimizer, double maxLr) {
        return new Builder(optimizer, LRScheduler.perGroup(optimizer, maxLr));
    }

    public static Builder builder(RAdam optimizer, List<Double> maxLrs) {
        return new Builder(optimizer, LRScheduler.perGroup("max_lr", optimizer, maxLrs));
    }

    /** OneCycleLR's keyword arguments, with PyTorch's defaults. */
    public static final class Builder extends MomentumCycle<Builder> {
        private final List<Double> maxLrs;
        private Long totalSteps;
        private Long epochs;
        private Long stepsPerEpoch;
        private double pctStart = 0.3;
        private String annealStrategy = "cos";
        private double divFactor = 25.0;
        private double finalDivFactor = 1e4;
        private boolean threePhase;

        private Builder(RAdam optimizer, List<Double> maxLrs) {
            super(optimizer, 0.85, 0.95);
            this.maxLrs = maxLrs;
        }

        public Builder totalSteps(long v) {
            totalSteps = v;
            return this;
        }

        public Builder epochs(long v) {
            epochs = v;
            return this;
        }

        public Builder stepsPerEpoch(long v) {
            stepsPerEpoch = v;
            return this;
        }

        public Builder pctStart(double v) {
            pctStart = v;
            return this;
        }

        /** {@code cos} or {@code linear}. */
        public Builder annealStrategy(String v) {
            annealStrategy = v;
            return this;
        }






        public Builder divFactor(double v) {
            divFactor = v;
            return this;
        }

        public Builder finalDivFactor(double v) {
            finalDivFactor = v;
            return this;
        }

        public Builder threePhase(boolean v) {
            threePhase = v;
            return this;
        }


        /** @throws IllegalArgumentException with PyTorch's messages for bad total steps, pct_start or strategy */
        public OneCycleLR build() {
            return GroupSnapshot.restoringOnFailure(optimizer, () -> new OneCycleLR(this, steps(this)));
        }
    }

    private static long steps(Builder b) {
        if (b.totalSteps != null) {
            if (b.totalSteps <= 0) {
                throw new IllegalArgumentException("Expected positive integer total_steps, but got " + b.totalSteps);
            }
            return b.totalSteps;
        }
        if (b.epochs != null && b.stepsPerEpoch != null) {
            if (b.epochs <= 0) {
                throw new IllegalArgumentException("Expected positive integer epochs, but got " + b.epochs);
            }
            if (b.stepsPerEpoch <= 0) {
                throw new IllegalArgumentException("Expected positive integer steps_per_epoch, but got " + b.stepsPerEpoch);
            }
            return b.epochs * b.stepsPerEpoch;
        }
        throw new IllegalArgumentException("You must define either total_steps OR (epochs AND steps_per_epoch)");
    }

    private static Map<String, Object> phase(Number endStep, String startLr, String endLr, String startMomentum,
            String endMomentum) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("end_step", endStep);
        m.put("start_lr", startLr);
        m.put("end_lr", endLr);
        m.put("start_momentum", startMomentum);
        m.put("end_momentum", endMomentum);
        return m;
    }

    private OneCycleLR(Builder b, long totalSteps) {
        super(prepare(b, totalSteps), b.lastEpoch);
        this.totalSteps = totalSteps;
        this.phases = phases(b, totalSteps);
        this.annealFuncType = b.annealStrategy;
        this.cycleMomentum = b.cycleMomentum;
        this.useBeta1 = b.cycleMomentum;
        initialStep();
    }

    private static List<Map<String, Object>> phases(Builder b, long total) {
        List<Map<String, Object>> p = new ArrayList<>();
        if (b.threePhase) {
            p.add(phase(b.pctStart * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"));
            p.add(phase(2 * b.pctStart * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"));
            p.add(phase((Long) (total - 1), "initial_lr", "min_lr", "max_momentum", "max_momentum"));
        } else {
            p.add(phase(b.pctStart * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"));
            p.add(phase((Long) (total - 1), "max_lr", "min_lr", "base_momentum", "max_momentum"));
        }
        return p;
    }

    /** PyTorch's checks, then what its constructor writes into the groups before {@code super().__init__}. */
    private static RAdam prepare(Builder b, long totalSteps) {
        if (b.pctStart < 0 || b.pctStart > 1) {
            throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got " + b.pctStart);
        }
        if (!b.annealStrategy.equals("cos") && !b.annealStrategy.equals("linear")) {
            throw new IllegalArgumentException("anneal_strategy must be one of 'cos' or 'linear', instead got "
                    + b.annealStrategy);
        }
        List<ParamGroup> groups = b.optimizer.paramGroups();
        if (b.lastEpoch == -1) {
            for (int i = 0; i < groups.size(); i++) {
                Map<String, Object> extras = groups.get(i).extras();
                double initial = b.maxLrs.get(i) / b.divFactor;
                extras.put("initial_lr", initial);
                extras.put("max_lr", b.maxLrs.get(i));
                extras.put("min_lr", initial / b.finalDivFactor);
            }
        }
        b.startMomentum();
        return b.optimizer;
    }

    private double anneal(double start, double end, double pct) {
        if (annealFuncType.equals("cos")) {
            double cosOut = LibM.cos(Math.PI * pct) + 1;
            return end + (start - end) / 2.0 * cosOut;
        }
        return (end - start) * pct + start;
    }

    /** @throws IllegalArgumentException {@code Tried to step N times. The specified number of total steps is M} */
    @Override
    protected List<Double> getLr() {
        long stepNum = lastEpoch;
        if (stepNum > totalSteps) {
            throw new IllegalArgumentException("Tried to step " + stepNum + " times. The specified number of total steps is "
                    + totalSteps);
        }
        List<Double> lrs = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) {
            Map<String, Object> ex = g.extras();
            double startStep = 0.0;
            double lr = 0;
            double momentum = 0;
            for (int i = 0; i < phases.size(); i++) {
                Map<String, Object> ph = phases.get(i);
                double endStep = ((Number) ph.get("end_step")).doubleValue();
                if (stepNum <= endStep || i == phases.size() - 1) {
                    double pct = (stepNum - startStep) / (endStep - startStep);
                    lr = anneal(value(ex.get(ph.get("start_lr"))), value(ex.get(ph.get("end_lr"))), pct);
                    if (cycleMomentum) {
                        momentum = anneal(value(ex.get(ph.get("start_momentum"))), value(ex.get(ph.get("end_momentum"))), pct);
                    }
                    break;
                }
                startStep = endStep;
            }
            lrs.add(lr);
            if (cycleMomentum) {
                g.setBeta1(momentum);
            }
        }
        return lrs;
    }

    /** Checks before it changes anything (PyTorch raises after advancing {@code last_epoch}). */
    @Override
    public void step() {
        if (lastEpoch + 1 > totalSteps) {
            throw new IllegalArgumentException("Tried to step " + (lastEpoch + 1)
                    + " times. The specified number of total steps is " + totalSteps);
        }
        super.step();
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("total_steps", totalSteps);
        List<Map<String, Object>> copy = new ArrayList<>();
        for (Map<String, Object> p : phases) {
            copy.add(new LinkedHashMap<>(p));
        }
        m.put("_schedule_phases", copy);
        m.put("_anneal_func_type", annealFuncType);
        m.put("cycle_momentum", cycleMomentum);
        if (cycleMomentum) {
            m.put("use_beta1", useBeta1);
        }
    }

    @Override
    protected void loadFields(StateValues v) {
        totalSteps = v.integer("total_steps", totalSteps);
        if (v.has("_schedule_phases")) {
            phases = schedulePhases(v.raw("_schedule_phases"));
        }
        annealFuncType = v.string("_anneal_func_type", annealFuncType);
        cycleMomentum = v.bool("cycle_momentum", cycleMomentum);
        useBeta1 = v.bool("use_beta1", useBeta1);
    }

    private static List<Map<String, Object>> schedulePhases(Object raw) {
        if (!(raw instanceof List<?> l)) {
            throw StateValues.wrong("_schedule_phases", "a list of phases", raw);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof Map<?, ?> p) || !(p.get("end_step") instanceof Number)) {
                throw StateValues.wrong("_schedule_phases", "a list of phases with end_step, start_lr, end_lr, ...", raw);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            for (String k : List.of("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")) {
                Object x = p.get(k);
                if (!k.equals("end_step") && !(x instanceof String)) {
                    throw StateValues.wrong("_schedule_phases", "a list of phases naming group keys", raw);
                }
                m.put(k, x);
            }
            out.add(m);
        }
        return out;
    }
}
