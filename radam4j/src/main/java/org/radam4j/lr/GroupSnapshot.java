package org.radam4j.lr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.ParamGroup;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;

/**
 * What a scheduler's constructor may change in the optimizer's groups (options, a tensor lr's value, the extras
 * such as {@code initial_lr}), taken before it changes anything and put back when it fails, so that a refused
 * scheduler leaves the optimizer as it was.
 */
final class GroupSnapshot {

    private final List<ParamGroup> groups;
    private final List<RAdamOptions> options = new ArrayList<>();
    private final List<Double> tensorLrs = new ArrayList<>();
    private final List<Map<String, Object>> extras = new ArrayList<>();

    GroupSnapshot(RAdam optimizer) {
        groups = new ArrayList<>(optimizer.paramGroups());
        for (ParamGroup g : groups) {
            options.add(g.options());
            Tensor lr = g.options().lrTensor();
            tensorLrs.add(lr == null ? null : lr.item_double());
            extras.add(new LinkedHashMap<>(g.extras()));
        }
    }

    /** {@code make}'s scheduler, or, when it fails, the groups as they were before it and its exception. */
    static <T> T restoringOnFailure(RAdam optimizer, java.util.function.Supplier<T> make) {
        GroupSnapshot before = new GroupSnapshot(optimizer);
        try {
            return make.get();
        } catch (RuntimeException e) {
            before.restore();
            throw e;
        }
    }

    void restore() {
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            g.setOptions(options.get(i));
            if (tensorLrs.get(i) != null) {
                g.fillLr(tensorLrs.get(i));
            }
            g.extras().clear();
            g.extras().putAll(extras.get(i));
        }
    }
}
