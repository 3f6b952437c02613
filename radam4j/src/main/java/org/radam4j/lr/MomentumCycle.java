package org.radam4j.lr;

import java.util.List;

import org.radam4j.ParamGroup;
import org.radam4j.RAdam;

/**
 * The momentum options CyclicLR and OneCycleLR share, and what both constructors do with them: with
 * {@code cycle_momentum}, RAdam's {@code betas[0]} starts at {@code max_momentum} and each group records its
 * {@code max_momentum} and {@code base_momentum}, as PyTorch 2.x does for optimizers with betas.
 *
 * @param <B> the builder, for fluent setters
 */
abstract class MomentumCycle<B extends MomentumCycle<B>> {

    final RAdam optimizer;
    boolean cycleMomentum = true;
    List<Double> baseMomentum;
    List<Double> maxMomentum;
    long lastEpoch = -1;

    MomentumCycle(RAdam optimizer, double baseMomentum, double maxMomentum) {
        this.optimizer = optimizer;
        this.baseMomentum = LRScheduler.perGroup(optimizer, baseMomentum);
        this.maxMomentum = LRScheduler.perGroup(optimizer, maxMomentum);
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    public B cycleMomentum(boolean v) {
        cycleMomentum = v;
        return self();
    }

    public B baseMomentum(double v) {
        baseMomentum = LRScheduler.perGroup(optimizer, v);
        return self();
    }

    public B baseMomentum(List<Double> v) {
        baseMomentum = LRScheduler.perGroup("base_momentum", optimizer, v);
        return self();
    }

    public B maxMomentum(double v) {
        maxMomentum = LRScheduler.perGroup(optimizer, v);
        return self();
    }

    public B maxMomentum(List<Double> v) {
        maxMomentum = LRScheduler.perGroup("max_momentum", optimizer, v);
        return self();
    }

    public B lastEpoch(long v) {
        lastEpoch = v;
        return self();
    }

    /** Sets each group's starting {@code betas[0]} and momentum bounds (a fresh start only, as in PyTorch). */
    void startMomentum() {
        if (!cycleMomentum || lastEpoch != -1) {
            return;
        }
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            g.setBeta1(maxMomentum.get(i));
            g.extras().put("max_momentum", maxMomentum.get(i));
            g.extras().put("base_momentum", baseMomentum.get(i));
        }
    }
}
