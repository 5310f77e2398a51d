package org.jvmm.machine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jvmm.core.kvm.Capability;
import org.jvmm.core.kvm.EventFd;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;

/**
 * Hands a virtio device's QueueNotify register to KVM through one ioeventfd per queue, each served
 * by an {@link IoEventFdDrain}: the one home of the ioeventfd fallback. Where the host's KVM has no
 * ioeventfd, or refuses one, QueueNotify of the queues not wired stays an MMIO exit and a note says
 * so.
 */
final class NotifyPaths {
    private final VmFd vm;
    private final Resources resources;
    private final Consumer<String> note;
    private final AtomicLong faults;
    private final List<IoEventFdDrain> drains = new ArrayList<>();

    NotifyPaths(VmFd vm, Resources resources, Consumer<String> note, AtomicLong faults) {
        this.vm = vm;
        this.resources = resources;
        this.note = note;
        this.faults = faults;
    }

    void wireIoEventFds(String name, VirtioMmioTransport transport, int queues, long slotBase) {
        if (vm.checkExtension(Capability.IOEVENTFD) == 0) {
            note.accept(name + ": this host has no ioeventfd; QueueNotify stays an MMIO exit");
            return;
        }
        long address = slotBase + VirtioMmioTransport.QUEUE_NOTIFY_OFFSET;
        for (int q = 0; q < queues; q++) {
            EventFd eventFd = resources.add(new EventFd());
            try {
                vm.assignIoEventFd(eventFd, address, 4, false, (long) q);
            } catch (KvmException e) {
                note.accept(name + ": KVM refused the ioeventfd of queue " + q + " (" + e.getMessage()
                        + "); QueueNotify of queues " + q + " and up stays an MMIO exit");
                return;
            }
            drains.add(resources.add(IoEventFdDrain.create(name, eventFd, transport, q, faults)));
        }
    }

    /** Starts every drain, before the first vCPU runs. */
    void start() {
        drains.forEach(IoEventFdDrain::start);
    }

    /** {@return failures that ended a drain's thread (an Error, say), each a host fault} */
    long threadFailures() {
        return drains.stream().mapToLong(IoEventFdDrain::threadFailures).sum();
    }
}
