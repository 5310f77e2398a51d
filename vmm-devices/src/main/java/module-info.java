/**
 * jvmm's emulated devices. Each is a {@link org.jvmm.core.bus.BusDevice} that raises interrupts
 * through an {@link org.jvmm.core.irq.InterruptLine}; none knows about KVM. Depends on vmm-core's
 * bus and irq packages only.
 */
module org.jvmm.devices {
    requires transitive org.jvmm.core;

    exports org.jvmm.devices.ata;
    exports org.jvmm.devices.control;
    exports org.jvmm.devices.serial;
    exports org.jvmm.devices.i8042;
    exports org.jvmm.devices.debug;
}
