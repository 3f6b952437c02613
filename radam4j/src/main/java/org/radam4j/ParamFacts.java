package org.radam4j;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Dtypes;

/**
 * What a step asks of a param's metadata, read once per step: each read is a JNI call, and a step over many
 * small params is made of little else.
 */
record ParamFacts(ScalarType dtype, boolean cpu, boolean contiguous, long numel, long dim) {

    static ParamFacts of(Tensor p) {
        return new ParamFacts(Dtypes.of(p), p.is_cpu(), p.is_contiguous(), p.numel(), p.dim());
    }
}
