package org.radam4j;

import java.util.AbstractList;
import java.util.List;

/** {@code paramGroups()}: a live view of the optimizer's groups that refuses removal and replacement, saying why. */
final class ReadOnlyGroups extends AbstractList<ParamGroup> {

    private final List<ParamGroup> groups;

    ReadOnlyGroups(List<ParamGroup> groups) {
        this.groups = groups;
    }

    @Override
    public ParamGroup get(int index) {
        return groups.get(index);
    }

    @Override
    public int size() {
        return groups.size();
    }

    @Override
    protected void removeRange(int from, int to) {
        throw readOnly();
    }

    @Override
    public ParamGroup remove(int index) {
        throw readOnly();
    }

    @Override
    public boolean removeIf(java.util.function.Predicate<? super ParamGroup> filter) {
        throw readOnly();
    }

    @Override
    public void add(int index, ParamGroup element) {
        throw readOnly();
    }

    @Override
    public ParamGroup set(int index, ParamGroup element) {
        throw readOnly();
    }

    private UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("paramGroups() is read-only: add a group with addParamGroup; "
                + "a group cannot be removed or replaced (change its options with ParamGroup.setOptions)");
    }
    }
