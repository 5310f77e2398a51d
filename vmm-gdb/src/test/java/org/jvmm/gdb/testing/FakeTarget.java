package org.jvmm.gdb.testing;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jvmm.core.arch.LinearMemory;
import org.jvmm.core.arch.PageWalker;
import org.jvmm.core.arch.PagingRegisters;
import org.jvmm.core.kvm.DebugExit;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.SegmentRegister;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.SpecialRegisters.Segment;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;
import org.jvmm.gdb.Catchpoint;
import org.jvmm.gdb.Catchpoints;
import org.jvmm.gdb.GdbTarget;
import org.jvmm.gdb.StopEvent;
import org.jvmm.gdb.StopListener;

/**
 * A test double of a machine: long-mode vCPUs over 4 MiB of RAM with real page tables (the first
 * 4 MiB identity-mapped with 2 MiB pages, and again at {@link #HIGH}), and a tiny interpreter for
 * a handful of real x86 instructions, so that breakpoints, watchpoints, single-steps, catchpoints
 * and Ctrl-C behave as they would on KVM:
 * <pre>
 * 90                nop
 * cc                int3            (a KVM_EXIT_DEBUG #BP under USE_SW_BP; else the guest's #BP handler)
 * a2 imm64          mov [imm64], al (write watchpoints trigger after it)
 * a0 imm64          mov al, [imm64] (access watchpoints trigger after it)
 * e6 imm8           out imm8, al    (port 0xf4 ends the guest with status al; catchpoints stop before it)
 * eb rel8           jmp rel8        (eb fe spins)
 * f4                hlt             (spins; a hlt catchpoint stops at it)
 * </pre>
 * Instruction breakpoints in the debug registers stop before the instruction, as on hardware (no
 * RF flag: resuming on one stops again at once); single-step stops after one instruction. The
 * guest's #BP handler is simulated: it counts the trap and returns past the {@code int3}.
 */
public final class FakeTarget implements GdbTarget {

    /** RAM size. */
    public static final long RAM = 4 << 20;
    /** Where the code goes and every vCPU starts. */
    public static final long CODE = 0x20_0000;
    /** Where RAM is mapped a second time. */
    public static final long HIGH = 0xffff_ffff_8000_0000L;
    /** A linear address no table maps. */
    public static final long UNMAPPED = 0x4000_0000L;
    /** The port whose write ends the guest. */
    public static final int EXIT_PORT = 0xf4;

    private static final int BUDGET = 1_000_000;

