package org.radam4j.lr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.radam4j.ParamGroup;
import org.radam4j.RAdam;

/**
 * PyTorch's {@code SequentialLR}: runs {@code schedulers[0]} until the first milestone, then {@code schedulers[1]}
 * (started at its epoch 0 by its closed form), and so on. The schedulers must be built on the same optimizer
 * first; building this resets the groups' lrs to {@code initial_lr} and undoes their initial steps, as PyTorch
 * does.
 */
public final class SequentialLR extends SchedulerList {

    private List<Long> milestones;

    public SequentialLR(RAdam optimizer, List<LRScheduler> schedulers, List<Long> milestones) {
        this(optimizer, schedulers, milestones, -1);
    }

    /** @throws IllegalArgumentException with PyTorch's messages (no scheduler, ReduceLROnPlateau, another optimizer, milestone count) */
    public SequentialLR(RAdam optimizer, List<LRScheduler> schedulers, List<Long> milestones, long lastEpoch) {
        super(optimizer, checked(optimizer, schedulers, milestones));
        this.milestones = new ArrayList<>(milestones);
        this.lastEpoch = lastEpoch + 1;
        for (ParamGroup g : optimizer.paramGroups()) {
            g.fillLr(value(g.extras().get("initial_lr")));
        }
        for (LRScheduler s : this.schedulers) {
            undo(s);
        }
        this.schedulers.get(0).initialStep();
        this.lastLr = new ArrayList<>(this.schedulers.get(0).getLastLr());
    }

    private static List<LRScheduler> checked(RAdam optimizer, List<LRScheduler> schedulers, List<Long> milestones) {
        if (schedulers.isEmpty()) {
            throw new IllegalArgumentException("SequentialLR expects at least one scheduler, but got no scheduler.");
        }
        ChainedScheduler.check("SequentialLR", optimizer, schedulers);
        if (milestones.size() != schedulers.size() - 1) {
            throw new IllegalArgumentException("Sequential Schedulers expects number of schedulers provided to be one more "
                    + "than the number of milestone points, but got number of schedulers " + schedulers.size()
                    + " and the number of milestones to be equal to " + milestones.size());
        }
        return schedulers;
    }

    /** PyTorch's {@code recursive_undo}: one epoch back, through nested sequential and chained schedulers. */
    private static void undo(LRScheduler s) {
        if (s instanceof SchedulerList list) {
            list.schedulers().forEach(SequentialLR::undo);
        } else {
            s.lastEpoch -= 1;
        }
    }

    @Override
    public void step() {
        lastEpoch += 1;
        int idx = 0;
        while (idx < milestones.size() && milestones.get(idx) <= lastEpoch) {
            idx++;
        }
        LRScheduler s = schedulers.get(idx);
        if (idx > 0 && milestones.get(idx - 1) == lastEpoch) {
            s.updateLr(0L);
        } else {
            s.step();
        }
        lastLr = new ArrayList<>(s.getLastLr());
    }

    @Override
    protected void saveFields(Map<String, Object> m) {
        m.put("_milestones", new ArrayList<>(milestones));
        m.put("last_epoch", lastEpoch);
        m.put("_last_lr", lastLr == null ? null : new ArrayList<>(lastLr));
        m.put("_schedulers", states(schedulers));
    }

    @Override
    protected void loadFields(StateValues v) {
        if (v.has("_milestones")) {
            List<Double> ms = v.reals("_milestones", null);
            List<Long> out = new ArrayList<>();
            for (double d : ms) {
                out.add((long) d);
            }
            milestones = out;
        }
        lastEpoch = v.integer("last_epoch", lastEpoch);
        lastLr = v.reals("_last_lr", lastLr);
        ChainedScheduler.loadChildren(v, schedulers);
    }
}
