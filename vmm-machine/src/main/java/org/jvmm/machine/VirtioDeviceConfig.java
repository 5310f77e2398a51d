package org.jvmm.machine;

/** A virtio device on the virtio-mmio transport. */
public sealed interface VirtioDeviceConfig extends DeviceConfig
        permits VirtioConsoleConfig, VirtioBlockConfig, VirtioRngConfig {

    /** {@return its notify and interrupt paths} */
    VirtioPaths paths();
}
