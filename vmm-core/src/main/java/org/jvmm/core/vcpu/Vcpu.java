package org.jvmm.core.vcpu;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.VcpuFd;

/**
 * The run loop of one vCPU on a thread of its own: {@code KVM_RUN}, dispatch the exit, run again,
 * until an exit no device handles (HLT, shutdown, an error) or a stop request. Other threads pause,
 * resume and stop it; each of those kicks the thread out of a blocking {@code KVM_RUN}.
 *
 * <p>A paused vCPU is out of {@code KVM_RUN} with its state consistent: an I/O or MMIO exit it was
 * handling is completed first (one {@code KVM_RUN} with {@code immediate_exit} set, which finishes
 * the instruction and returns before the next one), so its registers read and write as the guest
 * will see them. Code that needs them runs on the vCPU's own thread through {@link #whilePaused}.
 *
 * <p>The loop allocates nothing per exit. A device that throws is a bug, not the guest's doing,
 * but it must not kill the vCPU thread: the access is dropped (a read returns all ones, as an
 * unclaimed address does), counted, and logged with a stack trace for the first few only.
 */
public final class Vcpu implements AutoCloseable {

    private static final int RUNNING = 0;
    private static final int PAUSE_REQUESTED = 1;
    private static final int STOP_REQUESTED = 2;
    /** Device faults logged with their stack trace; after these, one line at each power of two. */
    static final int FAULTS_LOGGED_IN_FULL = 5;

    private final VcpuFd fd;
    private final ExitDispatcher dispatcher;
    private final KickSignal kick;
    private final CompletableFuture<VcpuStop> result = new CompletableFuture<>();
    private final Object pauseLock = new Object();
    private final ConcurrentLinkedQueue<Runnable> pausedTasks = new ConcurrentLinkedQueue<>();
    private volatile int request = RUNNING;
    private volatile boolean paused;
    private volatile long deviceErrors;
    private volatile boolean ended;
    private Thread thread;

    /**
     * Prepares a vCPU to run on its own thread.
     *
     * @param fd         the vCPU, with its registers already set
     * @param dispatcher routes its exits
     */
    public Vcpu(VcpuFd fd, ExitDispatcher dispatcher) {
        this.fd = fd;
        this.dispatcher = dispatcher;
        this.kick = new KickSignal(fd);
    }

    /** {@return the vCPU fd} */
    public VcpuFd fd() {
        return fd;
    }

    /** {@return the dispatcher (and through it the exit accounting)} */
    public ExitDispatcher dispatcher() {
        return dispatcher;
    }

    /** {@return how many kicks reached this vCPU's thread as a signal (tests: a kick from the thread itself sends none)} */
    int kickSignalsSent() {
        return kick.signalsSent();
    }

    /** {@return device exceptions caught on this vCPU's thread (each one a dropped access)} */
    public long deviceErrors() {
        return deviceErrors;
    }

    /**
     * Starts the thread; the guest runs at once.
     *
     * @return this
     */
    public Vcpu start() {
        return start(false);
    }

    /**
     * Starts the thread.
     *
     * @param paused true to hold the vCPU before its first instruction until {@link #resume()}
     * @return this
     */
    public synchronized Vcpu start(boolean paused) {
        if (thread != null) {
            throw new IllegalStateException("vCPU " + fd.id() + " already started");
        }
        if (paused) {
            request = PAUSE_REQUESTED;
        }
        thread = Thread.ofPlatform().name("vcpu-" + fd.id()).daemon(true).start(this::loop);
        return this;
    }

    /**
     * Runs the loop on the calling thread until the vCPU stops (for single-threaded embedders). The
     * thread's signal mask is as before when it returns.
     *
     * @return why it stopped
     */
    public VcpuStop runOnCurrentThread() {
        synchronized (this) {
            if (thread != null) {
                throw new IllegalStateException("vCPU " + fd.id() + " already started");
            }
            thread = Thread.currentThread();
        }
        loop();
        return result.join();
    }

