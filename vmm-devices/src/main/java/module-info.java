/**
 * jvmm's emulated devices. They see guest memory, buses and interrupt lines through
 * {@code org.jvmm.core}'s memory, bus and irq packages only, never KVM types, so every device is
 * tested without {@code /dev/kvm}.
 */
module org.jvmm.devices {
    requires transitive org.jvmm.core;

    exports org.jvmm.devices.virtio;
    exports org.jvmm.devices.virtio.queue;
    exports org.jvmm.devices.virtio.mmio;
    exports org.jvmm.devices.virtio.console;
    exports org.jvmm.devices.virtio.blk;
    exports org.jvmm.devices.virtio.rng;
}
