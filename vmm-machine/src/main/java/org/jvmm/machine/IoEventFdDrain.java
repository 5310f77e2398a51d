package org.jvmm.machine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.jvmm.core.kvm.EventFd;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;

/**
 * The thread that serves one virtqueue's ioeventfd: KVM absorbs the guest's QueueNotify write and
 * signals the eventfd; this thread wakes and lets the transport process the queue, off the vCPU
 * thread. Closing it wakes and joins the thread, so nothing it uses is released under it.
 */
final class IoEventFdDrain implements AutoCloseable {
    private static final Logger LOG = System.getLogger(IoEventFdDrain.class.getName());
    /** How long close waits before it says so; it keeps waiting (see {@link #close}). */
    private static final Duration JOIN_WARNING = Duration.ofSeconds(5);

    private final EventFd eventFd;
    private final Thread thread;
    private volatile boolean stopping;

    private IoEventFdDrain(String name, EventFd eventFd, VirtioMmioTransport transport, int queue, AtomicLong faults) {
        this.eventFd = eventFd;
        this.thread = Thread.ofPlatform().daemon(true).name(name + "-q" + queue).unstarted(() -> {
            while (!stopping) {
                if (eventFd.await() > 0 && !stopping) {
                    try {
                        transport.notifyQueue(queue);
                    } catch (RuntimeException e) {
                        faults.incrementAndGet();
                        LOG.log(Level.WARNING, name + " queue " + queue + " failed; notify dropped", e);
                    }
                }
            }
        });
        // An Error ends the thread, and with it the queue's notifications: count it as a fault.
        thread.setUncaughtExceptionHandler((t, e) -> {
            faults.incrementAndGet();
            LOG.log(Level.ERROR, t.getName() + " died; " + name + " queue " + queue + " hears no more notifies", e);
        });
    }

    /**
     * A drain, not yet started.
     *
     * @param name      the device's name, for the thread and messages
     * @param eventFd   the queue's ioeventfd
     * @param transport the device's transport
     * @param queue     the queue index
     * @param faults    where its failures are counted
     * @return the drain
     */
    static IoEventFdDrain create(String name, EventFd eventFd, VirtioMmioTransport transport, int queue,
                                 AtomicLong faults) {
        return new IoEventFdDrain(name, eventFd, transport, queue, faults);
    }

    void start() {
        thread.start();
    }

    /**
     * Stops and joins the thread. A request being processed is finished first (devices bound the work
     * of one request), so this waits for it however long it takes, saying so every few seconds.
     */
    @Override
    public void close() {
        stopping = true;
        if (!thread.isAlive()) {
            return;
        }
        eventFd.signal();
        boolean interrupted = false;
        while (true) {
            try {
                if (thread.join(JOIN_WARNING)) {
                    break;
                }
                LOG.log(Level.WARNING, "still waiting for " + thread.getName() + " to finish its request");
            } catch (InterruptedException e) {
                interrupted = true; // what the thread uses must not be released under it: keep waiting
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
