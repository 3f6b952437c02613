package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.radam4j.RAdam;

/** PyTorch's {@code ChainedScheduler}: each {@link #step()} steps every scheduler of the chain, in order. */
public final class ChainedScheduler extends SchedulerList {

    public ChainedScheduler(List<LRScheduler> schedulers) {
        this(schedulers, null);
    }

    /** @throws IllegalArgumentException with PyTorch's messages (no scheduler, ReduceLROnPlateau, another optimizer) */
    public ChainedScheduler(List<LRScheduler> schedulers, RAdam optimizer) {
        super(first(schedulers, optimizer), schedulers);
        check("ChainedScheduler", this.optimizer, schedulers);
        this.lastLr = this.schedulers.get(this.schedulers.size() - 1).currentLrs();
    }

    private static RAdam first(List<LRScheduler> schedulers, RAdam optimizer) {
        if (schedulers.isEmpty()) {
            throw new IllegalArgumentException(
                    "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.");
        }
        return optimizer != null ? optimizer : schedulers.get(0).optimizer;
    }

    static void check(String who, RAdam optimizer, List<LRScheduler> schedulers) {
        for (int i = 0; i < schedulers.size(); i++) {
            LRScheduler s = schedulers.get(i);
            if (s instanceof ReduceLROnPlateau) {
                throw new IllegalArgumentException(who + " does not support `ReduceLROnPlateau` scheduler as it requires "
                        + "additional kwargs to be specified when calling `step`, but got one at index " + i
                        + " in the given schedulers sequence.");
            }
            if (s.optimizer != optimizer) {
                throw new IllegalArgumentException(who + " expects all schedulers to belong to the same optimizer, but got "
                        + "scheduler " + s.getClass().getSimpleName() + " at index " + i + " has another optimizer.");
            }
        }
    }

    static void loadChildren(StateValues v, List<LRScheduler> schedulers) {
        if (!v.has("_schedulers")) {
            return;
        }
        Object raw = v.raw("_schedulers");
        if (!(raw instanceof List<?> l) || l.size() != schedulers.size()) {
            throw StateValues.wrong("_schedulers", "a list of " + schedulers.size() + " scheduler state dicts", raw);
        }
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof Map<?, ?> m)) {
                throw StateValues.wrong("_schedulers", "a list of scheduler state dicts", raw);
            }
            @SuppressWarnings("unchecked")
            Map<String, ?> child = (Map<String, ?>) m;
            schedulers.get(i).loadStateDict(child);
        }
    }

    @Override
    public void step() {
        for (LRScheduler s : schedulers) {
            s.step();
        }
        lastLr = schedulers.get(schedulers.size() - 1).currentLrs();
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("_last_lr", lastLr == null ? null : new ArrayList<>(lastLr));
        m.put("_schedulers", states(schedulers));
    }

    @Override
    protected void loadFields(StateValues v) {
        lastLr = v.reals("_last_lr", lastLr);
        loadChildren(v, schedulers);
    }
}
