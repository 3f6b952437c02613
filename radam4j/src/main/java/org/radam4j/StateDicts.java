package org.radam4j;

import org.radam4j.internal.PyRepr;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.scalar_tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * PyTorch's {@code Optimizer.state_dict()} and {@code load_state_dict()} over Java maps in Python's layout,
 * with every check made before anything changes.
 */
final class StateDicts {

    private StateDicts() {
    }

    static Map<String, Object> pack(List<ParamGroup> groups, Map<Long, ParamState> state) {
        Map<Long, Integer> index = new HashMap<>();
        List<Object> packedGroups = new ArrayList<>();
        int start = 0;
        for (ParamGroup g : groups) {
            Map<String, Object> packed = g.toMap();
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < g.params().size(); i++) {
                index.putIfAbsent(Tensors.identity(g.params().get(i)), start + i);
            }
            for (Tensor p : g.params()) {
                ids.add(index.get(Tensors.identity(p)));
            }
            start += g.params().size();
            packed.put("params", ids);
            packedGroups.add(packed);
        }
        Map<Integer, Map<String, Object>> packedState = new LinkedHashMap<>();
        for (Map.Entry<Long, ParamState> e : state.entrySet()) {
            Integer i = index.get(e.getKey());
            if (i == null) {
                continue;
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("step", new Tensor(e.getValue().step()));
            s.put("exp_avg", new Tensor(e.getValue().expAvg()));
            s.put("exp_avg_sq", new Tensor(e.getValue().expAvgSq()));
            packedState.put(i, s);
        }
        Map<String, Object> sd = new LinkedHashMap<>();
        sd.put("state", packedState);
        sd.put("param_groups", packedGroups);
        return sd;
    }

    /** What a load will install, built and checked in full before the optimizer changes. */
    record Loaded(List<GroupUpdate> groups, Map<Long, ParamState> state) {
    }

    record GroupUpdate(ParamGroup group, List<String> names, RAdamOptions options, Map<String, Object> extras,
            List<String> keyOrder) {
    }