    private void loop() {
        VcpuStop stop;
        try {
            kick.installOnCurrentThread();
            stop = runUntilStopped();
        } catch (KvmException e) {
            stop = VcpuStop.failure(VcpuStop.Cause.RUN_FAILED,
                    e.errno() != 0 ? KvmException.describe(e.errno()) : e.getMessage());
        } catch (RuntimeException | Error e) {
            Log.LOG.log(Level.ERROR, "vCPU " + fd.id() + " thread failed", e);
            stop = VcpuStop.failure(VcpuStop.Cause.THREAD_FAILED, e.toString());
        }
        try {
            kick.uninstall();
        } catch (RuntimeException e) {
            Log.LOG.log(Level.ERROR, "vCPU " + fd.id() + ": restoring the thread's signal mask failed", e);
        }
        ended = true;
        failPendingTasks();
        VcpuMilestones.stopped(this, stop);
        result.complete(stop);
    }

    private VcpuStop runUntilStopped() {
        KvmRun run = fd.kvmRun();
        boolean completionPending = false;
        VcpuMilestones.firstRun(this);
        while (true) {
            int r = request;
            if (r == STOP_REQUESTED) {
                return VcpuStop.requested();
            }
            if (r == PAUSE_REQUESTED) {
                if (completionPending) {
                    completePendingExit();
                    completionPending = false;
                }
                waitWhilePaused();
                continue;
            }
            int action = step(run);
            ExitReason reason = run.exitReason();
            if ((action & ExitDispatcher.HOLD) != 0) {
                // A debugger holds the vCPU at this exit, its instruction not completed (the next
                // KVM_RUN completes it), so registers show the guest at the instruction.
                hold();
                completionPending = false;
                if ((action & ExitDispatcher.STOP) == 0) {
                    continue;
                }
            }
            if ((action & ExitDispatcher.STOP) != 0) {
                return describe(run, reason);
            }
            completionPending = reason == ExitReason.IO || reason == ExitReason.MMIO;
        }
    }

    /**
     * A device threw while handling an exit: a read gets all ones (what an absent device returns),
     * never whatever the previous exit left in {@code kvm_run}; a write is dropped.
     */
    private void dropFaultedAccess(KvmRun run, ExitReason reason, RuntimeException e) {
        long faults = ++deviceErrors;
        if (reason == ExitReason.IO && run.ioDirection() == KvmRun.IO_IN) {
            for (int i = 0; i < run.ioCount(); i++) {
                run.setIoValue(i, Bus.allOnes(run.ioSize()));
            }
        } else if (reason == ExitReason.MMIO && !run.mmioIsWrite()) {
            run.setMmioData(Bus.allOnes(run.mmioLength()));
        }
        String line = "device failed on vCPU " + fd.id() + " exit " + reason + "; access dropped (fault " + faults + ")";
        if (faults <= FAULTS_LOGGED_IN_FULL) {
            Log.LOG.log(Level.WARNING, line, e);
        } else if (Long.bitCount(faults) == 1) {
            Log.LOG.log(Level.WARNING, line + ": " + e + " (stack traces of the first " + FAULTS_LOGGED_IN_FULL
                    + " only; next line at fault " + 2 * faults + ")");
        }
    }

    /** Finishes the instruction of the last I/O or MMIO exit without running the next one. */
    private void completePendingExit() {
        KvmRun run = fd.kvmRun();
        run.setImmediateExit(true);
        fd.run();
        kick.drain();
    }

