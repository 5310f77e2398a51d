package org.jvmm.devices.thread;

import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A device's host-side daemon thread: it runs one {@link Step} after another until the step says it
 * is done or the thread is closed. The one home of what every such thread needs: its name, daemon
 * status, the end of the loop, the wake-up that gets it out of a wait when it is closed, the count and
 * log of a failure that ends it, and a wait on close that is bounded or, for a thread whose work uses
 * memory about to be released, complete.
 */
public final class DeviceThread implements AutoCloseable {

    /** How often a close that waits for the thread to finish says it is still waiting. */
    private static final Duration WAIT_REPORT = Duration.ofSeconds(5);

    /** One round of the thread's work. */
    @FunctionalInterface
    public interface Step {
        /**
         * Does one round: waits for work, does it.
         *
         * @return false when there is nothing more to do (end of input): the thread ends
         * @throws Exception a failure that ends the thread (logged and counted); an interruption while
         *                   the thread is being closed ends it quietly
         */
        boolean run() throws Exception;
    }

    private final Thread thread;
    private final Consumer<Thread> wake;
    private final Duration patience;
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean stopping;

    private DeviceThread(String name, Step step, Consumer<Thread> wake, Duration patience) {
        this.wake = Objects.requireNonNull(wake, "wake");
        this.patience = patience;
        Objects.requireNonNull(step, "step");
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(() -> loop(step));
        // An Error ends the thread, and with it the device's host side: count it.
        thread.setUncaughtExceptionHandler((t, e) -> {
            failures.incrementAndGet();
            Log.LOG.log(Level.ERROR, t.getName() + " died", e);
        });
    }

    /**
     * Starts a thread.
     *
     * @param name     the thread's name, e.g. "serial-input"
     * @param step     one round of its work
     * @param wake     how {@link #close} gets it out of a wait (unpark it, signal its eventfd, interrupt it)
     * @param patience how long {@link #close} waits for it to end; null to wait until it does (its work
     *                 uses what the caller releases next)
     * @return the running thread
     */
    public static DeviceThread start(String name, Step step, Consumer<Thread> wake, Duration patience) {
        return create(name, step, wake, patience).start();
    }

    /**
     * A thread not started yet, for a step that asks its own thread whether it is {@link #stopping}.
     *
     * @param name     the thread's name
     * @param step     one round of its work
     * @param wake     how {@link #close} gets it out of a wait
     * @param patience how long {@link #close} waits for it to end; null to wait until it does
     * @return the thread, to {@link #start()}
     */
    public static DeviceThread create(String name, Step step, Consumer<Thread> wake, Duration patience) {
        return new DeviceThread(name, step, wake, patience);
    }

    /**
     * Starts the thread.
     *
     * @return this
     */
    public DeviceThread start() {
        thread.start();
        return this;
    }

    private void loop(Step step) {
        try {
            while (!stopping && step.run()) {
                // the step waits for its own work
            }
        } catch (InterruptedException | InterruptedIOException e) {
            if (!stopping) {
                failures.incrementAndGet();
                Log.LOG.log(Level.WARNING, thread.getName() + " was interrupted and stopped: " + e);
            }
        } catch (Exception e) {
            if (!stopping) {
                failures.incrementAndGet();
                Log.LOG.log(Level.WARNING, thread.getName() + " failed and stopped: " + e);
            }
        }
    }

    /** {@return whether {@link #close} was called: a step that loops on its own checks this} */
    public boolean stopping() {
        return stopping;
    }

    /** {@return whether the thread still runs} */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /**
     * Waits for the thread to end.
     *
     * @param timeout how long at most
     * @return true if it has ended
     * @throws InterruptedException if the caller is interrupted
     */
    public boolean join(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }

    /** {@return failures that ended the thread (0 or 1), for the host-fault count} */
    public long failures() {
        return failures.get();
    }

    /**
     * Stops the thread: asks it to stop, wakes it, and waits as long as its patience says (a thread
     * still blocked in a read of the host's stdin is left behind, a daemon; one with unbounded
     * patience is waited for however long it takes, with a warning every few seconds).
     */
    @Override
    public void close() {
        stopping = true;
        if (!thread.isAlive() || thread == Thread.currentThread()) {
            return;
        }
        wake.accept(thread);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (patience != null) {
                        if (!thread.join(patience)) {
                            Log.LOG.log(Level.DEBUG, thread.getName() + " did not stop within " + patience + "; left behind");
                        }
                        return;
                    }
                    if (thread.join(WAIT_REPORT)) {
                        return;
                    }
                    Log.LOG.log(Level.WARNING, "still waiting for " + thread.getName() + " to finish its work");
                } catch (InterruptedException e) {
                    interrupted = true; // what the thread uses must not be released under it: keep waiting
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final Logger LOG = System.getLogger(DeviceThread.class.getName());
    }
}
