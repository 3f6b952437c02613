package org.radam4j;

import java.util.LinkedHashMap;
import java.util.Map;

import org.radam4j.internal.PyRepr;

/**
 * A {@link GradScaler}'s state dict, in the layout of Python's GradScaler: {@code scale}, {@code growth_factor},
 * {@code backoff_factor}, {@code growth_interval}, {@code _growth_tracker}, read with a clear error for a missing
 * key or a value of the wrong type.
 */
record ScalerState(double scale, double growthFactor, double backoffFactor, long growthInterval, long growthTracker) {

    private static final String[] KEYS = {"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"};

    Map<String, Object> toMap() {
        Object[] values = {scale, growthFactor, backoffFactor, growthInterval, growthTracker};
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < KEYS.length; i++) {
            m.put(KEYS[i], values[i]);
        }
        return m;
    }

    /** @throws IllegalArgumentException a missing key or a value of the wrong type, naming it */
    static ScalerState of(Map<String, ?> m) {
        return new ScalerState(number(m, "scale"), number(m, "growth_factor"), number(m, "backoff_factor"),
                integer(m, "growth_interval"), integer(m, "_growth_tracker"));
    }

    private static double number(Map<String, ?> m, String key) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("GradScaler state_dict['" + key + "'] must be a number, but got "
                    + PyRepr.describe(m.get(key)));
        }
        return n.doubleValue();
    }

    private static long integer(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Long || v instanceof Integer)) {
            throw new IllegalArgumentException("GradScaler state_dict['" + key + "'] must be an int, but got "
                    + PyRepr.describe(v));
        }
        return ((Number) v).longValue();
    }
}
