package org.radam4j.io;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The nesting depth of a loaded value: the longest chain of containers (dicts, lists, tuples, sets) inside one
 * another, counted without recursion, in time linear in the value's size. A container met again on its own chain
 * (a list that holds itself, as pickle allows) ends that chain. Loads deeper than the bound are refused, so no
 * code that walks the value later, radam4j's or the caller's, can overflow the stack on a file.
 */
final class Nesting {

    /** The default bound: Python's own recursion limit, which {@code torch.save} cannot write past. */
    static final int DEFAULT_MAX_DEPTH = 1000;

    private Nesting() {
    }

    /** {@code -Dradam4j.load.maxDepth=N}, else {@link #DEFAULT_MAX_DEPTH}. */
    static int maxDepth() {
        try {
            return Math.max(1, Integer.getInteger("radam4j.load.maxDepth", DEFAULT_MAX_DEPTH));
        } catch (SecurityException e) {
            return DEFAULT_MAX_DEPTH;
        }
    }

    private static final class Frame {
        final Object node;
        final Iterator<?> children;
        final int depth;
        int height;

        Frame(Object node, Iterator<?> children, int depth) {
            this.node = node;
            this.children = children;
            this.depth = depth;
        }
    }

    /**
     * @throws TorchFileFormatException when containers nest deeper than {@code max}
     */
    static void check(Object root, int max) throws TorchFileFormatException {
        Map<Object, Integer> heights = new IdentityHashMap<>();
        Map<Object, Boolean> open = new IdentityHashMap<>();
        ArrayDeque<Frame> stack = new ArrayDeque<>();
        if (children(root) == null) {
            return;
        }
        stack.push(new Frame(root, children(root), 1));
        open.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Frame f = stack.peek();
            if (f.depth > max) {
                throw new TorchFileFormatException("the value nests containers more than " + max + " deep "
                        + "(-Dradam4j.load.maxDepth raises the bound)");
            }
            if (f.children.hasNext()) {
                Object c = f.children.next();
                Iterator<?> grand = children(c);
                if (grand == null || open.containsKey(c)) {
                    continue;
                }
                Integer h = heights.get(c);
                if (h != null) {
                    f.height = Math.max(f.height, h);
                    if (f.depth + h > max) {
                        throw new TorchFileFormatException("the value nests containers more than " + max + " deep "
                                + "(-Dradam4j.load.maxDepth raises the bound)");
                    }
                    continue;
                }
                open.put(c, Boolean.TRUE);
                stack.push(new Frame(c, grand, f.depth + 1));
            } else {
                stack.pop();
                open.remove(f.node);
                heights.put(f.node, f.height + 1);
                if (!stack.isEmpty()) {
                    stack.peek().height = Math.max(stack.peek().height, f.height + 1);
                }
            }
        }
    }

    private static Iterator<?> children(Object v) {
        if (v instanceof Map<?, ?> m) {
            return new Iterator<Object>() {
                private final Iterator<? extends Map.Entry<?, ?>> entries = m.entrySet().iterator();
                private Object pending;
                private boolean hasPending;

                @Override
                public boolean hasNext() {
                    return hasPending || entries.hasNext();
                }

                @Override
                public Object next() {
                    if (hasPending) {
                        hasPending = false;
                        return pending;
                    }
                    Map.Entry<?, ?> e = entries.next();
                    pending = e.getValue();
                    hasPending = true;
                    return e.getKey();
                }
            };
        }
        return v instanceof Collection<?> c ? c.iterator() : null;
    }
}
