package org.jvmm.core.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jvmm.core.kvm.abi.KvmIoctls;
import org.jvmm.core.kvm.abi.KvmLayouts;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Errno;
import org.jvmm.core.sys.Libc;
import org.jvmm.core.sys.Mmap;

/**
 * A vCPU: its fd, its mapped {@code kvm_run}, and its register state. {@link #run()} is the hot
 * call: one {@code KVM_RUN} ioctl, no allocation, the exit described by {@link #kvmRun()}. Only one
 * thread runs a vCPU at a time; other threads may set {@code immediate_exit} through
 * {@link #kvmRun()} to make it return.
 */
public final class VcpuFd implements AutoCloseable {

    /** The guest-debug control bit that enables debugging (KVM_GUESTDBG_ENABLE). */
    public static final int GUESTDBG_ENABLE = 0x1;
    /** Single-step after each instruction (KVM_GUESTDBG_SINGLESTEP). */
    public static final int GUESTDBG_SINGLESTEP = 0x2;
    /** Use the hardware breakpoints in the debug registers (KVM_GUESTDBG_USE_HW_BP). */
    public static final int GUESTDBG_USE_HW_BP = 0x20000;

    private static final long MSRS_COUNT = KvmLayouts.offset(KvmLayouts.MSRS, "nmsrs");
    private static final long MSR_INDEX = KvmLayouts.offset(KvmLayouts.MSR_ENTRY, "index");
    private static final long MSR_DATA = KvmLayouts.offset(KvmLayouts.MSR_ENTRY, "data");
    private static final long MP_STATE = KvmLayouts.offset(KvmLayouts.MP_STATE, "mp_state");
    private static final long DEBUG_CONTROL = KvmLayouts.offset(KvmLayouts.GUEST_DEBUG, "control");
    private static final long DEBUG_REGISTERS = KvmLayouts.offset(KvmLayouts.GUEST_DEBUG, "arch", "debugreg");
    private static final long EXCEPTION_INJECTED = KvmLayouts.offset(KvmLayouts.VCPU_EVENTS, "exception", "injected");
    private static final long EXCEPTION_NR = KvmLayouts.offset(KvmLayouts.VCPU_EVENTS, "exception", "nr");
    private static final long EXCEPTION_HAS_ERROR_CODE = KvmLayouts.offset(KvmLayouts.VCPU_EVENTS, "exception", "has_error_code");
    private static final long EXCEPTION_PENDING = KvmLayouts.offset(KvmLayouts.VCPU_EVENTS, "exception", "pending");
    private static final long EXCEPTION_ERROR_CODE = KvmLayouts.offset(KvmLayouts.VCPU_EVENTS, "exception", "error_code");
    private static final long EVENTS_FLAGS = KvmLayouts.offset(KvmLayouts.VCPU_EVENTS, "flags");
    private static final long INTERRUPT_IRQ = KvmLayouts.offset(KvmLayouts.INTERRUPT, "irq");
    private static final long TRANSLATION_LINEAR = KvmLayouts.offset(KvmLayouts.TRANSLATION, "linear_address");
    private static final long TRANSLATION_PHYSICAL = KvmLayouts.offset(KvmLayouts.TRANSLATION, "physical_address");
    private static final long TRANSLATION_VALID = KvmLayouts.offset(KvmLayouts.TRANSLATION, "valid");
    private static final long TRANSLATION_WRITEABLE = KvmLayouts.offset(KvmLayouts.TRANSLATION, "writeable");
    private static final long TRANSLATION_USERMODE = KvmLayouts.offset(KvmLayouts.TRANSLATION, "usermode");

    private final VmFd vm;
    private final int id;
    private final OwnedFd fd;
    private final Arena arena = Arena.ofShared();
    private final KvmRun run;
    /** KVM_RUN, except on a vCPU made by {@link #synthetic}. */
    private final RunCall runCall;
    /**
     * Whether the next KVM_RUN captures errno: after a failed one, and until the call without
     * capture is linked ({@link #run()}). Only the thread running the vCPU touches it after
     * construction.
     */
    private boolean captureErrno;
    private final MemorySegment interruptArg = arena.allocate(KvmLayouts.INTERRUPT);

