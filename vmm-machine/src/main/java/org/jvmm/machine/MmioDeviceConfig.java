package org.jvmm.machine;

import java.util.Objects;
import org.jvmm.core.bus.BusDevice;

/**
 * A caller's own device on the MMIO bus: it sees accesses at offsets from its base.
 *
 * @param name    its name in reports (unique in the machine)
 * @param device  the device
 * @param address its guest-physical base, or {@link #ALLOCATE} to let the machine place it (page
 *                aligned, upwards of {@link MemoryMap#MMIO_ALLOCATION_BASE})
 * @param size    its size in bytes
 */
public record MmioDeviceConfig(String name, BusDevice device, long address, long size) implements DeviceConfig {

    /** Let the machine choose the address. */
    public static final long ALLOCATE = -1;

    /**
     * Checks the fields.
     *
     * @param name    name
     * @param device  device
     * @param address base or {@link #ALLOCATE}
     * @param size    size
     * @throws MachineConfigException when the size is not positive or the range wraps
     */
    public MmioDeviceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        if (size < 1 || (address != ALLOCATE && (address < 0 || address + size < address))) {
            throw new MachineConfigException("MMIO device " + name + ": " + size + " bytes at 0x"
                    + Long.toHexString(address) + " is not a range of guest-physical addresses");
        }
    }

    @Override
    public String kind() {
        return name;
    }
}
