package org.jvmm.cli.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** Something a virtio device did: a queue notified, a chain processed, an interrupt raised, an error. */
@Name("org.jvmm.Virtio")
@Label("Virtio Device Event")
@Category({"jvmm", "Devices"})
@Description("Queue notify, chain processed, interrupt raised or device error of a virtio-mmio device")
@StackTrace(false)
public final class VirtioEvent extends jdk.jfr.Event {
    @Label("Device")
    String device;
    @Label("Kind")
    @Description("notify, chain, interrupt or error")
    String kind;
    @Label("Queue")
    int queue;
    @Label("Bytes")
    long bytes;
    @Label("Interrupt Status")
    int interruptStatus;
    @Label("Message")
    String message;
}
