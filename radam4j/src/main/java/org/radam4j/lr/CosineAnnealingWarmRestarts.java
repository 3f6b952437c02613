package org.radam4j.lr;

import java.util.List;
import java.util.Map;

import org.radam4j.RAdam;
import org.radam4j.internal.LibM;

/**
 * PyTorch's {@code CosineAnnealingWarmRestarts} (SGDR): cosine annealing from each group's initial lr to
 * {@code eta_min} over {@code T_i} epochs, restarting with {@code T_i *= T_mult}. {@link #step(double)} takes a
 * fractional epoch, as PyTorch's {@code step(epoch)} does.
 */
public final class CosineAnnealingWarmRestarts extends LRScheduler {

    private long t0;
    private long tI;
    private long tMult;
    private double etaMin;
    /** {@code T_cur}: an int, or a float after {@code step(epoch)} with a fractional epoch. */
    private double tCur;

    public CosineAnnealingWarmRestarts(RAdam optimizer, long t0) {
        this(optimizer, t0, 1, 0.0, -1);
    }

    /**
     * @throws IllegalArgumentException {@code Expected positive integer T_0, but got ...} / {@code Expected integer
     *     T_mult >= 1, but got ...}
     */
    public CosineAnnealingWarmRestarts(RAdam optimizer, long t0, long tMult, double etaMin, long lastEpoch) {
        super(checked(optimizer, t0, tMult), lastEpoch);
        this.t0 = t0;
        this.tI = t0;
        this.tMult = tMult;
        this.etaMin = etaMin;
        this.tCur = lastEpoch;
        initialStep();
    }

    private static RAdam checked(RAdam optimizer, long t0, long tMult) {
        if (t0 <= 0) {
            throw new IllegalArgumentException("Expected positive integer T_0, but got " + t0);
        }
        if (tMult < 1) {
            throw new IllegalArgumentException("Expected integer T_mult >= 1, but got " + tMult);
        }
        return optimizer;
    }

    @Override
    protected List<Double> getLr() {
        return fromBaseLrs(base -> etaMin + (base - etaMin) * (1 + LibM.cos(Math.PI * tCur / tI)) / 2);
    }

    @Override
    public void step() {
        stepCount++;
        if (lastEpoch < 0) {
            moveTo(0);
            return;
        }
        tCur = tCur + 1;
        if (tCur >= tI) {
            tCur = tCur % tI;
            tI = tI * tMult;
        }
        lastEpoch = lastEpoch + 1;
        setLrs(getLr());
    }

    /**
     * PyTorch's {@code step(epoch)}: the schedule at a given, possibly fractional, epoch.
     *
     * @throws IllegalArgumentException {@code Expected non-negative epoch, but got ...}
     */
    public void step(double epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("Expected non-negative epoch, but got " + epoch);
        }
        stepCount++;
        moveTo(epoch);
    }

    private void moveTo(double epoch) {
        if (epoch >= t0) {
            if (tMult == 1) {
                tCur = epoch % t0;
            } else {
                long n = (long) (LibM.log(epoch / t0 * (tMult - 1) + 1) / LibM.log(tMult));
                long power = 1;
                for (long k = 0; k < n; k++) {
                    power *= tMult;
                }
                tCur = epoch - (double) (t0 * (power - 1)) / (tMult - 1);
                tI = t0 * power;
            }
        } else {
            tI = t0;
            tCur = epoch;
        }
        lastEpoch = (long) Math.floor(epoch);
        setLrs(getLr());
    }

    @Override
    protected List<Field> fields() {
        return List.of(Field.integer("T_0", () -> t0, x -> t0 = x),
                Field.integer("T_i", () -> tI, x -> tI = x),
                Field.integer("T_mult", () -> tMult, x -> tMult = x),
                Field.real("eta_min", () -> etaMin, x -> etaMin = x),
                new Field("T_cur", () -> tCur == Math.rint(tCur) ? (Object) (long) tCur : (Object) tCur,
                        v -> tCur = v.real("T_cur", tCur)));
    }
}
