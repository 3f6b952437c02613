package org.radam4j;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.radam4j.internal.PyRepr;

/**
 * RAdam's options, one row each: the param group key, PyTorch's default, the kind of value, and the value
 * PyTorch's {@code __setstate__} gives a loaded group that lacks the key. Everything else about options derives
 * from this table: {@link RAdamOptions}' map form and its keys, parsing, the typed setters of
 * {@link OptionSetters}, and {@code load_state_dict}'s defaults. Adding an option is a row here, a getter in
 * {@link RAdamOptions} and a setter in {@link OptionSetters} (libtorch's {@code TORCH_ARG} plays this role).
 *
 * <p>Rows are in PyTorch 2.11's key order; {@link #FUSED} is radam4j's own and appears in a group only when set.
 */
public enum RAdamOption {
    LR("lr", Kind.LR, 1e-3, null),
    BETAS("betas", Kind.BETAS, PyTuple.of(0.9, 0.999), null),
    EPS("eps", Kind.NUMBER, 1e-8, null),
    WEIGHT_DECAY("weight_decay", Kind.NUMBER, 0, null),
    MAXIMIZE("maximize", Kind.BOOL, false, false),
    FOREACH("foreach", Kind.OPTIONAL_BOOL, null, Kind.NONE),
    CAPTURABLE("capturable", Kind.BOOL, false, false),
    DECOUPLED_WEIGHT_DECAY("decoupled_weight_decay", Kind.BOOL, false, false),
    DIFFERENTIABLE("differentiable", Kind.BOOL, false, false),
    FUSED("fused", Kind.BOOL, false, null);

    /** The kinds of value an option takes, each with its parsing. */
    enum Kind {
        /** A double, or a 1-element tensor. */
        LR,
        /** Two numbers, kept as a {@link PyTuple} of doubles. */
        BETAS,
        /** An int (kept as {@link Integer} when it fits) or a double. */
        NUMBER,
        BOOL,
        /** {@code null}, or a boolean. */
        OPTIONAL_BOOL;

        /** Marks a {@code __setstate__} default of {@code None}. */
        static final Object NONE = new Object();
    }

    private final String key;
    private final Kind kind;
    private final Object defaultValue;
    private final Object setstateDefault;

    RAdamOption(String key, Kind kind, Object defaultValue, Object setstateDefault) {
        this.key = key;
        this.kind = kind;
        this.defaultValue = defaultValue;
        this.setstateDefault = setstateDefault;
    }

    /** The param group key, as in Python. */
    public String key() {
        return key;
    }

    /** PyTorch's default (radam4j's, for {@code fused}). */
    public Object defaultValue() {
        return defaultValue;
    }

    /** Whether PyTorch's RAdam has this option ({@code fused} is radam4j's own). */
    public boolean isPyTorch() {
        return this != FUSED;
    }

    /** Whether PyTorch's {@code __setstate__} fills this key into a loaded group that lacks it. */
    boolean hasSetstateDefault() {
        return setstateDefault != null;
    }

    Object setstateDefault() {
        return setstateDefault == Kind.NONE ? null : setstateDefault;
    }

    /** The option of a param group key, or {@code null} for a key that is not an option. */
    public static RAdamOption of(String key) {
        for (RAdamOption o : values()) {
            if (o.key.equals(key)) {
                return o;
            }
        }
        return null;
    }

    /**
     * A value for this option in its stored form: lr a {@link Double} or a {@link Tensor}, betas a {@link PyTuple}
     * of two doubles, weight_decay an {@link Integer} when integral and given as an integer, else a Double.
     *
     * @throws IllegalArgumentException naming the key, for a value of the wrong type
     */
    Object parse(Object v) {
        return switch (kind) {
            case LR -> v instanceof Tensor t ? t : (Object) number(v);
            case BETAS -> {
                if (!(v instanceof List<?> l) || l.size() != 2) {
                    throw new IllegalArgumentException("param group option 'betas' must be a list of 2 numbers, but got "
                            + PyRepr.describe(v));
                }
                yield PyTuple.of(number(l.get(0)), number(l.get(1)));
            }
            case NUMBER -> {
                double d = number(v);
                boolean integral = (v instanceof Integer || v instanceof Long) && d == Math.rint(d) && Math.abs(d) < Integer.MAX_VALUE;
                yield integral ? (Object) (int) d : (Object) d;
            }
            case BOOL -> bool(v);
            case OPTIONAL_BOOL -> v == null ? null : bool(v);
        };
    }

    private double number(Object v) {
        if (v instanceof Number n && !(v instanceof Byte)) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException("param group option '" + key + "' must be a number, but got " + PyRepr.describe(v));
    }

    private boolean bool(Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException("param group option '" + key + "' must be a boolean, but got " + PyRepr.describe(v));
    }
}