    private final int vcpuCount;
    private final RegionGuestMemory memory = new RegionGuestMemory(
            List.of(new GuestRegion(0, Arena.ofShared().allocate(RAM, 4096))));
    private final Registers[] regs;
    private final SpecialRegisters[] sregs;
    private final GuestDebug[] debug;
    private final boolean[] pendingOut;
    private final ExecutorService cpu = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fake-vcpus");
        t.setDaemon(true);
        return t;
    });
    /** Every call the stub made, in order, as text. */
    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    /** The exit catchpoints the simulated exit path consults. */
    public final Catchpoints catchpoints = new Catchpoints();
    private volatile int support = GuestDebug.BASELINE_FLAGS | GuestDebug.BLOCKIRQ;
    private volatile StopListener listener;
    private volatile boolean interrupted;
    private volatile boolean running;
    private volatile Integer exitStatus;
    private int guestBreakpointsHandled;
    private final Object lock = new Object();

    /**
     * Creates the machine with every vCPU at {@link #CODE}.
     *
     * @param vcpuCount how many vCPUs
     */
    public FakeTarget(int vcpuCount) {
        this.vcpuCount = vcpuCount;
        regs = new Registers[vcpuCount];
        sregs = new SpecialRegisters[vcpuCount];
        debug = new GuestDebug[vcpuCount];
        pendingOut = new boolean[vcpuCount];
        long p = 1, rw = 2, ps = 0x80;
        memory.writeLong(0x1000, 0x2000 | p | rw);           // PML4[0]
        memory.writeLong(0x1000 + 511 * 8, 0x4000 | p | rw); // PML4[511]
        memory.writeLong(0x2000, 0x3000 | p | rw);           // PDPT[0]
        memory.writeLong(0x4000 + 510 * 8, 0x3000 | p | rw); // PDPT[510]: HIGH
        memory.writeLong(0x3000, 0 | p | rw | ps);           // PD[0]: 0-2 MiB
        memory.writeLong(0x3008, 0x20_0000 | p | rw | ps);   // PD[1]: 2-4 MiB
        for (int v = 0; v < vcpuCount; v++) {
            regs[v] = new Registers().set(Register.RIP, CODE).set(Register.RSP, 0x1f_f000).set(Register.RAX, 0x1111 * (v + 1));
            sregs[v] = SpecialRegisters.zeroed().cr0(PagingRegisters.CR0_PG | 0x11).cr3(0x1000)
                    .cr4(PagingRegisters.CR4_PAE).efer(PagingRegisters.EFER_LMA | (1L << 8))
                    .segment(Segment.CS, SegmentRegister.flat(0x08, 0xb, 0, true))
                    .segment(Segment.SS, SegmentRegister.flat(0x10, 0x3, 0, true))
                    .segment(Segment.DS, SegmentRegister.flat(0x10, 0x3, 0, true))
                    .segment(Segment.FS, new SegmentRegister(0x7000, 0xffff, 0x10, 3, true, 0, true, true, false, true, false, false));
            debug[v] = GuestDebug.OFF;
        }
    }

    /**
     * Writes code at {@link #CODE}.
     *
     * @param bytes the instructions
     * @return this
     */
    public FakeTarget code(int... bytes) {
        return poke(CODE, bytes);
    }

    /**
     * Writes bytes at a physical address.
     *
     * @param address where
     * @param bytes   the bytes
     * @return this
     */
    public FakeTarget poke(long address, int... bytes) {
        for (int i = 0; i < bytes.length; i++) {
            memory.writeByte(address + i, (byte) bytes[i]);
        }
        return this;
    }

    /**
     * Moves a vCPU.
     *
     * @param vcpu the vCPU
     * @param rip  its new instruction pointer
     * @return this
     */
    public synchronized FakeTarget rip(int vcpu, long rip) {
        regs[vcpu].set(Register.RIP, rip);
        return this;
    }

    /**
     * Sets which KVM_GUESTDBG flags the fake host supports.
     *
     * @param flags the mask
     * @return this
     */
    public FakeTarget support(int flags) {
        support = flags;
        return this;
    }

    /**
     * A copy of guest memory and registers, to put back with {@link #restore}.
     *
     * @param memory    the RAM
     * @param registers every vCPU's general registers
     * @param special   every vCPU's special registers
     */
    public record State(java.lang.foreign.MemorySegment memory, Registers[] registers, SpecialRegisters[] special) {}

    /** {@return the machine's memory and registers now} */
    public synchronized State save() {
        java.lang.foreign.MemorySegment copy = Arena.ofAuto().allocate(RAM, 4096);
        copy.copyFrom(memory.slice(0, RAM));
        Registers[] r = new Registers[vcpuCount];
        SpecialRegisters[] s = new SpecialRegisters[vcpuCount];
        for (int v = 0; v < vcpuCount; v++) {
            r[v] = registers(v);
            s[v] = specialRegisters(v);
        }
        return new State(copy, r, s);
    }

    /**
     * Puts back a saved state, every guest-debug state off and no catchpoints.
     *
     * @param state from {@link #save}
     */
    public synchronized void restore(State state) {
        memory.slice(0, RAM).copyFrom(state.memory());
        for (int v = 0; v < vcpuCount; v++) {
            for (Register r : Register.values()) {
                regs[v].set(r, state.registers()[v].get(r));
            }
            copy(state.special()[v], sregs[v]);
            debug[v] = GuestDebug.OFF;
        }
        catchpoints.clear();
        calls.clear();
    }

    /** {@return how many times the stub resumed the guest} */
    public long resumes() {
        synchronized (calls) {
            return calls.stream().filter(c -> c.startsWith("resume")).count();
        }
    }

    /** {@return whether the vCPUs are running} */
    public boolean running() {
        return running;
    }

    /** {@return how many times the guest's own #BP handler ran} */
    public synchronized int guestBreakpointsHandled() {
        return guestBreakpointsHandled;
    }

    /**
     * The guest-debug state last set on a vCPU.
     *
     * @param vcpu the vCPU
     * @return the state
     */
    public synchronized GuestDebug debugState(int vcpu) {
        return debug[vcpu];
    }

    /**
     * A general register.
     *
     * @param vcpu     the vCPU
     * @param register which
     * @return its value
     */
    public synchronized long register(int vcpu, Register register) {
        return regs[vcpu].get(register);
    }

    @Override
    public int vcpuCount() {
        return vcpuCount;
    }

    @Override
    public int guestDebugSupport() {
        return support;
    }

    @Override
    public StopEvent attach(StopListener newListener) {
        calls.add("attach");
        listener = newListener;
        Integer status = exitStatus;
        return status != null ? new StopEvent.Exited(status) : new StopEvent.Stopped(0);
    }

    @Override
    public synchronized Registers registers(int vcpu) {
        assertStopped();
        Registers copy = new Registers();
        for (Register r : Register.values()) {
            copy.set(r, regs[vcpu].get(r));
        }
        return copy;
    }

    @Override
    public synchronized void setRegisters(int vcpu, Registers registers) {
        assertStopped();
        calls.add("setRegisters " + vcpu);
        for (Register r : Register.values()) {
            regs[vcpu].set(r, registers.get(r));
        }
    }

    @Override
    public synchronized SpecialRegisters specialRegisters(int vcpu) {
        assertStopped();
        SpecialRegisters s = SpecialRegisters.zeroed();
        copy(sregs[vcpu], s);
        return s;
    }

    @Override
    public synchronized void setSpecialRegisters(int vcpu, SpecialRegisters registers) {
        assertStopped();
        calls.add("setSpecialRegisters " + vcpu);
        copy(registers, sregs[vcpu]);
    }

    private static void copy(SpecialRegisters from, SpecialRegisters to) {
        for (Segment s : Segment.values()) {
            to.segment(s, from.segment(s));
        }
        to.cr0(from.cr0()).cr2(from.cr2()).cr3(from.cr3()).cr4(from.cr4()).cr8(from.cr8()).efer(from.efer());
    }

    /**
     * The special registers, for assertions.
     *
     * @param vcpu the vCPU
     * @return a copy
     */
    public synchronized SpecialRegisters sregs(int vcpu) {
        SpecialRegisters s = SpecialRegisters.zeroed();
        copy(sregs[vcpu], s);
        return s;
    }

    @Override
    public RegionGuestMemory memory() {
        return memory;
    }

    @Override
    public synchronized Translation translate(int vcpu, long linearAddress) {
        return PageWalker.translate(memory, PagingRegisters.of(sregs[vcpu]), linearAddress);
    }

    @Override
    public synchronized void setGuestDebug(int vcpu, GuestDebug state) {
        assertStopped();
        calls.add("setGuestDebug " + vcpu + " " + state);
        if ((state.control() & GuestDebug.INJECT_BP) != 0) {
            // The guest's #BP handler: it notes the trap and returns past the int3.
            guestBreakpointsHandled++;
            regs[vcpu].set(Register.RIP, regs[vcpu].get(Register.RIP) + 1);
        }
        debug[vcpu] = state.withControl(state.control() & ~(GuestDebug.INJECT_BP | GuestDebug.INJECT_DB));
    }

    private void assertStopped() {
        if (running) {
            throw new IllegalStateException("the stub touched a vCPU while the guest runs");
        }
    }

    @Override
    public void resume(BitSet vcpus) {
        calls.add("resume " + vcpus);
        if (vcpus.isEmpty() || running) {
            throw new IllegalStateException("resume " + vcpus + (running ? " while running" : ""));
        }
        running = true;
        interrupted = false;
        cpu.execute(() -> {
            StopEvent event = run(vcpus);
            running = false;
            StopListener l = listener;
            if (l != null) {
                l.stopped(event);
            }
        });
    }

    @Override
    public void interrupt() {
        calls.add("interrupt");
        synchronized (lock) {
            interrupted = true;
            lock.notifyAll();
        }
    }

    @Override
    public void detach() {
        calls.add("detach");
        listener = null;
    }

    @Override
    public void kill() {
        calls.add("kill");
        listener = null;
    }

    /**
     * Runs the vCPUs one instruction each in turn until one stops, or, when all spin or the budget
     * ends, until interrupted (then the lowest running vCPU is reported).
     */
    private StopEvent run(BitSet vcpus) {
        int first = vcpus.nextSetBit(0);
        for (int step = 0; step < BUDGET; step++) {
            if (interrupted) {
                return new StopEvent.Stopped(first);
            }
            boolean allSpin = true;
            for (int v = first; v >= 0; v = vcpus.nextSetBit(v + 1)) {
                Object result = execute(v);
                if (result instanceof StopEvent event) {
                    return event;
                }
                allSpin &= result == Spin.SPIN;
            }
            if (allSpin) {
                break;
            }
        }
        synchronized (lock) {
            while (!interrupted) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return new StopEvent.Stopped(first);
    }

    private enum Spin { SPIN, RAN }

    private synchronized Object execute(int v) {
        Registers r = regs[v];
        GuestDebug d = debug[v];
        long rip = r.get(Register.RIP);
        long dr7 = d.debugRegister(GuestDebug.DR7);
        boolean hw = (d.control() & GuestDebug.USE_HW_BP) != 0;
        for (int i = 0; i < 4 && hw; i++) {
            boolean enabled = (dr7 >>> (2 * i) & 3) != 0;
            if (enabled && (dr7 >>> (16 + 4 * i) & 3) == 0 && d.debugRegister(i) == rip) {
                return new StopEvent.Debug(v, new DebugExit(DebugExit.DB_VECTOR, rip, 0xffff0ff0L | 1L << i, dr7));
            }
        }
        LinearMemory mem = new LinearMemory(memory, a -> PageWalker.translate(memory, PagingRegisters.of(sregs[v]), a));
        byte[] insn = new byte[9];
        if (mem.read(rip, insn, 0, 1) != 1) {
            return new StopEvent.Faulted(v, "page fault fetching at 0x" + Long.toHexString(rip));
        }
        long dataAddress = -1;
        boolean write = false;
        Object outcome = Spin.RAN;
        switch (insn[0] & 0xff) {
            case 0x90 -> r.set(Register.RIP, rip + 1);
            case 0xcc -> {
                if ((d.control() & GuestDebug.USE_SW_BP) != 0) {
                    return new StopEvent.Debug(v, new DebugExit(DebugExit.BP_VECTOR, rip, 0xffff0ff0L, dr7));
                }
                guestBreakpointsHandled++;
                r.set(Register.RIP, rip + 1);
            }
            case 0xa2, 0xa0 -> {
                mem.read(rip + 1, insn, 1, 8);
                dataAddress = java.nio.ByteBuffer.wrap(insn, 1, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                write = (insn[0] & 0xff) == 0xa2;
                byte[] al = {(byte) r.get(Register.RAX)};
                if (write ? mem.write(dataAddress, al, 0, 1) != 1 : mem.read(dataAddress, al, 0, 1) != 1) {
                    return new StopEvent.Faulted(v, "page fault at 0x" + Long.toHexString(dataAddress));
                }
                if (!write) {
                    r.set(Register.RAX, (r.get(Register.RAX) & ~0xffL) | (al[0] & 0xff));
                }
                r.set(Register.RIP, rip + 9);
            }
            case 0xe6 -> {
                mem.read(rip + 1, insn, 1, 1);
                int port = insn[1] & 0xff;
                if (!pendingOut[v]) {
                    Catchpoint c = catchpoints.matchIo(port, true);
                    if (c != null) {
                        pendingOut[v] = true; // like KVM: rip stays at the out until the exit completes
                        return new StopEvent.Caught(v, c, "io out 0x" + Integer.toHexString(port) + " size 1 value 0x"
                                + Long.toHexString(r.get(Register.RAX) & 0xff));
                    }
                }
                pendingOut[v] = false;
                r.set(Register.RIP, rip + 2);
                if (port == EXIT_PORT) {
                    exitStatus = (int) (r.get(Register.RAX) & 0xff);
                    return new StopEvent.Exited(exitStatus);
                }
            }
            case 0xeb -> {
                mem.read(rip + 1, insn, 1, 1);
                r.set(Register.RIP, rip + 2 + insn[1]);
                outcome = insn[1] == (byte) 0xfe ? Spin.SPIN : Spin.RAN;
            }
            case 0xf4 -> {
                Catchpoint c = catchpoints.matchHlt();
                if (c != null) {
                    r.set(Register.RIP, rip + 1); // KVM reports HLT with rip past it
                    return new StopEvent.Caught(v, c, "hlt");
                }
                outcome = Spin.SPIN;
            }
            default -> {
                return new StopEvent.Faulted(v, "emulation failure: opcode 0x" + Integer.toHexString(insn[0] & 0xff));
            }
        }
        if (dataAddress != -1 && hw) {
            for (int i = 0; i < 4; i++) {
                long kind = dr7 >>> (16 + 4 * i) & 3;
                long len = switch ((int) (dr7 >>> (18 + 4 * i) & 3)) {
                    case 1 -> 2;
                    case 3 -> 4;
                    case 2 -> 8;
                    default -> 1;
                };
                boolean enabled = (dr7 >>> (2 * i) & 3) != 0;
                long start = d.debugRegister(i);
                if (enabled && (kind == 3 || (kind == 1 && write)) && dataAddress >= start && dataAddress < start + len) {
                    return new StopEvent.Debug(v, new DebugExit(DebugExit.DB_VECTOR, r.get(Register.RIP),
                            0xffff0ff0L | 1L << i, dr7));
                }
            }
        }
        if ((d.control() & GuestDebug.SINGLESTEP) != 0) {
            return new StopEvent.Debug(v, new DebugExit(DebugExit.DB_VECTOR, r.get(Register.RIP),
                    0xffff0ff0L | DebugExit.DR6_SINGLE_STEP, dr7));
        }
        return outcome;
    }
}
