package org.radam4j;

import java.util.Objects;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.TensorRepr;

/**
 * RAdam's state of one param, as PyTorch keeps it in {@code optimizer.state[p]}: {@code step}, a 0-dim float32
 * tensor (float64 when the default dtype is float64: PyTorch's {@code _get_scalar_dtype()}; on the CPU, or on
 * the param's device when capturable), and {@code exp_avg} / {@code exp_avg_sq}, shaped and typed like the
 * param. The optimizer owns these tensors and updates them in place; code that changes them should do so with
 * tensor operations ({@code copy_}, {@code fill_}, {@code set_}), not by swapping their storage behind autograd's
 * back ({@code set_data}).
 */
public final class ParamState {

    private final Tensor step;
    private final Tensor expAvg;
    private final Tensor expAvgSq;

    /**
     * @param step the number of steps taken for this param
     * @param expAvg the first moment running average
     * @param expAvgSq the second moment running average
     */
    public ParamState(Tensor step, Tensor expAvg, Tensor expAvgSq) {
        this.step = step;
        this.expAvg = expAvg;
        this.expAvgSq = expAvgSq;
    }

    /** The number of steps taken for this param. */
    public Tensor step() {
        return step;
    }

    /** The first moment running average. */
    public Tensor expAvg() {
        return expAvg;
    }

    /** The second moment running average. */
    public Tensor expAvgSq() {
        return expAvgSq;
    }

    /** Frees the three tensors' handles (the optimizer's, when it drops this state). */
    void close() {
        step.close();
        expAvg.close();
        expAvgSq.close();
    }

    /** Keeps the three tensors' handles out of any enclosing {@code PointerScope}. */
    void keep() {
        Tensors.keep(step);
        Tensors.keep(expAvg);
        Tensors.keep(expAvgSq);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParamState s && Objects.equals(step, s.step) && Objects.equals(expAvg, s.expAvg)
                && Objects.equals(expAvgSq, s.expAvgSq);
    }

    @Override
    public int hashCode() {
        return Objects.hash(step, expAvg, expAvgSq);
    }

    /** As Python prints {@code optimizer.state[p]}: {@code {'step': tensor(3.), 'exp_avg': tensor([...]), ...}}. */
    @Override
    public String toString() {
        return "{'step': " + TensorRepr.of(step) + ", 'exp_avg': " + TensorRepr.of(expAvg) + ", 'exp_avg_sq': "
                + TensorRepr.of(expAvgSq) + "}";
    }
}
