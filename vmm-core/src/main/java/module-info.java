/**
 * jvmm's core: KVM driven through the Foreign Function and Memory API. Owning handles for the KVM,
 * VM and vCPU fds, guest memory registered with KVM without copies, port-I/O and MMIO buses,
 * interrupt lines, the vCPU run loop and exit accounting. Depends on java.base only; the only
 * jvmm module that needs native access.
 */
module org.jvmm.core {
    exports org.jvmm.core.kvm;
    exports org.jvmm.core.memory;
    exports org.jvmm.core.bus;
    exports org.jvmm.core.irq;
    exports org.jvmm.core.vcpu;
    exports org.jvmm.core.stats;
    exports org.jvmm.core.arch;
    exports org.jvmm.core.boot;
    // A terminal helper for the jvmm command, not part of the library.
    exports org.jvmm.core.host to org.jvmm.cli;
}
