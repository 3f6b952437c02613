package org.radam4j.lr;

import java.util.List;

import org.radam4j.RAdam;

/**
 * What ChainedScheduler and SequentialLR share: they hold other schedulers, set no lr of their own, and their
 * state dict is theirs plus the wrapped schedulers' ({@code _schedulers}).
 */
abstract class SchedulerList extends LRScheduler {

    final List<LRScheduler> schedulers;

    SchedulerList(RAdam optimizer, List<LRScheduler> schedulers) {
        super(optimizer);
        this.schedulers = List.copyOf(schedulers);
    }

    /** The wrapped schedulers, in order. */
    public List<LRScheduler> schedulers() {
        return schedulers;
    }

    @Override
    protected List<Double> getLr() {
        return currentLrs();
    }
}
