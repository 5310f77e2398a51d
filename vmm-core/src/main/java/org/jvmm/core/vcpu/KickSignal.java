package org.jvmm.core.vcpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * Interrupts a vCPU thread blocked in {@code KVM_RUN} without a signal handler and without running
 * Java in one. The vCPU thread keeps {@link #SIGNAL} blocked; {@code KVM_SET_SIGNAL_MASK} unblocks
 * it only while the guest runs. A kick sets {@code immediate_exit} (for the race where the thread
 * is not yet inside {@code KVM_RUN}) and sends the signal with {@code tgkill}: {@code KVM_RUN}
 * returns EINTR, the signal stays pending under the thread's own mask, and {@link #drain()} takes
 * it with {@code sigtimedwait}.
 *
 * <p>The signal is SIGRTMIN+6 (40 with glibc): HotSpot uses SIGUSR2, and glibc reserves 32 and 33.
 */
final class KickSignal {
    static final int SIGNAL = 40;

    private final VcpuFd vcpu;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment set = arena.allocate(Libc.SIGSET_SIZE, 8);
    private final MemorySegment zeroTimeout = arena.allocate(16, 8);
    private final CallState kickerState = new CallState(arena);
    private final Object lock = new Object();
    private int tid = -1;
    private final int pid = Libc.getpid();
    /** Whether the signal was unblocked on the thread before {@link #installOnCurrentThread}: uninstall unblocks it again. */
    private boolean unblockOnUninstall;

    KickSignal(VcpuFd vcpu) {
        this.vcpu = vcpu;
        Libc.sigaddset(set, SIGNAL);
    }

    /** On the vCPU thread, before its first KVM_RUN: block the signal except inside KVM_RUN. */
    void installOnCurrentThread() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment previous = call.allocate(Libc.SIGSET_SIZE, 8);
            int error = Libc.pthreadSigmask(Libc.SIG_BLOCK, set, previous);
            if (error != 0) {
                throw new IllegalStateException("pthread_sigmask failed: " + Libc.strerror(error));
            }
            long previousMask = previous.get(ValueLayout.JAVA_LONG, 0);
            unblockOnUninstall = (previousMask & (1L << (SIGNAL - 1))) == 0;
            vcpu.setSignalMask(previousMask & ~(1L << (SIGNAL - 1)));
        }
        synchronized (lock) {
            tid = Libc.gettid();
        }
    }

    /**
     * On the vCPU thread, when its loop ends: no kick may reach a thread id that could be reused, and
     * a thread that goes on (one that ran the loop itself) gets its signal mask back. Kicks already
     * sent are pending by then and drained first: unblocked, the signal's default action would end
     * the process.
     */
    void uninstall() {
        synchronized (lock) {
            tid = -1;
        }
        drain();
        if (unblockOnUninstall) {
            unblockOnUninstall = false;
            int error = Libc.pthreadSigmask(Libc.SIG_UNBLOCK, set, MemorySegment.NULL);
            if (error != 0) {
                throw new IllegalStateException("pthread_sigmask failed: " + Libc.strerror(error));
            }
        }
    }

    /** From any thread: make KVM_RUN return now, or at once if it is not running yet. */
    void kick() {
        synchronized (lock) {
            if (!vcpu.isOpen() || !arena.scope().isAlive()) {
                return; // closed (by the Vcpu or its VM): nothing runs any more, kvm_run may be unmapped
            }
            vcpu.kvmRun().setImmediateExit(true);
            if (tid > 0) {
                Libc.tgkill(kickerState, pid, tid, SIGNAL);
            }
        }
    }

    /** On the vCPU thread after EINTR: take pending kicks and clear immediate_exit. */
    void drain() {
        vcpu.kvmRun().setImmediateExit(false);
        CallState state = CallState.current();
        while (Libc.sigtimedwait(state, set, zeroTimeout) == SIGNAL) {
            // one pending instance per loop; real-time signals queue
        }
    }

    void close() {
        synchronized (lock) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }
}