    static Loaded unpack(Map<String, ?> sd, List<ParamGroup> groups, RAdamOptions defaults) {
        if (sd == null) {
            throw new IllegalArgumentException("state_dict must be a map, but got null");
        }
        requireStringKeys(sd, "state_dict");
        Object savedGroupsObj = require(sd, "param_groups", "state_dict");
        if (!(savedGroupsObj instanceof List<?> savedGroups)) {
            throw new IllegalArgumentException("state_dict['param_groups'] must be a list, but got " + typeOf(savedGroupsObj));
        }
        Object stateObj = require(sd, "state", "state_dict");
        if (!(stateObj instanceof Map<?, ?> savedState)) {
            throw new IllegalArgumentException("state_dict['state'] must be a map, but got " + typeOf(stateObj));
        }
        if (savedGroups.size() != groups.size()) {
            throw new IllegalArgumentException("loaded state dict has a different number of parameter groups");
        }
        List<Map<String, ?>> saved = new ArrayList<>();
        for (int gi = 0; gi < savedGroups.size(); gi++) {
            Object g = savedGroups.get(gi);
            if (!(g instanceof Map<?, ?> gm)) {
                throw new IllegalArgumentException("state_dict['param_groups'][" + gi + "] must be a map, but got " + typeOf(g));
            }
            requireStringKeys(gm, "state_dict['param_groups'][" + gi + "]");
            @SuppressWarnings("unchecked")
            Map<String, ?> group = (Map<String, ?>) gm;
            Object params = require(group, "params", "state_dict['param_groups'][" + gi + "]");
            if (!(params instanceof List<?> pl)) {
                throw new IllegalArgumentException("state_dict['param_groups'][" + gi + "]['params'] must be a list, but got "
                        + typeOf(params));
            }
            if (pl.size() != groups.get(gi).params().size()) {
                throw new IllegalArgumentException("loaded state dict contains a parameter group that doesn't match the size "
                        + "of optimizer's group");
            }
            saved.add(group);
        }

        Map<Long, Tensor> idMap = new HashMap<>();
        Map<Long, Boolean> capturableOf = new HashMap<>();
        List<GroupUpdate> updates = new ArrayList<>();
        for (int gi = 0; gi < saved.size(); gi++) {
            Map<String, ?> group = saved.get(gi);
            String where = "state_dict['param_groups'][" + gi + "]";
            List<?> ids = (List<?>) group.get("params");
            ParamGroup current = groups.get(gi);
            Map<String, Object> options = new LinkedHashMap<>();
            Map<String, Object> extras = new LinkedHashMap<>();
            List<String> keyOrder = new ArrayList<>();
            List<String> names = current.paramNames();
            for (Map.Entry<String, ?> e : group.entrySet()) {
                String k = e.getKey();
                if (k.equals("params")) {
                    continue;
                }
                if (k.equals("param_names")) {
                    names = stringList(e.getValue(), where + "['param_names']", current.params().size());
                    continue;
                }
                keyOrder.add(k);
                if (RAdamOptions.isOption(k)) {
                    options.put(k, e.getValue() instanceof Object[] arr ? Arrays.asList(arr) : e.getValue());
                } else {
                    extras.put(k, e.getValue());
                }
            }
            RAdamOptions opts;
            try {
                opts = RAdamOptions.fromMap(options, setstateDefaults(defaults));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
            }
            if (opts.lrIsTensor()) {
                // PyTorch deep-copies the saved param groups: a tensor lr becomes the group's own copy, not the caller's.
                opts = opts.toBuilder().lr(Tensors.keep(opts.lrTensor().detach().clone())).build();
            }
            updates.add(new GroupUpdate(current, names, opts, extras, keyOrder));
            for (int i = 0; i < ids.size(); i++) {
                long id = index(ids.get(i), where + "['params'][" + i + "]");
                Tensor p = current.params().get(i);
                idMap.put(id, p);
                capturableOf.put(id, opts.capturable());
            }
        }

        Map<Long, ParamState> newState = new LinkedHashMap<>();
        List<Tensor> created = new ArrayList<>();
        try {
            for (Map.Entry<?, ?> e : savedState.entrySet()) {
                long id = index(e.getKey(), "a key of state_dict['state']");
                String where = "state_dict['state'][" + id + "]";
                Tensor p = idMap.get(id);
                if (p == null) {
                    throw new IllegalArgumentException(where + " refers to no param of the optimizer's param groups");
                }
                if (!(e.getValue() instanceof Map<?, ?> ps)) {
                    throw new IllegalArgumentException(where + " must be a map, but got " + typeOf(e.getValue()));
                }
                for (Object k : ps.keySet()) {
                    if (!"step".equals(k) && !"exp_avg".equals(k) && !"exp_avg_sq".equals(k)) {
                        throw new IllegalArgumentException(where + " has an unknown key " + k + " (RAdam keeps step, exp_avg, exp_avg_sq)");
                    }
                }
                Tensor step = step(ps.get("step"), p, capturableOf.get(id), where + "['step']");
                created.add(step);
                Tensor expAvg = moment(ps.get("exp_avg"), p, where + "['exp_avg']");
                created.add(expAvg);
                Tensor expAvgSq = moment(ps.get("exp_avg_sq"), p, where + "['exp_avg_sq']");
                created.add(expAvgSq);
                if (newState.put(Tensors.identity(p), new ParamState(step, expAvg, expAvgSq)) != null) {
                    throw new IllegalArgumentException(where + ": the param has state under two indices");
                }
            }
        } catch (RuntimeException ex) {
            created.forEach(Tensor::close);
            throw ex;
        }
        return new Loaded(updates, newState);
    }

