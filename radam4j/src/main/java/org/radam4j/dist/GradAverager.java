package org.radam4j.dist;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.radam4j.internal.Dtypes;

/**
 * Data-parallel gradient averaging, usable with any optimizer: after {@code backward()} on each rank's share of
 * a batch, {@link #average} leaves every param's gradient equal to the mean over the ranks, as DDP's all-reduce
 * does. Gradients are packed into buckets (of one dtype, up to {@link #BUCKET_BYTES}, in reverse param order as
 * DDP fills them), each bucket all-reduced as one flat tensor, then divided by the world size. A param without a
 * gradient takes part with zeros and gets the averaged gradient.
 *
 * <p>Uneven shares: DDP divides the sum by the world size, which gives the full batch's mean gradient only when
 * every rank has as many samples. {@link #averageWeighted} weighs each rank's gradient by its share of the batch
 * instead, which gives that mean for any split when each rank's loss is the mean over its own samples.
 */
public final class GradAverager {

    /** DDP's default bucket size, 25 MiB. */
    public static final long BUCKET_BYTES = 25L << 20;

    private GradAverager() {
    }

    public static void average(DistGroup group, List<Tensor> params) {
        average(group, params, BUCKET_BYTES);
    }

    public static void average(DistGroup group, List<Tensor> params, long bucketBytes) {
        reduceAll(group, params, bucketBytes, 0);
    }

    /**
     * Each rank's gradients times {@code share} (its samples over the whole batch's, in (0, 1]), summed over the
     * ranks.
     *
     * @throws IllegalArgumentException when {@code share} is not in (0, 1]
     */
    public static void averageWeighted(DistGroup group, List<Tensor> params, double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be in (0, 1], got " + share);
        }
        reduceAll(group, params, BUCKET_BYTES, share);
    }

    /** share 0: sum, then divide by the world size; else: times share, then sum. */
    private static void reduceAll(DistGroup group, List<Tensor> params, long bucketBytes, double share) {
        List<Tensor> grads = new ArrayList<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad == null || grad.isNull() || !grad.defined()) {
                    p.mutable_grad().put(torch.zeros_like(p));
                }
                grads.add(p.grad());
            }
            List<Tensor> bucket = new ArrayList<>();
            long bytes = 0;
            for (int i = grads.size() - 1; i >= 0; i--) {
                Tensor t = grads.get(i);
                if (!bucket.isEmpty() && (bytes + t.nbytes() > bucketBytes || Dtypes.of(t) != Dtypes.of(bucket.get(0)))) {
                    reduce(group, bucket, share);
                    bucket.clear();
                    bytes = 0;
                }
                bucket.add(t);
                bytes += t.nbytes();
            }
            if (!bucket.isEmpty()) {
                reduce(group, bucket, share);
            }
        }
    }

    private static void reduce(DistGroup group, List<Tensor> bucket, double share) {
        List<Tensor> flat = new ArrayList<>();
        for (Tensor t : bucket) {
            flat.add(t.reshape(-1));
        }
        Tensor buf = torch.cat(new org.bytedeco.pytorch.TensorArrayRef(new org.bytedeco.pytorch.TensorVector(flat.toArray(new Tensor[0]))));
        if (share != 0) {
            buf.mul_(new Scalar(share));
        }
        group.allreduceSum(List.of(buf));
        if (share == 0) {
            buf.div_(new Scalar((double) group.size()));
        }
        long at = 0;
        for (Tensor t : bucket) {
            long n = t.numel();
            t.copy_(buf.narrow(0, at, n).view_as(t));
            at += n;
        }
    }
}