    VcpuFd(VmFd vm, int id, OwnedFd fd, int mmapSize) {
        this.vm = vm;
        this.id = id;
        this.fd = fd;
        this.runCall = RunCall.KvmRunIoctl.INSTANCE;
        this.captureErrno = !runCall.ready();
        try {
            this.run = new KvmRun(Mmap.shared(arena, fd.get(), mmapSize, "mmap kvm_run"));
        } catch (RuntimeException e) {
            arena.close();
            fd.close();
            throw e;
        }
    }

    private VcpuFd(int fd, RunCall runCall, MemorySegment runPage) {
        this.vm = null;
        this.id = 0;
        this.fd = new OwnedFd(fd);
        this.runCall = runCall;
        this.captureErrno = !runCall.ready();
        this.run = new KvmRun(runPage);
    }

    /**
     * A vCPU without KVM whose {@link #run()} makes {@code runCall} on {@code fd} instead of
     * {@code KVM_RUN}, through the very same code, and reads the exit from {@code runPage}, which
     * the caller fills: the seam of the benchmark that measures the Java cost of an exit on a host
     * without {@code /dev/kvm}. Package-private: nothing but that benchmark needs it, and only
     * {@link #run()}, {@link #kvmRun()}, {@link #fd()}, {@link #id()} and {@link #close()} work on it.
     *
     * @param fd      an open fd, owned (closed) by the vCPU from now on
     * @param runCall the stand-in for {@code KVM_RUN}
     * @param runPage the {@code kvm_run} image
     * @return the vCPU
     */
    static VcpuFd synthetic(int fd, RunCall runCall, MemorySegment runPage) {
        return new VcpuFd(fd, runCall, runPage);
    }

    /** {@return the vCPU id} */
    public int id() {
        return id;
    }

    /** {@return the VM this vCPU belongs to} */
    public VmFd vm() {
        return vm;
    }

    /** {@return the raw fd} */
    public int fd() {
        return fd.get();
    }

    /** {@return the view of the mapped {@code kvm_run}} */
    public KvmRun kvmRun() {
        return run;
    }

    /**
     * {@code KVM_RUN}: runs the guest until it needs the VMM. Blocks, possibly for long (a guest in
     * a loop without exits runs until kicked).
     *
     * <p>The call captures no errno: under C1, the JIT the launcher runs with, a capturing downcall
     * allocates on every call and costs microseconds per exit in nested KVM. A failure is therefore
     * taken for what it nearly always is, an interruption (a kick, another signal, KVM's EAGAIN),
     * and returned as {@link ExitReason#INTR}, as every interruption always was. The call after a
     * failed one captures errno: if it fails too, with anything but EINTR or EAGAIN, it throws. A
     * failure that persists (say EFAULT) is thus one INTR exit, then the exception with KVM's errno.
     * Calls capture errno too until the downcall without capture is linked, which
     * {@link Kvm#open()} starts in the background: no vCPU waits for it.
     *
     * @return why it returned; {@link ExitReason#INTR} when the call was interrupted (or failed for
     *         the first time), and then {@link #kvmRun()} says INTR too, never the stale previous
     *         exit
     * @throws KvmException when a call that follows a failed one fails for another reason than
     *                      EINTR or EAGAIN
     */
    public ExitReason run() {
        if (captureErrno) {
            return runCapturingErrno();
        }
        if (runCall.run(fd.get()) == -1) {
            captureErrno = true;
            return interrupted();
        }
        return run.exitReason();
    }

    private ExitReason runCapturingErrno() {
        CallState state = CallState.current();
        if (runCall.runCapturingErrno(state, fd.get()) == -1) {
            int errno = state.errno();
            if (errno == Errno.EINTR || errno == Errno.EAGAIN) {
                return interrupted();
            }
            throw new KvmException("KVM_RUN", errno);
        }
        captureErrno = !runCall.ready();
        return run.exitReason();
    }

    private ExitReason interrupted() {
        // With immediate_exit set, KVM returns EINTR before entering the guest and leaves
        // exit_reason as the previous exit wrote it: kvm_run would still describe, say, a port
        // write, and whoever decodes the page would handle that write again.
        run.setExitReason(ExitReason.INTR.code());
        return ExitReason.INTR;
    }

