package org.radam4j.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.radam4j.PyTuple;

/**
 * A pickle reader for the safe subset PyTorch checkpoints use: the opcodes of protocols 2 to 4 that build
 * dicts, lists, tuples, numbers, strings, booleans and None, and only the globals {@code collections
 * OrderedDict}, {@code torch._utils _rebuild_tensor_v2} and {@code torch <Dtype>Storage}, as PyTorch's
 * {@code weights_only} loader allows. Anything else is refused with a {@link TorchFileFormatException}; every
 * length and index is checked, so no input can make it read out of bounds.
 */
final class PickleReader {

    /** Resolves a persistent id ({@code ('storage', type, key, location, numel)}) to a storage. */
    interface Storages {
        Object load(PyTuple pid) throws TorchFileFormatException;
    }

    /** Builds a tensor from {@code _rebuild_tensor_v2}'s arguments. */
    interface Rebuilder {
        Object rebuild(PyTuple args) throws TorchFileFormatException;
    }

    /** A global the reader allows, standing on the stack until REDUCE applies it. */
    record Global(String module, String name) {
    }

    private static final Object MARK = new Object();

    private final ByteBuffer in;
    private final Storages storages;
    private final Rebuilder rebuilder;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    PickleReader(byte[] data, Storages storages, Rebuilder rebuilder) {
        this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        this.storages = storages;
        this.rebuilder = rebuilder;
    }

