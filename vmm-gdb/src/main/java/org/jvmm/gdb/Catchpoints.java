package org.jvmm.gdb;

import java.util.Arrays;
import java.util.List;

/**
 * The exit catchpoints in force. {@code monitor catch} edits them from the stub's thread; the
 * machine's exit path asks {@link #matchIo}, {@link #matchMmio} and {@link #matchHlt} on every exit
 * of that kind, which allocates nothing and takes no lock: the set is an immutable array replaced
 * as a whole on each change.
 */
public final class Catchpoints {

    private static final Catchpoint[] NONE = new Catchpoint[0];

    private volatile Catchpoint[] all = NONE;

    /** An empty set. */
    public Catchpoints() {
        // nothing to set up: the array starts empty
    }

    /**
     * Adds a catchpoint (an equal one already there is not added twice).
     *
     * @param catchpoint the catchpoint
     * @return its number in {@link #list()}, from 1
     */
    public synchronized int add(Catchpoint catchpoint) {
        Catchpoint[] current = all;
        for (int i = 0; i < current.length; i++) {
            if (current[i].equals(catchpoint)) {
                return i + 1;
            }
        }
        Catchpoint[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = catchpoint;
        all = next;
        return next.length;
    }

    /** Removes every catchpoint. */
    public synchronized void clear() {
        all = NONE;
    }

    /** {@return the catchpoints, in the order they were added} */
    public List<Catchpoint> list() {
        return List.of(all);
    }

    /**
     * The first catchpoint a port access matches.
     *
     * @param port the port
     * @param out  true for {@code out}
     * @return the catchpoint, or null
     */
    public Catchpoint matchIo(int port, boolean out) {
        for (Catchpoint c : all) {
            if (c instanceof Catchpoint.Io io && io.matches(port, out)) {
                return c;
            }
        }
        return null;
    }

    /**
     * The first catchpoint an MMIO access matches.
     *
     * @param address guest-physical address
     * @param length  access size in bytes
     * @param write   true for a write
     * @return the catchpoint, or null
     */
    public Catchpoint matchMmio(long address, int length, boolean write) {
        for (Catchpoint c : all) {
            if (c instanceof Catchpoint.Mmio mmio && mmio.matches(address, length, write)) {
                return c;
            }
        }
        return null;
    }

    /** {@return the {@code hlt} catchpoint if one is set, or null} */
    public Catchpoint matchHlt() {
        for (Catchpoint c : all) {
            if (c instanceof Catchpoint.Hlt) {
                return c;
            }
        }
        return null;
    }
}
