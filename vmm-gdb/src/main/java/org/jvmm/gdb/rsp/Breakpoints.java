package org.jvmm.gdb.rsp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvmm.core.kvm.DebugExit;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.gdb.GdbTarget;

/**
 * gdb's breakpoints and watchpoints ({@code Z}/{@code z} types 0 to 4) as x86 debug state: four
 * debug-register slots shared by hardware breakpoints and watchpoints, and {@code int3} bytes for
 * software breakpoints. Inserting and removing are idempotent, as the protocol asks.
 *
 * <ul>
 * <li>{@code Z0} writes {@code int3} (0xcc) at the physical address the breakpoint's linear
 *     address maps to, keeping the byte it replaced; where the host cannot intercept {@code int3}
 *     ({@link GuestDebug#USE_SW_BP} unsupported) it takes a debug-register slot instead, because an
 *     empty reply would make gdb write the {@code int3} itself and the guest would take the #BP.
 * <li>{@code Z1} takes a slot as an instruction breakpoint.
 * <li>{@code Z2} and {@code Z4} (write and access watchpoints) take one slot per aligned 1, 2, 4
 *     or 8-byte piece of the range, as many as the range needs; too few free slots is an error,
 *     so gdb says it cannot insert it.
 * <li>{@code Z3}, a read watchpoint, is unsupported (x86 has none): gdb then sets an access
 *     watchpoint and tells reads from writes by the value.
 * </ul>
 */
final class Breakpoints {

    /** What an insertion or removal came to. */
    enum Result {
        /** Done. */ OK,
        /** Not possible (no free slot, unmapped address, bad length): an error reply. */ ERROR,
        /** The kind is not supported: the empty reply. */ UNSUPPORTED
    }

    /** What a debug exit was, for the stop reply. */
    enum Cause {
        /** One of our {@code int3}s, or a slot standing in for one: {@code swbreak}. */ SOFTWARE,
        /** A hardware breakpoint: {@code hwbreak}. */ HARDWARE,
        /** A write watchpoint: {@code watch:ADDR}. */ WATCH,
        /** An access watchpoint: {@code awatch:ADDR}. */ ACCESS_WATCH,
        /** A plain trap: the single-step the stub asked for, or a debug exit of another vector. */ TRAP,
        /** The guest's own {@code int3}: hand the #BP back to it. */ GUEST_BREAKPOINT,
        /** The guest's own debug exception: hand the #DB back to it. */ GUEST_DEBUG
    }

    /**
     * A classified debug exit.
     *
     * @param cause   what it was
     * @param address the watched address that triggered, for watchpoints
     */
    record Hit(Cause cause, long address) {}

    static final int SLOTS = 4;
    private static final int EXECUTE = 0, WRITE = 1, ACCESS = 3;
    private static final byte INT3 = (byte) 0xcc;
    /** DR7 bit 10 is reserved and reads as one; GE (bit 9) asks for exact data breakpoints. */
    private static final long DR7_BASE = 1L << 10 | 1L << 9;

    /** A slot's owner (the Z packet) and what the slot watches. */
    private record Slot(int type, long address, int kind, long piece, int length, int access) {}

    /** An {@code int3} in guest memory and the byte under it. */
    private record Software(long physical, byte original) {}

    private final GdbTarget target;
    private final Slot[] slots = new Slot[SLOTS];
    private final Map<Long, Software> software = new LinkedHashMap<>();

    Breakpoints(GdbTarget target) {
        this.target = target;
    }

    private boolean softwareSupported() {
        return (target.guestDebugSupport() & GuestDebug.USE_SW_BP) != 0;
    }

    /**
     * {@code Z}.
     *
     * @param type    0 to 4
     * @param address gdb's address (linear)
     * @param kind    breakpoint kind (ignored) or watch length
     * @param vcpu    the vCPU whose paging places an {@code int3}
     * @return the result
     */
    Result insert(int type, long address, int kind, int vcpu) {
        return switch (type) {
            case 0 -> softwareSupported() ? insertSoftware(address, vcpu) : insertSlots(0, address, 1, EXECUTE);
            case 1 -> insertSlots(1, address, 1, EXECUTE);
            case 2 -> insertSlots(2, address, kind, WRITE);
            case 4 -> insertSlots(4, address, kind, ACCESS);
            default -> Result.UNSUPPORTED;
        };
    }

    /**
     * {@code z}.
     *
     * @param type    0 to 4
     * @param address gdb's address
     * @param kind    as inserted
     * @return the result; removing what is not there is OK
     */
    Result remove(int type, long address, int kind) {
        if (type == 3 || type < 0 || type > 4) {
            return Result.UNSUPPORTED;
        }
        if (type == 0 && software.containsKey(address)) {
            removeSoftware(address);
            return Result.OK;
        }
        int length = type <= 1 ? 1 : kind;
        for (int i = 0; i < SLOTS; i++) {
            if (slots[i] != null && slots[i].type() == type && slots[i].address() == address
                    && (type <= 1 || slots[i].kind() == length)) {
                slots[i] = null;
            }
        }
        return Result.OK;
    }

    /** Removes everything, putting back the bytes under every {@code int3}. */
    void clear() {
        for (Long address : new ArrayList<>(software.keySet())) {
            removeSoftware(address);
        }
        Arrays.fill(slots, null);
    }