    /**
     * {@code KVM_INTERRUPT}: queues an external interrupt for the next entry, for a VM without the
     * in-kernel irqchip (with one, devices raise irq lines or irqfds instead). KVM's protocol:
     * inject only when {@link KvmRun#readyForInterruptInjection()} says so after an exit;
     * otherwise ask for {@link KvmRun#setRequestInterruptWindow} first and inject at the
     * IRQ_WINDOW_OPEN exit. Allocates nothing.
     *
     * @param vector the interrupt vector, 0 to 255
     * @throws KvmException if KVM refuses: ENXIO when the VM has the in-kernel irqchip
     */
    public void interrupt(int vector) {
        if (vector < 0 || vector > 255) {
            throw new IllegalArgumentException("interrupt vector " + vector + " is not 0 to 255");
        }
        CallState state = CallState.current();
        synchronized (interruptArg) {
            interruptArg.set(ValueLayout.JAVA_INT, INTERRUPT_IRQ, vector);
            state.check(Libc.ioctl(state, fd.get(), KvmIoctls.INTERRUPT, interruptArg), "KVM_INTERRUPT");
        }
    }

    private void ioctl(long request, MemorySegment arg, String name) {
        CallState state = CallState.current();
        state.check(Libc.ioctl(state, fd.get(), request, arg), name);
    }