    Object read() throws TorchFileFormatException {
        while (true) {
            int pos = in.position();
            int op = u8();
            switch (op) {
                case 0x80 -> {
                    int proto = u8();
                    if (proto > 5) {
                        throw bad("unsupported pickle protocol " + proto);
                    }
                }
                case 0x95 -> {
                    long frame = i64();
                    if (frame < 0 || frame > in.remaining()) {
                        throw bad("a FRAME of " + frame + " bytes where " + in.remaining() + " remain");
                    }
                }
                case '.' -> {
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw bad("the pickle ends with " + stack.size() + " values on its stack");
                    }
                    Nesting.check(stack.get(0), Nesting.maxDepth());
                    return stack.get(0);
                }
                case '(' -> {
                    marks.add(stack.size());
                    stack.add(MARK);
                }
                case '}' -> stack.add(new LinkedHashMap<Object, Object>());
                case ']' -> stack.add(new ArrayList<Object>());
                case ')' -> stack.add(PyTuple.of());
                case 't' -> stack.add(PyTuple.copyOf(popMark()));
                case 0x85 -> stack.add(PyTuple.of(pop()));
                case 0x86 -> {
                    Object b = pop();
                    Object a = pop();
                    stack.add(PyTuple.of(a, b));
                }
                case 0x87 -> {
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    stack.add(PyTuple.of(a, b, c));
                }
                case 'a' -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    put(dict(peek()), k, v);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) {
                        throw bad("SETITEMS with an odd number of items");
                    }
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i < items.size(); i += 2) {
                        put(d, items.get(i), items.get(i + 1));
                    }
                }
                case 'C' -> stack.add(bytes(u8()));
                case 'B' -> stack.add(bytes(len(i32())));
                case 0x8e -> stack.add(bytes(len(i64())));
                case 0x96 -> stack.add(bytes(len(i64())));
                case 0x8f -> stack.add(new java.util.LinkedHashSet<Object>());
                case 0x90 -> {
                    List<Object> items = popMark();
                    if (!(peek() instanceof java.util.Set<?>)) {
                        throw bad("ADDITEMS on something that is not a set");
                    }
                    @SuppressWarnings("unchecked")
                    java.util.Set<Object> set = (java.util.Set<Object>) peek();
                    for (Object x : items) {
                        add(set, x);
                    }
                }
                case 'N' -> stack.add(null);
                case 0x88 -> stack.add(Boolean.TRUE);
                case 0x89 -> stack.add(Boolean.FALSE);
                case 'K' -> stack.add((long) u8());
                case 'M' -> stack.add((long) (u8() | (u8() << 8)));
                case 'J' -> stack.add((long) i32());
                case 0x8a -> stack.add(longOf(bytes(u8())));
                case 0x8b -> stack.add(longOf(bytes(len(i32()))));
                case 'G' -> stack.add(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                case 'X' -> stack.add(utf8(bytes(len(i32()))));
                case 0x8c -> stack.add(utf8(bytes(u8())));
                case 0x8d -> stack.add(utf8(bytes(len(i64()))));
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(u32(), peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'h' -> stack.add(memoGet(u8()));
                case 'j' -> stack.add(memoGet(u32()));
                case 'c' -> stack.add(PickleGlobals.global(line(), line()));
                case 0x93 -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw bad("STACK_GLOBAL needs two strings");
                    }
                    stack.add(PickleGlobals.global(m, n));
                }
                case 'Q' -> {
                    Object pid = pop();
                    if (!(pid instanceof PyTuple t)) {
                        throw bad("a persistent id must be a tuple");
                    }
                    stack.add(storages.load(t));
                }
                case 'R' -> {
                    Object args = pop();
                    Object fn = pop();
                    stack.add(PickleGlobals.reduce(fn, args, rebuilder));
                }
                case 'b' -> {
                    Object state = pop();
                    if (!(peek() instanceof OrderedDict d) || !(state instanceof Map<?, ?> || state == null)) {
                        throw bad("BUILD is only allowed to set attributes of an OrderedDict (a module's _metadata)");
                    }
                    if (state != null) {
                        for (Map.Entry<?, ?> e : ((Map<?, ?>) state).entrySet()) {
                            if (!(e.getKey() instanceof String name)) {
                                throw bad("an OrderedDict's attribute names must be strings");
                            }
                            d.attributes().put(name, e.getValue());
                        }
                    }
                }
                default -> throw bad(String.format("pickle opcode 0x%02x at byte %d is outside the safe subset radam4j reads",
                        op, pos));
            }
        }
    }

    /**
     * A dict key or set element as Python allows it: hashable (None, bools, numbers, strings, bytes, tensors,
     * devices, dtypes, and tuples of these, however nested); lists, dicts, sets and anything holding one are refused.
     */
    static Object key(Object k) throws TorchFileFormatException {
        if (!(k instanceof java.util.Collection<?> || k instanceof Map<?, ?>)) {
            return k;
        }
        java.util.ArrayDeque<Object> todo = new java.util.ArrayDeque<>();
        java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        todo.push(k == null ? Boolean.FALSE : k);
        while (!todo.isEmpty()) {
            Object x = todo.pop();
            if (x instanceof PyTuple t) {
                if (!seen.add(t)) {
                    continue;
                }
                for (Object e : t) {
                    if (e != null) {
                        todo.push(e);
                    }
                }
            } else if (x instanceof java.util.Collection<?> || x instanceof Map<?, ?>) {
                throw new TorchFileFormatException("a dict key or set element must be hashable, not a "
                        + org.radam4j.internal.PyRepr.typeName(x));
            }
        }
        return k;
    }

    /** {@code d[k] = v}, refusing a key Python takes for one already there ({@code 1}, {@code 1.0}, {@code True}). */
    private static void put(Map<Object, Object> d, Object k, Object v) throws TorchFileFormatException {
        sameInPython(d.keySet(), key(k));
        d.put(k, v);
    }

    private static void add(java.util.Set<Object> set, Object x) throws TorchFileFormatException {
        sameInPython(set, key(x));
        set.add(x);
    }

    /**
     * Python's {@code 1 == 1.0 == True} (and {@code 0 == 0.0 == False}): such keys are one key there, several here.
     * Refused rather than merged or kept apart silently.
     */
    private static void sameInPython(java.util.Set<Object> keys, Object k) throws TorchFileFormatException {
        List<Object> others = new ArrayList<>(2);
        if (k instanceof Boolean b) {
            others.add(b ? 1L : 0L);
            others.add(b ? 1.0 : 0.0);
        } else if (k instanceof Long l) {
            if ((long) (double) l == l) {
                others.add((double) l);
            }
            if (l == 0 || l == 1) {
                others.add(l == 1);
            }
        } else if (k instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p63) {
            others.add(d.longValue());
            if (d == 0 || d == 1) {
                others.add(d == 1);
            }
        }
        for (Object other : others) {
            if (keys.contains(other)) {
                throw new TorchFileFormatException("the keys " + org.radam4j.internal.PyRepr.repr(other) + " and "
                        + org.radam4j.internal.PyRepr.repr(k) + " are one key in Python; radam4j refuses a dict or set "
                        + "that holds both");
            }
        }
    }

    private Object memoGet(long i) throws TorchFileFormatException {
        if (!memo.containsKey(i)) {
            throw bad("memo entry " + i + " is read before it is written");
        }
        return memo.get(i);
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) throws TorchFileFormatException {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw bad("APPEND on something that is not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) throws TorchFileFormatException {
        if (o instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw bad("SETITEM on something that is not a dict");
    }

    private Object pop() throws TorchFileFormatException {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.get(marks.size() - 1) == stack.size() - 1)) {
            throw bad("the pickle's stack underflows");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws TorchFileFormatException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw bad("the pickle's stack underflows");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() throws TorchFileFormatException {
        if (marks.isEmpty()) {
            throw bad("no MARK on the pickle's stack");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private int u8() throws TorchFileFormatException {
        need(1);
        return in.get() & 0xff;
    }

    private int i32() throws TorchFileFormatException {
        need(4);
        return in.getInt();
    }

    private long u32() throws TorchFileFormatException {
        return i32() & 0xffffffffL;
    }

    private long i64() throws TorchFileFormatException {
        need(8);
        return in.getLong();
    }

    private int len(long n) throws TorchFileFormatException {
        if (n < 0 || n > in.remaining()) {
            throw bad("a length of " + n + " runs past the end of the pickle");
        }
        return (int) n;
    }

    private byte[] bytes(int n) throws TorchFileFormatException {
        need(n);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String line() throws TorchFileFormatException {
        StringBuilder s = new StringBuilder();
        while (true) {
            int c = u8();
            if (c == '\n') {
                return s.toString();
            }
            if (s.length() > 256) {
                throw bad("a GLOBAL name longer than 256 characters");
            }
            s.append((char) c);
        }
    }

    private static Object longOf(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(byte[] b) throws TorchFileFormatException {
        String s = Utf8.decode(b);
        if (s == null) {
            throw bad("a string that is not valid UTF-8");
        }
        return s;
    }

    private void need(int n) throws TorchFileFormatException {
        if (in.remaining() < n) {
            throw bad("the pickle is truncated");
        }
    }

    static TorchFileFormatException bad(String why) {
        return new TorchFileFormatException("not a valid PyTorch pickle: " + why);
    }
}
