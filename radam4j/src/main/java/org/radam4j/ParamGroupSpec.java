package org.radam4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;

import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.named_parameter_list;
import org.bytedeco.pytorch.parameter_list;
import org.radam4j.internal.JitLists;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItem;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * What a caller hands to {@link RAdam#addParamGroup}: the params of one group (optionally named) and the
 * options it overrides, like the dict given to PyTorch's {@code add_param_group}. Options it does not set
 * come from the optimizer's defaults; keys that are not RAdam options are kept in the group as they are.
 *
 * <p>Params must come in a defined order, as PyTorch requires: a {@link List}, a {@link TensorVector}, or an
 * insertion-ordered or sorted set or map. An unordered {@link Set} or {@link Map} is refused, as Python refuses
 * a {@code set}.
 */
public final class ParamGroupSpec implements OptionSetters<ParamGroupSpec> {

    private final List<Tensor> params;
    private final List<String> names;
    private final Map<String, Object> options = new LinkedHashMap<>();

    private ParamGroupSpec(List<Tensor> params, List<String> names) {
        this.params = params;
        this.names = names;
    }

    /** Unnamed params, in iteration order. */
    public static ParamGroupSpec of(Iterable<? extends Tensor> params) {
        if (params instanceof Set<?> && !(params instanceof LinkedHashSet<?>) && !(params instanceof SortedSet<?>)) {
            throw new IllegalArgumentException("optimizer parameters need to be organized in ordered collections, but "
                    + "the ordering of tensors in sets will change between runs. Please use a list instead.");
        }
        List<Tensor> list = new ArrayList<>();
        for (Object p : params) {
            list.add(checkTensor(p));
        }
        return new ParamGroupSpec(list, null);
    }

    /** Unnamed params, e.g. {@code module.parameters()}. */
    public static ParamGroupSpec of(TensorVector params) {
        List<Tensor> list = new ArrayList<>();
        for (long i = 0; i < params.size(); i++) {
            list.add(params.get(i));
        }
        return new ParamGroupSpec(list, null);
    }

    /** Unnamed params. */
    public static ParamGroupSpec of(Tensor... params) {
        return of(List.of(params));
    }

    /** Named params ({@code param_names} in the group), in the map's order: a LinkedHashMap or a SortedMap. */
    public static ParamGroupSpec named(Map<String, ? extends Tensor> params) {
        if (!(params instanceof LinkedHashMap<?, ?>) && !(params instanceof SortedMap<?, ?>)) {
            throw new IllegalArgumentException("named parameters need to be organized in an ordered map (LinkedHashMap or "
                    + "SortedMap), but got " + params.getClass().getSimpleName()
                    + ", whose ordering of tensors can change between runs");
        }
        List<Tensor> list = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, ? extends Tensor> e : params.entrySet()) {
            names.add(e.getKey());
            list.add(checkTensor(e.getValue()));
        }
        return new ParamGroupSpec(list, names);
    }

    /** Named params, e.g. {@code module.named_parameters()}. */
    public static ParamGroupSpec named(StringTensorDict params) {
        List<Tensor> list = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (long i = 0; i < params.size(); i++) {
            StringTensorDictItem item = params.get(i);
            names.add(item.key().getString());
            list.add(item.value());
        }
        return new ParamGroupSpec(list, names);
    }

    /** Unnamed params of a TorchScript module: {@code jitModule.parameters()}. */
    public static ParamGroupSpec of(parameter_list params) {
        return of(JitLists.list(params));
    }

    /** Named params of a TorchScript module ({@code param_names} as Python's {@code named_parameters()} gives). */
    public static ParamGroupSpec named(named_parameter_list params) {
        return named((Map<String, Tensor>) JitLists.map(params));
    }

    /**
     * The named params of a TorchScript module whose name starts with {@code prefix}, as users split a backbone
     * ({@code "backbone."}) from a head ({@code "head."}).
     *
     * @throws IllegalArgumentException when no param has that prefix
     */
    public static ParamGroupSpec named(JitModule module, String prefix) {
        Map<String, Tensor> m = JitLists.namedParameters(module, prefix);
        if (m.isEmpty()) {
            throw new IllegalArgumentException("no parameter of the module has a name starting with '" + prefix + "'");
        }
        return named(m);
    }

    /**
     * A group from a Python-style map: {@code "params"} (required: an Iterable of tensors, a TensorVector, an
     * ordered map of named tensors, a StringTensorDict, or a TorchScript module's {@code parameter_list} or
     * {@code named_parameter_list}), and any option keys.
     *
     * @throws IllegalArgumentException when {@code "params"} is missing or of the wrong kind
     */
    public static ParamGroupSpec fromMap(Map<String, ?> group) {
        if (!group.containsKey("params")) {
            throw new IllegalArgumentException("param group is missing the required key 'params'");
        }
        ParamGroupSpec spec = ofAny(group.get("params"));
        for (Map.Entry<String, ?> e : group.entrySet()) {
            if (!e.getKey().equals("params")) {
                spec.set(e.getKey(), e.getValue());
            }
        }
        return spec;
    }

    @SuppressWarnings("unchecked")
    static ParamGroupSpec ofAny(Object params) {
        if (params instanceof Tensor t) {
            return of(List.of(t));
        } else if (params instanceof TensorVector v) {
            return of(v);
        } else if (params instanceof StringTensorDict d) {
            return named(d);
        } else if (params instanceof parameter_list l) {
            return of(l);
        } else if (params instanceof named_parameter_list l) {
            return named(l);
        } else if (params instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) {
                    throw new IllegalArgumentException("named parameters need String names, but one name is " + typeName(k));
                }
            }
            return named((Map<String, ? extends Tensor>) m);
        } else if (params instanceof Iterable<?> it) {
            return of((Iterable<? extends Tensor>) it);
        }
        throw new IllegalArgumentException("param group 'params' must be tensors (an Iterable, TensorVector or ordered map), but got "
                + typeName(params));
    }

    private static Tensor checkTensor(Object p) {
        if (!(p instanceof Tensor t)) {
            throw new IllegalArgumentException("optimizer can only optimize Tensors, but one of the params is " + typeName(p));
        }
        if (t.isNull() || !t.defined()) {
            throw new IllegalArgumentException("optimizer can only optimize Tensors, but one of the params is an undefined Tensor");
        }
        return t;
    }

    static String typeName(Object o) {
        return o == null ? "null" : o.getClass().getName();
    }

    /** Overrides an option, or keeps an extra key in the group ({@link RAdamOptions#KEYS} lists the options). */
    public ParamGroupSpec set(String key, Object value) {
        if (key.equals("params") || key.equals("param_names")) {
            throw new IllegalArgumentException("'" + key + "' is given by the params of the spec, not as an option");
        }
        options.put(key, value);
        return this;
    }

    /** Overrides an option; the value is checked when the group is added. */
    @Override
    public ParamGroupSpec set(RAdamOption option, Object value) {
        return set(option.key(), value);
    }

    /** The group's params, in order (read-only). */
    public List<Tensor> params() {
        return Collections.unmodifiableList(params);
    }

    /** The param names, or {@code null} for an unnamed group. */
    List<String> names() {
        return names;
    }

    /** The options this group overrides, by PyTorch's keys (read-only). */
    public Map<String, Object> options() {
        return Collections.unmodifiableMap(options);
    }

    /** {@link RAdam#create}'s reading of its params: the groups they describe, with PyTorch's messages. */
    @SuppressWarnings("unchecked")
    static List<ParamGroupSpec> groupsOf(Object params) {
        if (params instanceof Tensor t) {
            throw new IllegalArgumentException("params argument given to the optimizer should be an iterable of Tensors "
                    + "or dicts, but got " + Tensors.typename(t));
        }
        if (params instanceof Iterable<?> it && !(params instanceof TensorVector)) {
            List<Object> items = new ArrayList<>();
            it.forEach(items::add);
            if (!items.isEmpty() && (items.get(0) instanceof ParamGroupSpec || items.get(0) instanceof Map<?, ?>)) {
                List<ParamGroupSpec> specs = new ArrayList<>();
                for (Object o : items) {
                    if (o instanceof ParamGroupSpec s) {
                        specs.add(s);
                    } else if (o instanceof Map<?, ?> m) {
                        specs.add(ParamGroupSpec.fromMap((Map<String, ?>) m));
                    } else {
                        throw new IllegalArgumentException("param_group must be a dict, but got " + ParamGroupSpec.typeName(o));
                    }
                }
                return specs;
            }
            if (items.isEmpty()) {
                throw new IllegalArgumentException("optimizer got an empty parameter list");
            }
        }
        ParamGroupSpec spec = ParamGroupSpec.ofAny(params);
        if (spec.params().isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        return List.of(spec);
    }
}
