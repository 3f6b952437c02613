package org.radam4j.io;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Python's {@code collections.OrderedDict} as {@link TorchFiles} reads and writes it: an ordered map that also
 * keeps the instance's attributes, as a module's {@code state_dict()} keeps {@code _metadata} (the per-module
 * versions {@code load_state_dict} passes to {@code _load_from_state_dict}). A plain dict loads as a
 * {@link LinkedHashMap}; this class keeps a file's OrderedDict one when it is written again. Equality is a map's,
 * without the attributes, as in Python.
 */
public final class OrderedDict extends LinkedHashMap<Object, Object> {

    private static final long serialVersionUID = 1L;

    private final Map<String, Object> attributes = new LinkedHashMap<>();

    /** An empty OrderedDict without attributes. */
    public OrderedDict() {
    }

    /** An OrderedDict with {@code items} in their order. */
    public OrderedDict(Map<?, ?> items) {
        super(items);
    }

    /** The instance's attributes ({@code __dict__}), e.g. {@code _metadata}; mutable. */
    public Map<String, Object> attributes() {
        return attributes;
    }
}