    /**
     * One exit, all the loop does for it but the pause and stop check: {@code KVM_RUN}, the clock
     * read when this exit is timed, draining a kick, dispatch. Package-private for the benchmark of
     * the Java cost of an exit (vmm-bench), which runs it over a vCPU whose run call is a cheap
     * harmless syscall; the loop above is its only other caller.
     *
     * @param run this vCPU's {@code kvm_run}
     * @return {@link ExitDispatcher#CONTINUE} or {@link ExitDispatcher#STOP}
     */
    int step(KvmRun run) {
        ExitReason reason = fd.run();
        int code = run.exitReasonCode();
        long exitNanos = dispatcher.exitClock(code);
        if (reason == ExitReason.INTR) {
            kick.drain();
        }
        try {
            return dispatcher.dispatch(run, code, exitNanos);
        } catch (RuntimeException e) {
            dropFaultedAccess(run, reason, e);
            return ExitDispatcher.CONTINUE;
        }
    }

    /** Pauses right here, as {@link #requestPause} would, unless a stop is requested. */
    private void hold() {
        synchronized (pauseLock) {
            if (request == RUNNING) {
                request = PAUSE_REQUESTED;
            }
        }
        if (request == PAUSE_REQUESTED) {
            waitWhilePaused();
        }
    }

    private void waitWhilePaused() {
        synchronized (pauseLock) {
            paused = true;
            pauseLock.notifyAll();
            while (request == PAUSE_REQUESTED) {
                Runnable task = pausedTasks.poll();
                if (task != null) {
                    task.run();
                    continue;
                }
                try {
                    pauseLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    request = STOP_REQUESTED;
                }
            }
            runPendingTasks();
            paused = false;
            pauseLock.notifyAll();
        }
    }

    private void runPendingTasks() {
        for (Runnable task = pausedTasks.poll(); task != null; task = pausedTasks.poll()) {
            task.run();
        }
    }

    private void failPendingTasks() {
        for (Runnable task = pausedTasks.poll(); task != null; task = pausedTasks.poll()) {
            task.run(); // with ended set, each task fails its future instead of touching the vCPU
        }
    }

    private VcpuStop describe(KvmRun run, ExitReason reason) {
        String registers = "";
        if (reason != ExitReason.HLT && reason != ExitReason.SYSTEM_EVENT) {
            try {
                registers = fd.getRegisters() + "\n" + fd.getSpecialRegisters();
            } catch (KvmException e) {
                registers = "(registers unavailable: " + e.getMessage() + ")";
            }
        }
        return VcpuStop.exit(reason, run.exitReasonCode(), detail(run, reason), registers);
    }

    /** What KVM says about a stopping exit, from its part of {@code kvm_run}: one line for the user. */
    static String detail(KvmRun run, ExitReason reason) {
        return switch (reason) {
            case INTERNAL_ERROR -> (run.internalSuberror() == 1 ? "emulation failure" : "internal error")
                    + ", suberror " + run.internalSuberror() + ", data " + hex(run.internalData());
            case FAIL_ENTRY -> "hardware entry failure reason 0x" + Long.toHexString(run.failEntryReason())
                    + " on cpu " + run.failEntryCpu();
            case SYSTEM_EVENT -> "type " + run.systemEventType() + " (" + systemEventName(run.systemEventType())
                    + "), data " + hex(run.systemEventData());
            case DEBUG -> "exception " + run.debugException() + " at 0x" + Long.toHexString(run.debugPc())
                    + ", dr6 0x" + Long.toHexString(run.debugDr6()) + ", dr7 0x" + Long.toHexString(run.debugDr7());
            case UNKNOWN -> "hardware exit reason 0x" + Long.toHexString(run.hardwareExitReason());
            case SHUTDOWN -> "triple fault";
            case MEMORY_FAULT -> "KVM could not map guest-physical 0x" + Long.toHexString(run.memoryFaultAddress())
                    + ", size 0x" + Long.toHexString(run.memoryFaultSize()) + ", flags 0x"
                    + Long.toHexString(run.memoryFaultFlags())
                    + ((run.memoryFaultFlags() & MEMORY_FAULT_PRIVATE) != 0 ? " (private memory)" : "");
            default -> "";
        };
    }

    /** KVM_MEMORY_EXIT_FLAG_PRIVATE. */
    private static final long MEMORY_FAULT_PRIVATE = 1L << 3;