    private static Tensor step(Object v, Tensor p, boolean capturable, String where) {
        if (v == null) {
            throw new IllegalArgumentException(where + " is missing");
        }
        if (v instanceof Number n && !(v instanceof Byte)) {
            double value = n.doubleValue();
            checkStep(value, v, where);
            Tensor cpu;
            try (Scalar s = new Scalar(value); TensorOptions o = new TensorOptions(Tensors.scalarDtype())) {
                cpu = scalar_tensor(s, o);
            }
            return capturable ? moveCopy(cpu, p.device(), ScalarType.Float) : cpu;
        }
        if (!(v instanceof Tensor t) || t.isNull() || !t.defined()) {
            throw new IllegalArgumentException(where + " must be a tensor or a number, but got " + typeOf(v));
        }
        if (t.numel() != 1) {
            throw new IllegalArgumentException(where + " must hold one value, but has shape " + Arrays.toString(t.sizes().vec().get()));
        }
        if (t.is_complex() || !(t.is_floating_point() || Dtypes.of(t) == ScalarType.Long || Dtypes.of(t) == ScalarType.Int)) {
            throw new IllegalArgumentException(where + " must be a real number, but has dtype " + Dtypes.name(t));
        }
        checkStep(t.item_double(), t, where);
        if (capturable) {
            return moveCopy(t, p.device(), ScalarType.Float);
        }
        try (Device d = t.device()) {
            return moveCopy(t, d, Dtypes.of(t));
        }
    }

    /** A step count PyTorch could have saved: finite, not negative, representable as float32. */
    private static void checkStep(double value, Object v, String where) {
        if (!(value >= 0) || value > Float.MAX_VALUE) {
            throw new IllegalArgumentException(where + " must be a step count (a finite number, not negative), but got "
                    + (v instanceof Tensor ? "a tensor holding " + value : PyRepr.describe(v)));
        }
    }

    private static Tensor moment(Object v, Tensor p, String where) {
        if (!(v instanceof Tensor t) || t.isNull() || !t.defined()) {
            throw new IllegalArgumentException(where + " must be a tensor, but got " + (v == null ? "nothing" : typeOf(v)));
        }
        long[] ts = t.sizes().vec().get();
        long[] ps = p.sizes().vec().get();
        if (!Arrays.equals(ts, ps)) {
            throw new IllegalArgumentException(where + " has shape " + Arrays.toString(ts) + " but its param has shape "
                    + Arrays.toString(ps));
        }
        if (t.is_complex() != p.is_complex() || !(t.is_floating_point() || t.is_complex())) {
            throw new IllegalArgumentException(where + " has dtype " + Dtypes.name(t) + ", which cannot hold the state of a "
                    + Dtypes.name(p) + " param");
        }
        ScalarType type = p.is_floating_point() ? Dtypes.of(p) : Dtypes.of(t);
        return moveCopy(t, p.device(), type);
    }

    private static Tensor moveCopy(Tensor t, Device device, ScalarType type) {
        try (device; MemoryFormatOptional mf = new MemoryFormatOptional()) {
            return t.to(device, type, false, true, mf);
        }
    }

    private static void requireStringKeys(Map<?, ?> m, String where) {
        for (Object k : m.keySet()) {
            if (!(k instanceof String)) {
                throw new IllegalArgumentException(where + " has a key that is not a string: " + PyRepr.describe(k));
            }
        }
    }

    private static Object require(Map<String, ?> m, String key, String where) {
        if (!m.containsKey(key)) {
            throw new IllegalArgumentException(where + " is missing the key '" + key + "'");
        }
        return m.get(key);
    }

    private static long index(Object v, String where) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            return ((Number) v).longValue();
        }
        throw new IllegalArgumentException(where + " must be an integer param index, but got " + typeOf(v));
    }

    private static List<String> stringList(Object v, String where, int size) {
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException(where + " must be a list of names, but got " + typeOf(v));
        }
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException(where + " must hold strings, but holds " + typeOf(o));
            }
            out.add(s);
        }
        if (out.size() != size) {
            throw new IllegalArgumentException(where + " has " + out.size() + " names for " + size + " params");
        }
        return out;
    }

    static String typeOf(Object v) {
        return PyRepr.typeName(v);
    }

    /** The options a loaded group starts from: the optimizer's, with PyTorch's {@code __setstate__} defaults. */
    private static RAdamOptions setstateDefaults(RAdamOptions defaults) {
        RAdamOptions.Builder b = defaults.toBuilder();
        for (RAdamOption o : RAdamOption.values()) {
            if (o.hasSetstateDefault()) {
                b.set(o, o.setstateDefault());
            }
        }
        return b.build();
    }
}
