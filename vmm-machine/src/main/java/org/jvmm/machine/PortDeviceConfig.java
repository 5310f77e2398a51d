package org.jvmm.machine;

import java.util.Objects;
import org.jvmm.core.bus.BusDevice;

/**
 * A caller's own device on the port bus: it sees accesses at offsets from its first port.
 *
 * @param name   its name in reports (unique in the machine)
 * @param device the device
 * @param port   its first port, or {@link #ALLOCATE} to let the machine place it upwards of
 *               {@link MemoryMap#PORT_ALLOCATION_BASE}
 * @param size   the number of ports, 1 to 65536
 */
public record PortDeviceConfig(String name, BusDevice device, long port, long size) implements DeviceConfig {

    /** Let the machine choose the port. */
    public static final long ALLOCATE = -1;

    /**
     * Checks the fields.
     *
     * @param name   name
     * @param device device
     * @param port   first port or {@link #ALLOCATE}
     * @param size   number of ports
     * @throws MachineConfigException when the range does not fit in the port space
     */
    public PortDeviceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        if (size < 1 || size > 0x1_0000 || (port != ALLOCATE && (port < 0 || port + size > 0x1_0000))) {
            throw new MachineConfigException("port device " + name + ": " + size + " ports at "
                    + (port == ALLOCATE ? "any port" : "0x" + Long.toHexString(port)) + " do not fit in ports 0-0xffff");
        }
    }

    @Override
    public String kind() {
        return name;
    }
}
