package org.jvmm.core.vcpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * Interrupts a vCPU thread blocked in {@code KVM_RUN}, the way QEMU and Firecracker do: a kick
 * sets {@code immediate_exit} (for the race where the thread is not yet inside {@code KVM_RUN})
 * and sends {@link #SIGNAL} with {@code tgkill}. The signal is unblocked on the vCPU thread and
 * has a handler that does nothing, so {@code KVM_RUN} returns EINTR and the handler runs on the
 * way out of the system call; a kick that lands while the thread runs Java code runs the handler
 * there and leaves {@code immediate_exit} for the next entry.
 *
 * <p>The handler is native code, never Java: the signal can land in the middle of any Java
 * method, where no upcall may enter the JVM. It is libc's {@code abs(3)}, a pure function of its
 * int argument (the signal number) that touches no memory and no errno: the empty handler a C VMM
 * writes, without a C shim. It is installed on the first kick from another thread (a kick from the
 * vCPU's own thread needs no signal, see {@link #kick}), with SA_RESTART so that other
 * system calls the signal interrupts (file I/O of a device on the vCPU thread) carry on; KVM_RUN's
 * EINTR is never restarted.
 *
 * <p>Why not {@code KVM_SET_SIGNAL_MASK} with the signal blocked outside the guest, which needs no
 * handler: KVM then swaps the thread's signal mask on every entry and exit, two
 * {@code rt_sigprocmask}s under the signal lock, about 130 ns of every exit on a PVM host
 * (docs/performance.md, "The kick signal").
 *
 * <p>The signal is SIGRTMIN+6 (40 with glibc): HotSpot uses SIGUSR2, and glibc reserves 32 and 33.
 */
final class KickSignal {
    static final int SIGNAL = 40;
    private static final long SIGNAL_BIT = 1L << (SIGNAL - 1);
    private static final Object HANDLER_LOCK = new Object();
    private static boolean handlerInstalled;

    private final VcpuFd vcpu;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment set = arena.allocate(Libc.SIGSET_SIZE, 8);
    private final CallState kickerState = new CallState(arena);
    private final Object lock = new Object();
    private int tid = -1;
    /** The thread whose kernel id is {@link #tid}: a kick from it sends no signal. */
    private Thread thread;
    private int signalsSent;
    private final int pid = Libc.getpid();
    /** Whether the signal was blocked on the thread before {@link #installOnCurrentThread}: uninstall blocks it again. */
    private boolean blockOnUninstall;

    KickSignal(VcpuFd vcpu) {
        this.vcpu = vcpu;
        Libc.sigaddset(set, SIGNAL);
    }

    /** On the vCPU thread, before its first KVM_RUN: the signal must reach it (a thread may inherit it blocked). */
    void installOnCurrentThread() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment previous = call.allocate(Libc.SIGSET_SIZE, 8);
            int error = Libc.pthreadSigmask(Libc.SIG_UNBLOCK, set, previous);
            if (error != 0) {
                throw new IllegalStateException("pthread_sigmask failed: " + Libc.strerror(error));
            }
            blockOnUninstall = (previous.get(ValueLayout.JAVA_LONG, 0) & SIGNAL_BIT) != 0;
        }
        synchronized (lock) {
            tid = Libc.gettid();
            thread = Thread.currentThread();
        }
    }

    /**
     * On the vCPU thread, when its loop ends: no kick may reach a thread id that could be reused,
     * and a thread that goes on (one that ran the loop itself) gets its signal mask back. A kick
     * already sent is harmless wherever it lands: the handler does nothing.
     */
    void uninstall() {
        synchronized (lock) {
            tid = -1;
            thread = null;
        }
        drain();
        if (blockOnUninstall) {
            blockOnUninstall = false;
            int error = Libc.pthreadSigmask(Libc.SIG_BLOCK, set, MemorySegment.NULL);
            if (error != 0) {
                throw new IllegalStateException("pthread_sigmask failed: " + Libc.strerror(error));
            }
        }
    }

    /**
     * From any thread: make KVM_RUN return now, or at once if it is not running yet. From the vCPU's
     * own thread (a device or an exit listener that stops or pauses it, as a guest's debug exit
     * stops its machine) the thread is between two KVM_RUNs, so {@code immediate_exit} is all it
     * takes: no signal, and no handler installed for it, which would link a {@code sigaction}
     * downcall of its own, memory and milliseconds for every guest that stops itself
     * (docs/performance.md, "What the VMM itself weighs").
     */
    void kick() {
        synchronized (lock) {
            if (!vcpu.isOpen() || !arena.scope().isAlive()) {
                return; // closed (by the Vcpu or its VM): nothing runs any more, kvm_run may be unmapped
            }
            vcpu.kvmRun().setImmediateExit(true);
            if (tid > 0 && thread != Thread.currentThread()) {
                installHandler();
                Libc.tgkill(kickerState, pid, tid, SIGNAL);
                signalsSent++;
            }
        }
    }

    /** {@return how many kicks sent the signal, for tests: a kick from the vCPU's own thread sends none} */
    int signalsSent() {
        synchronized (lock) {
            return signalsSent;
        }
    }

    /** On the vCPU thread after EINTR: the handler has taken the signal; clear immediate_exit. */
    void drain() {
        vcpu.kvmRun().setImmediateExit(false);
    }

    void close() {
        synchronized (lock) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    /**
     * Installs the no-op handler once per process, before the first signal is sent (unhandled, a
     * real-time signal ends the process). Refuses a signal some other code of the process handles.
     */
    private static void installHandler() {
        synchronized (HANDLER_LOCK) {
            if (handlerInstalled) {
                return;
            }
            MemorySegment handler = Libc.function("abs");
            long current = Libc.sigaction(SIGNAL, MemorySegment.NULL, 0);
            if (current != 0 && current != handler.address()) {
                throw new IllegalStateException("signal " + SIGNAL + " already has a handler in this process;"
                        + " jvmm kicks vCPUs with it");
            }
            Libc.sigaction(SIGNAL, handler, Libc.SA_RESTART);
            handlerInstalled = true;
        }
    }
}