    /** {@return a copy of the general-purpose registers (KVM_GET_REGS)} */
    public Registers getRegisters() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment regs = call.allocate(KvmLayouts.REGS);
            ioctl(KvmIoctls.GET_REGS, regs, "KVM_GET_REGS");
            return Registers.decode(regs);
        }
    }

    /**
     * KVM_SET_REGS.
     *
     * @param registers the new values
     */
    public void setRegisters(Registers registers) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment regs = call.allocate(KvmLayouts.REGS);
            registers.encode(regs);
            ioctl(KvmIoctls.SET_REGS, regs, "KVM_SET_REGS");
        }
    }

    /** {@return a copy of the special registers (KVM_GET_SREGS)} */
    public SpecialRegisters getSpecialRegisters() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment sregs = call.allocate(KvmLayouts.SREGS);
            ioctl(KvmIoctls.GET_SREGS, sregs, "KVM_GET_SREGS");
            return SpecialRegisters.decode(sregs);
        }
    }

    /**
     * KVM_SET_SREGS.
     *
     * @param registers the new values
     */
    public void setSpecialRegisters(SpecialRegisters registers) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment sregs = call.allocate(KvmLayouts.SREGS);
            registers.encode(sregs);
            ioctl(KvmIoctls.SET_SREGS, sregs, "KVM_SET_SREGS");
        }
    }

    /** {@return the raw {@code struct kvm_fpu} (KVM_GET_FPU)} */
    public byte[] getFpu() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment fpu = call.allocate(KvmLayouts.FPU);
            ioctl(KvmIoctls.GET_FPU, fpu, "KVM_GET_FPU");
            return fpu.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * KVM_SET_FPU with the power-on control words (FCW 0x37f, MXCSR 0x1f80), as a BIOS leaves them.
     */
    public void resetFpu() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment fpu = call.allocate(KvmLayouts.FPU);
            fpu.set(ValueLayout.JAVA_SHORT, KvmLayouts.FPU.byteOffset(
                    java.lang.foreign.MemoryLayout.PathElement.groupElement("fcw")), (short) 0x37f);
            fpu.set(ValueLayout.JAVA_INT, KvmLayouts.FPU.byteOffset(
                    java.lang.foreign.MemoryLayout.PathElement.groupElement("mxcsr")), 0x1f80);
            ioctl(KvmIoctls.SET_FPU, fpu, "KVM_SET_FPU");
        }
    }

    /**
     * KVM_GET_MSRS for one MSR.
     *
     * @param index the MSR
     * @return its value
     * @throws KvmException if KVM does not know the MSR
     */
    public long getMsr(int index) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment msrs = call.allocate(KvmLayouts.MSRS.byteSize() + KvmLayouts.MSR_ENTRY.byteSize(), 8);
            msrs.set(ValueLayout.JAVA_INT, MSRS_COUNT, 1);
            msrs.set(ValueLayout.JAVA_INT, KvmLayouts.MSRS.byteSize() + MSR_INDEX, index);
            CallState state = CallState.current();
            int n = state.check(Libc.ioctl(state, fd.get(), KvmIoctls.GET_MSRS, msrs), "KVM_GET_MSRS");
            if (n != 1) {
                throw new KvmException("KVM_GET_MSRS", "MSR 0x" + Integer.toHexString(index) + " is not supported");
            }
            return msrs.get(ValueLayout.JAVA_LONG, KvmLayouts.MSRS.byteSize() + MSR_DATA);
        }
    }

    /**
     * KVM_SET_MSRS.
     *
     * @param indices the MSRs
     * @param values  their values, same length
     * @throws KvmException if KVM refuses one (naming how many it took)
     */
    public void setMsrs(int[] indices, long[] values) {
        if (indices.length != values.length) {
            throw new IllegalArgumentException("indices and values differ in length");
        }
        try (Arena call = Arena.ofConfined()) {
            long entry = KvmLayouts.MSR_ENTRY.byteSize();
            MemorySegment msrs = call.allocate(KvmLayouts.MSRS.byteSize() + entry * indices.length, 8);
            msrs.set(ValueLayout.JAVA_INT, MSRS_COUNT, indices.length);
            for (int i = 0; i < indices.length; i++) {
                msrs.set(ValueLayout.JAVA_INT, KvmLayouts.MSRS.byteSize() + i * entry + MSR_INDEX, indices[i]);
                msrs.set(ValueLayout.JAVA_LONG, KvmLayouts.MSRS.byteSize() + i * entry + MSR_DATA, values[i]);
            }
            CallState state = CallState.current();
            int n = state.check(Libc.ioctl(state, fd.get(), KvmIoctls.SET_MSRS, msrs), "KVM_SET_MSRS");
            if (n != indices.length) {
                throw new KvmException("KVM_SET_MSRS", "KVM refused MSR 0x" + Integer.toHexString(indices[n]));
            }
        }
    }

    /**
     * KVM_SET_CPUID2. Call before the guest runs (and before it sets EFER.LME itself).
     *
     * @param cpuid the leaves
     */
    public void setCpuid(Cpuid cpuid) {
        try (Arena call = Arena.ofConfined()) {
            ioctl(KvmIoctls.SET_CPUID2, cpuid.encode(call), "KVM_SET_CPUID2");
        }
    }

    /** {@return the 1024-byte LAPIC register page (KVM_GET_LAPIC)} */
    public byte[] getLapic() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment lapic = call.allocate(KvmLayouts.LAPIC_STATE);
            ioctl(KvmIoctls.GET_LAPIC, lapic, "KVM_GET_LAPIC");
            return lapic.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * KVM_SET_LAPIC.
     *
     * @param registers the 1024-byte register page
     */
    public void setLapic(byte[] registers) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment lapic = call.allocate(KvmLayouts.LAPIC_STATE);
            MemorySegment.copy(registers, 0, lapic, ValueLayout.JAVA_BYTE, 0, Math.min(registers.length, (int) KvmLayouts.LAPIC_STATE.byteSize()));
            ioctl(KvmIoctls.SET_LAPIC, lapic, "KVM_SET_LAPIC");
        }
    }

    /** {@return the multiprocessing state (KVM_GET_MP_STATE; 0 runnable, 1 uninitialized, 2 init received, 3 halted)} */
    public int getMpState() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(KvmLayouts.MP_STATE);
            ioctl(KvmIoctls.GET_MP_STATE, state, "KVM_GET_MP_STATE");
            return state.get(ValueLayout.JAVA_INT, MP_STATE);
        }
    }

    /**
     * KVM_SET_MP_STATE.
     *
     * @param mpState the state
     */
    public void setMpState(int mpState) {
        try (Arena call = Arena.ofConfined()) {
            ioctl(KvmIoctls.SET_MP_STATE, call.allocateFrom(ValueLayout.JAVA_INT, mpState), "KVM_SET_MP_STATE");
        }
    }

    /**
     * KVM_SET_GUEST_DEBUG.
     *
     * @param control        GUESTDBG_* bits, 0 to switch debugging off
     * @param debugRegisters DR0-DR7 (8 values) for hardware breakpoints, or null
     */
    public void setGuestDebug(int control, long[] debugRegisters) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment debug = call.allocate(KvmLayouts.GUEST_DEBUG);
            debug.set(ValueLayout.JAVA_INT, DEBUG_CONTROL, control);
            if (debugRegisters != null) {
                for (int i = 0; i < Math.min(8, debugRegisters.length); i++) {
                    debug.set(ValueLayout.JAVA_LONG, DEBUG_REGISTERS + 8L * i, debugRegisters[i]);
                }
            }
            ioctl(KvmIoctls.SET_GUEST_DEBUG, debug, "KVM_SET_GUEST_DEBUG");
        }
    }

    /**
     * KVM_SET_GUEST_DEBUG with a typed state.
     *
     * @param debug the flags and debug-register slots; {@link GuestDebug#OFF} ends host debugging
     */
    public void setGuestDebug(GuestDebug debug) {
        setGuestDebug(debug.control(), debug.debugRegisters());
    }

    /**
     * KVM_TRANSLATE: where a linear address of this vCPU lands, walked by KVM with the vCPU's
     * current paging mode. Reads guest state only; sets no accessed or dirty bits.
     *
     * @param linearAddress the guest linear (virtual) address
     * @return the translation; not valid when the address is unmapped
     * @throws KvmException if KVM lacks the ioctl (then walk the tables with
     *         {@code org.jvmm.core.arch.PageWalker})
     */
    public Translation translate(long linearAddress) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment tr = call.allocate(KvmLayouts.TRANSLATION);
            tr.set(ValueLayout.JAVA_LONG, TRANSLATION_LINEAR, linearAddress);
            ioctl(KvmIoctls.TRANSLATE, tr, "KVM_TRANSLATE");
            return new Translation(linearAddress, tr.get(ValueLayout.JAVA_LONG, TRANSLATION_PHYSICAL),
                    tr.get(ValueLayout.JAVA_BYTE, TRANSLATION_VALID) != 0,
                    tr.get(ValueLayout.JAVA_BYTE, TRANSLATION_WRITEABLE) != 0,
                    tr.get(ValueLayout.JAVA_BYTE, TRANSLATION_USERMODE) != 0);
        }
    }

    /**
     * Makes the guest take an exception on its next entry (KVM_GET/SET_VCPU_EVENTS), e.g. a #BP
     * that the host emulator could not raise itself.
     *
     * @param vector        the exception vector
     * @param errorCode     the error code, or null when the exception has none
     */
    public void injectException(int vector, Integer errorCode) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment events = call.allocate(KvmLayouts.VCPU_EVENTS);
            ioctl(KvmIoctls.GET_VCPU_EVENTS, events, "KVM_GET_VCPU_EVENTS");
            events.set(ValueLayout.JAVA_BYTE, EXCEPTION_INJECTED, (byte) 1);
            events.set(ValueLayout.JAVA_BYTE, EXCEPTION_NR, (byte) vector);
            events.set(ValueLayout.JAVA_BYTE, EXCEPTION_HAS_ERROR_CODE, (byte) (errorCode != null ? 1 : 0));
            events.set(ValueLayout.JAVA_BYTE, EXCEPTION_PENDING, (byte) 0);
            events.set(ValueLayout.JAVA_INT, EXCEPTION_ERROR_CODE, errorCode != null ? errorCode : 0);
            events.set(ValueLayout.JAVA_INT, EVENTS_FLAGS, 0); // flags: touch nothing else
            ioctl(KvmIoctls.SET_VCPU_EVENTS, events, "KVM_SET_VCPU_EVENTS");
        }
    }

    /** {@return KVM's counters for this vCPU (KVM_GET_STATS_FD)} */
    public BinaryStats openStats() {
        CallState state = CallState.current();
        int statsFd = state.check(Libc.ioctl(state, fd.get(), KvmIoctls.GET_STATS_FD, 0L), "KVM_GET_STATS_FD");
        return new BinaryStats(new OwnedFd(statsFd));
    }

    /** {@return whether the fd is open and {@code kvm_run} mapped: false once this vCPU or its VM was closed} */
    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Unmaps {@code kvm_run} and closes the fd. Calling it again does nothing. */
    @Override
    public void close() {
        if (fd.isOpen()) {
            fd.close();
            arena.close();
        }
    }
}