    /** {@return whether nothing is inserted} */
    boolean isEmpty() {
        if (!software.isEmpty()) {
            return false;
        }
        for (Slot s : slots) {
            if (s != null) {
                return false;
            }
        }
        return true;
    }

    private Result insertSoftware(long address, int vcpu) {
        if (software.containsKey(address)) {
            return Result.OK;
        }
        Translation t = target.translate(vcpu, address);
        GuestMemory memory = target.memory();
        if (!t.valid() || !memory.isValid(t.physicalAddress(), 1)) {
            return Result.ERROR;
        }
        long physical = t.physicalAddress();
        byte original = memory.readByte(physical);
        for (Software other : software.values()) {
            if (other.physical() == physical) {
                original = other.original(); // an alias of a byte that already holds our int3
            }
        }
        memory.writeByte(physical, INT3);
        software.put(address, new Software(physical, original));
        return Result.OK;
    }

    private void removeSoftware(long address) {
        Software removed = software.remove(address);
        for (Software other : software.values()) {
            if (other.physical() == removed.physical()) {
                return; // another breakpoint still needs the int3 there
            }
        }
        GuestMemory memory = target.memory();
        // The guest may have rewritten the byte while it ran: then it is the guest's, not ours.
        if (memory.readByte(removed.physical()) == INT3) {
            memory.writeByte(removed.physical(), removed.original());
        }
    }

    private Result insertSlots(int type, long address, int length, int access) {
        for (Slot s : slots) {
            if (s != null && s.type() == type && s.address() == address && (type <= 1 || s.kind() == length)) {
                return Result.OK;
            }
        }
        if (length < 1 || length > SLOTS * 8 || Long.compareUnsigned(address + length - 1, address) < 0) {
            return Result.ERROR;
        }
        List<long[]> pieces = pieces(address, length);
        int free = 0;
        for (Slot s : slots) {
            free += s == null ? 1 : 0;
        }
        if (pieces.size() > free) {
            return Result.ERROR;
        }
        int next = 0;
        for (long[] piece : pieces) {
            while (slots[next] != null) {
                next++;
            }
            slots[next] = new Slot(type, address, length, piece[0], (int) piece[1], access);
        }
        return Result.OK;
    }

    /** Splits a range into naturally aligned pieces of 1, 2, 4 or 8 bytes, largest first. */
    private static List<long[]> pieces(long address, int length) {
        List<long[]> pieces = new ArrayList<>();
        while (length > 0) {
            int size = 8;
            while (size > length || (address & (size - 1)) != 0) {
                size >>= 1;
            }
            pieces.add(new long[] {address, size});
            address += size;
            length -= size;
        }
        return pieces;
    }

    /**
     * The guest-debug state for one vCPU.
     *
     * @param step whether it single-steps
     * @return the state; {@link GuestDebug#OFF} when nothing is inserted and it does not step
     */
    GuestDebug state(boolean step) {
        long[] dr = new long[8];
        long dr7 = DR7_BASE;
        int control = 0;
        for (int i = 0; i < SLOTS; i++) {
            Slot s = slots[i];
            if (s != null) {
                dr[i] = s.piece();
                dr7 |= 2L << (2 * i) | (long) s.access() << (16 + 4 * i) | lengthBits(s.length()) << (18 + 4 * i);
                control |= GuestDebug.USE_HW_BP;
            }
        }
        dr[GuestDebug.DR7] = dr7;
        if (!software.isEmpty()) {
            control |= GuestDebug.USE_SW_BP;
        }
        if (step) {
            control |= GuestDebug.SINGLESTEP | (target.guestDebugSupport() & GuestDebug.BLOCKIRQ);
        }
        return control == 0 ? GuestDebug.OFF : new GuestDebug(GuestDebug.ENABLE | control, dr);
    }

    private static long lengthBits(int length) {
        return switch (length) {
            case 2 -> 1;
            case 4 -> 3;
            case 8 -> 2;
            default -> 0;
        };
    }

    /**
     * What a debug exit means.
     *
     * @param exit     what KVM reported
     * @param stepping whether the stub asked this vCPU to single-step
     * @return the cause and, for watchpoints, the address
     */
    Hit classify(DebugExit exit, boolean stepping) {
        if (exit.softwareBreakpoint()) {
            return new Hit(software.containsKey(exit.pc()) ? Cause.SOFTWARE : Cause.GUEST_BREAKPOINT, 0);
        }
        if (exit.exception() != DebugExit.DB_VECTOR) {
            return new Hit(Cause.TRAP, 0);
        }
        Cause execute = null;
        int hits = exit.breakpointsHit();
        for (int i = 0; i < SLOTS; i++) {
            Slot s = slots[i];
            if ((hits & (1 << i)) == 0 || s == null) {
                continue;
            }
            if (s.access() == WRITE) {
                return new Hit(Cause.WATCH, s.piece());
            }
            if (s.access() == ACCESS) {
                return new Hit(Cause.ACCESS_WATCH, s.piece());
            }
            execute = s.type() == 0 ? Cause.SOFTWARE : Cause.HARDWARE;
        }
        if (execute != null) {
            return new Hit(execute, 0);
        }
        if (stepping && exit.singleStep()) {
            return new Hit(Cause.TRAP, 0);
        }
        return new Hit(Cause.GUEST_DEBUG, 0);
    }
}
