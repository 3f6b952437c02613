package org.radam4j;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.TensorRepr;

/**
 * RAdam's state of one param, as PyTorch keeps it in {@code optimizer.state[p]}: {@code step}, a 0-dim float32
 * tensor (float64 when the default dtype is float64: PyTorch's {@code _get_scalar_dtype()}; on the CPU, or on
 * the param's device when capturable), and {@code exp_avg} / {@code exp_avg_sq}, shaped
 * and typed like the param. The optimizer owns these tensors and updates them in place.
 *
 * @param step the number of steps taken for this param
 * @param expAvg the first moment running average
 * @param expAvgSq the second moment running average
 */
public record ParamState(Tensor step, Tensor expAvg, Tensor expAvgSq) {

    /** As Python prints {@code optimizer.state[p]}: {@code {'step': tensor(3.), 'exp_avg': tensor([...]), ...}}. */
    @Override
    public String toString() {
        return "{'step': " + TensorRepr.of(step) + ", 'exp_avg': " + TensorRepr.of(expAvg) + ", 'exp_avg_sq': "
                + TensorRepr.of(expAvgSq) + "}";
    }
}