    private static String systemEventName(int type) {
        return switch (type) {
            case 1 -> "shutdown";
            case 2 -> "reset";
            case 3 -> "crash";
            default -> "other";
        };
    }

    private static String hex(long[] words) {
        return Arrays.stream(words).mapToObj(w -> "0x" + Long.toHexString(w)).toList().toString();
    }

    /** Asks the loop to stop and kicks it out of KVM_RUN. Returns at once; see {@link #await}. */
    public void stop() {
        request = STOP_REQUESTED;
        synchronized (pauseLock) {
            pauseLock.notifyAll();
        }
        kick.kick();
    }

    /**
     * Asks the loop to pause and kicks it out of KVM_RUN; returns at once. Safe from the vCPU's own
     * thread (an exit listener): the loop pauses before it enters the guest again.
     */
    public void requestPause() {
        synchronized (pauseLock) {
            if (request == RUNNING) {
                request = PAUSE_REQUESTED;
            }
        }
        kick.kick();
    }

    /**
     * Pauses the guest: returns once the thread is out of KVM_RUN and waiting.
     *
     * @param timeoutMillis how long to wait
     * @return true if paused, false if the vCPU stopped or the wait timed out
     */
    public boolean pause(long timeoutMillis) {
        requestPause();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (pauseLock) {
            while (!paused && !result.isDone()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    pauseLock.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return paused;
        }
    }

    /** {@return whether the loop is paused} */
    public boolean isPaused() {
        return paused;
    }

    /** Lets a paused vCPU run again. */
    public void resume() {
        synchronized (pauseLock) {
            if (request == PAUSE_REQUESTED) {
                request = RUNNING;
            }
            pauseLock.notifyAll();
        }
    }

    /**
     * Runs {@code task} on the vCPU's own thread while it is paused (KVM wants a vCPU's ioctls from
     * the thread that runs it), and waits for its result. From the vCPU's own thread it runs at
     * once.
     *
     * @param task          what to do with the vCPU, e.g. read or change its registers
     * @param timeoutMillis how long to wait for the vCPU to take the task
     * @param <T>           the task's result
     * @return what the task returned
     * @throws IllegalStateException if the vCPU is not paused, has stopped, or the task failed
     */
    public <T> T whilePaused(Function<VcpuFd, T> task, long timeoutMillis) {
        synchronized (this) {
            if (thread == Thread.currentThread()) {
                return task.apply(fd);
            }
        }
        if (!paused || ended) {
            throw new IllegalStateException("vCPU " + fd.id() + " is not paused");
        }
        CompletableFuture<T> done = new CompletableFuture<>();
        pausedTasks.add(() -> {
            if (ended) {
                done.completeExceptionally(new IllegalStateException("vCPU " + fd.id() + " stopped"));
                return;
            }
            try {
                done.complete(task.apply(fd));
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        synchronized (pauseLock) {
            pauseLock.notifyAll();
        }
        try {
            return done.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("vCPU " + fd.id() + " did not take the task within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for vCPU " + fd.id());
        }
    }

    /**
     * Waits for the loop to end.
     *
     * @param timeoutMillis how long to wait
     * @return why it stopped
     * @throws TimeoutException if it is still running
     */
    public VcpuStop await(long timeoutMillis) throws TimeoutException {
        try {
            return result.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted while waiting for vCPU " + fd.id());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** {@return the future completed when the loop ends} */
    public CompletableFuture<VcpuStop> result() {
        return result;
    }

    /**
     * Stops the loop, waits for the thread to leave KVM_RUN, then releases the kick resources. The
     * vCPU fd itself belongs to its VM. Harmless before or after the VM is closed, and when repeated.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread() && !result.isDone()) {
            stop();
            try {
                result.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("vCPU " + fd.id() + " did not stop", e);
            }
        }
        kick.close();
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final Logger LOG = System.getLogger(Vcpu.class.getName());
    }
}
