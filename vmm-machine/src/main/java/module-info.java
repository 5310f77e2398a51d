/**
 * jvmm's machine: the memory map, a typed builder, boots, run, pause and resume, results. Another VMM
 * embeds it, or composes vmm-core and vmm-devices differently. No third-party runtime dependency.
 */
module org.jvmm.machine {
    requires transitive org.jvmm.devices;

    exports org.jvmm.machine;
}
