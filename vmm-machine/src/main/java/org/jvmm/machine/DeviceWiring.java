package org.jvmm.machine;

import java.io.IOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jvmm.core.boot.VirtioMmioSlot;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.devices.ata.AtaPio;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.VirtioFeatures;
import org.jvmm.devices.virtio.VirtioObserver;
import org.jvmm.devices.virtio.blk.VirtioBlock;
import org.jvmm.devices.virtio.console.VirtioConsole;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;
import org.jvmm.devices.virtio.rng.VirtioRng;

/**
 * Places the caller's devices: virtio devices in slots 0, 1, ... on their notify and interrupt
 * paths, ATA-PIO at its port, and caller-supplied bus devices where they ask or where there is room.
 * The one place that constructs devices and transports.
 */
final class DeviceWiring {

    /** Console geometry virtio-console reports (VIRTIO_CONSOLE_F_SIZE). */
    private static final int CONSOLE_COLUMNS = 80;
    private static final int CONSOLE_ROWS = 25;

    private final List<DeviceConfig> configs;
    private final List<AutoCloseable> backends = new ArrayList<>();
    private final List<VirtioMmioTransport> transports = new ArrayList<>();

    private DeviceWiring(List<DeviceConfig> configs) {
        this.configs = configs;
    }

    /**
     * Opens every device's file, before anything touches KVM: a missing, read-only or locked image is
     * the caller's to fix whether or not the host has KVM.
     *
     * @param configs   the devices
     * @param resources where the open files are registered for closing
     * @return the wiring, ready to {@link #place}
     * @throws IOException when an image cannot be opened
     */
    static DeviceWiring open(List<DeviceConfig> configs, Resources resources) throws IOException {
        DeviceWiring wiring = new DeviceWiring(configs);
        for (DeviceConfig config : configs) {
            AutoCloseable backend = switch (config) {
                case VirtioBlockConfig blk -> resources.add(VirtioBlock.open(blk.image(), blk.readOnly()));
                case AtaPioConfig ata -> resources.add(AtaPio.open(ata.image(), ata.readOnly()));
                default -> null;
            };
            wiring.backends.add(backend);
        }
        return wiring;
    }

    /** {@return the virtio-mmio slots the devices take, in slot order} */
    List<VirtioMmioSlot> virtioSlots() {
        List<VirtioMmioSlot> taken = new ArrayList<>();
        for (int i = 0; i < configs.stream().filter(c -> c instanceof VirtioDeviceConfig).count(); i++) {
            taken.add(MemoryMap.virtioSlot(i));
        }
        return taken;
    }

    /**
     * Puts every device on its bus.
     *
     * @param pio        the port bus
     * @param mmio       the MMIO bus
     * @param memory     guest memory, for the virtio transports
     * @param interrupts the interrupt paths
     * @param notifies   the notify paths
     * @param observers  virtio observers by device name
     */
    void place(Bus pio, Bus mmio, GuestMemory memory, InterruptPaths interrupts, NotifyPaths notifies,
               Function<String, VirtioObserver> observers) {
        int slot = 0;
        for (int i = 0; i < configs.size(); i++) {
            DeviceConfig config = configs.get(i);
            switch (config) {
                case VirtioDeviceConfig virtio -> {
                    placeVirtio(virtio, slot, backends.get(i), mmio, memory, interrupts, notifies, observers);
                    slot++;
                }
                case AtaPioConfig ata -> pio.register(ata.kind(), MemoryMap.ATA_PIO, (AtaPio) backends.get(i));
                case PortDeviceConfig port -> register(pio, port.name(), placePort(pio, port), port.device());
                case MmioDeviceConfig device -> register(mmio, device.name(), placeMmio(mmio, memory, device),
                        device.device());
            }
        }
    }

    private void placeVirtio(VirtioDeviceConfig config, int slot, AutoCloseable backend, Bus mmio, GuestMemory memory,
                             InterruptPaths interrupts, NotifyPaths notifies,
                             Function<String, VirtioObserver> observers) {
        VirtioDevice device = switch (config) {
            case VirtioConsoleConfig console -> new VirtioConsole(
                    Channels.newChannel(new NonClosingOutputStream(console.output())), CONSOLE_COLUMNS, CONSOLE_ROWS);
            case VirtioBlockConfig ignored -> (VirtioBlock) backend;
            case VirtioRngConfig ignored -> new VirtioRng();
        };
        VirtioMmioSlot where = MemoryMap.virtioSlot(slot);
        String name = config.kind() + "@" + slot;
        long withheld = config.paths().eventIdx() ? 0 : VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
        VirtioMmioTransport transport = new VirtioMmioTransport(device, memory,
                interrupts.line(name, config.paths().interruptPath(), where.gsi()), observers.apply(name), withheld);
        mmio.register(name, new AddressRange(where.base(), where.size()), transport);
        if (config.paths().notifyPath() == Notify.IOEVENTFD) {
            notifies.wireIoEventFds(name, transport, device.queueCount(), where.base());
        }
        transports.add(transport);
    }

    private static void register(Bus bus, String name, AddressRange range, org.jvmm.core.bus.BusDevice device) {
        try {
            bus.register(name, range, device);
        } catch (IllegalArgumentException e) {
            throw new MachineConfigException(e.getMessage(), e);
        }
    }

    private static AddressRange placePort(Bus pio, PortDeviceConfig config) {
        if (config.port() != PortDeviceConfig.ALLOCATE) {
            return new AddressRange(config.port(), config.size());
        }
        return allocate(pio, config.name(), MemoryMap.PORT_ALLOCATION_BASE, MemoryMap.PORT_ALLOCATION_END,
                config.size(), 1);
    }

    private static AddressRange placeMmio(Bus mmio, GuestMemory memory, MmioDeviceConfig config) {
        if (config.address() != MmioDeviceConfig.ALLOCATE) {
            AddressRange range = new AddressRange(config.address(), config.size());
            // KVM maps RAM itself: accesses there never exit, so a device over RAM would see nothing.
            if (memory.regions().stream().anyMatch(r -> new AddressRange(r.base(), r.size()).overlaps(range))) {
                throw new MachineConfigException("MMIO device " + config.name() + " at " + range + " overlaps guest RAM");
            }
            return range;
        }
        return allocate(mmio, config.name(), MemoryMap.MMIO_ALLOCATION_BASE, MemoryMap.MMIO_ALLOCATION_END,
                config.size(), 4096);
    }

    /** The lowest free, aligned range of {@code size} in [from, to) on {@code bus}. */
    private static AddressRange allocate(Bus bus, String name, long from, long to, long size, long alignment) {
        long at = from;
        while (at + size <= to) {
            AddressRange candidate = new AddressRange(at, size);
            Bus.Entry clash = bus.entries().stream().filter(e -> e.range().overlaps(candidate)).findFirst().orElse(null);
            if (clash == null) {
                return candidate;
            }
            long next = clash.range().base() + clash.range().size();
            at = (next + alignment - 1) / alignment * alignment;
        }
        throw new MachineConfigException(name + ": no room for " + size + " bytes between 0x" + Long.toHexString(from)
                + " and 0x" + Long.toHexString(to) + " on the " + bus.name() + " bus");
    }

    /** {@return the virtio transports, in slot order} */
    List<VirtioMmioTransport> transports() {
        return List.copyOf(transports);
    }

    /** An output the console may close without closing the caller's stream (System.out, say). */
    private static final class NonClosingOutputStream extends java.io.FilterOutputStream {
        NonClosingOutputStream(java.io.OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
