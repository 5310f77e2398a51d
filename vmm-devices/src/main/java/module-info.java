/**
 * jvmm's emulated devices: the 8250 UART, i8042, debug exit, the ATA-PIO block device, the
 * virtio stack (split virtqueues, the virtio-mmio transport, console, blk and rng), and QEMU's test
 * devices that kvm-unit-tests needs (fw_cfg, pc-testdev, the ACPI PM timer), the ACPI PM1 registers and the CMOS RTC. Each is a
 * {@link org.jvmm.core.bus.BusDevice} that raises interrupts through an
 * {@link org.jvmm.core.irq.InterruptLine}; they see guest memory, buses and interrupt lines through
 * vmm-core's memory, bus and irq packages only, never KVM types, so every device is tested without
 * {@code /dev/kvm}.
 */
module org.jvmm.devices {
    requires transitive org.jvmm.core;

    exports org.jvmm.devices.ata;
    exports org.jvmm.devices.control;
    exports org.jvmm.devices.serial;
    exports org.jvmm.devices.i8042;
    exports org.jvmm.devices.debug;
    exports org.jvmm.devices.disk;
    exports org.jvmm.devices.virtio;
    exports org.jvmm.devices.virtio.queue;
    exports org.jvmm.devices.virtio.mmio;
    exports org.jvmm.devices.virtio.console;
    exports org.jvmm.devices.virtio.blk;
    exports org.jvmm.devices.virtio.rng;
    exports org.jvmm.devices.thread;
    exports org.jvmm.devices.fwcfg;
    exports org.jvmm.devices.testdev;
    exports org.jvmm.devices.acpi;
    exports org.jvmm.devices.rtc;
}
