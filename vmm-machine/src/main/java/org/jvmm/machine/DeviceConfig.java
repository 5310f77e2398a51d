package org.jvmm.machine;

/**
 * A device to put in the machine. Virtio devices take virtio-mmio slots in the order they are added
 * (slot i at {@link MemoryMap#virtioSlot}); the others sit at their {@link MemoryMap} ports, or where
 * the caller or the machine places them.
 */
public sealed interface DeviceConfig
        permits VirtioDeviceConfig, AtaPioConfig, PortDeviceConfig, MmioDeviceConfig {

    /** {@return the device's kind as the machine's messages and reports name it, e.g. "virtio-blk"} */
    String kind();
}
