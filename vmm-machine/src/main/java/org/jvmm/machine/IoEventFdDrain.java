package org.jvmm.machine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import org.jvmm.core.kvm.EventFd;
import org.jvmm.devices.thread.DeviceThread;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;

/**
 * The thread that serves one virtqueue's ioeventfd: KVM absorbs the guest's QueueNotify write and
 * signals the eventfd; this thread wakes and lets the transport process the queue, off the vCPU
 * thread. Closing it wakes and joins the thread however long its last request takes (devices bound
 * the work of one), so nothing it uses is released under it.
 */
final class IoEventFdDrain implements AutoCloseable {

    private final String name;
    private final EventFd eventFd;
    private final VirtioMmioTransport transport;
    private final int queue;
    private final AtomicLong faults;
    private DeviceThread thread;

    private IoEventFdDrain(String name, EventFd eventFd, VirtioMmioTransport transport, int queue, AtomicLong faults) {
        this.name = name;
        this.eventFd = eventFd;
        this.transport = transport;
        this.queue = queue;
        this.faults = faults;
    }

    /**
     * A drain, not yet started.
     *
     * @param name      the device's name, for the thread and messages
     * @param eventFd   the queue's ioeventfd
     * @param transport the device's transport
     * @param queue     the queue index
     * @param faults    where failed notifications are counted
     * @return the drain
     */
    static IoEventFdDrain create(String name, EventFd eventFd, VirtioMmioTransport transport, int queue,
                                 AtomicLong faults) {
        return new IoEventFdDrain(name, eventFd, transport, queue, faults);
    }

    void start() {
        thread = DeviceThread.create(name + "-q" + queue, this::serveOnce, t -> eventFd.signal(), null);
        thread.start();
    }

    /** Waits for the guest's notification and lets the device process the queue. */
    private boolean serveOnce() {
        if (eventFd.await() > 0 && !thread.stopping()) {
            try {
                transport.notifyQueue(queue);
            } catch (RuntimeException e) {
                faults.incrementAndGet();
                Log.LOG.log(Level.WARNING, name + " queue " + queue + " failed; notify dropped", e);
            }
        }
        return true;
    }

    /** {@return failures that ended the thread (0 or 1)} */
    long threadFailures() {
        return thread == null ? 0 : thread.failures();
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.close();
        }
    }

    /** The logger, looked up on first use: System.getLogger starts java.util.logging (a service
     * lookup, logging.properties), which jvmm's start-up should not wait for when nothing is logged. */
    private static final class Log {
        static final Logger LOG = System.getLogger(IoEventFdDrain.class.getName());
    }
}
