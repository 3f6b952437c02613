package org.radam4j;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.function.IntConsumer;

/**
 * Per-param work of a step that is JNI calls only (metadata, addresses, versions), split over two threads when a
 * group has many params: a step over thousands of small params is made of little else. The work of one index
 * touches nothing another index does; results go to arrays by index, so the order of the params is kept.
 */
final class PerParam {

    /** Below this many params the work stays on the calling thread. */
    static final int SPLIT_AT = 512;

    private PerParam() {
    }

    static void forEach(int n, IntConsumer body) {
        if (n < SPLIT_AT || ForkJoinPool.getCommonPoolParallelism() < 1) {
            for (int k = 0; k < n; k++) {
                body.accept(k);
            }
            return;
        }
        int half = n / 2;
        ForkJoinTask<?> other = ForkJoinPool.commonPool().submit(() -> {
            for (int k = half; k < n; k++) {
                body.accept(k);
            }
        });
        for (int k = 0; k < half; k++) {
            body.accept(k);
        }
        other.join();
    }
}
