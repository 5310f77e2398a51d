package org.jvmm.machine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jvmm.core.arch.CpuFeatures;
import org.jvmm.core.kvm.Kvm;
import org.jvmm.core.vcpu.ExitListener;
import org.jvmm.devices.virtio.VirtioObserver;

/**
 * Describes a machine, then builds it. Every setter checks its own value; {@link #build()} checks the
 * combination and throws {@link MachineConfigException} naming what is wrong in the machine's terms.
 *
 * <pre>{@code
 * try (Machine machine = Machine.builder()
 *         .memory(64L << 20)
 *         .boot(RawPayload.longMode(BuiltinGuests.load("hello")))
 *         .serial(System.out, null)
 *         .device(new VirtioConsoleConfig(System.out))
 *         .build()) {
 *     RunResult result = machine.run(Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class MachineBuilder {

    /** Most vCPUs a machine takes. */
    public static final int MAX_CPUS = 64;

    private Path kvmDevice = Kvm.DEFAULT_PATH;
    private long memory = 64L << 20;
    private int cpus = 1;
    private boolean irqchip = true;
    private CpuFeatures cpu = CpuFeatures.HOST;
    private Boot boot;
    private OutputStream serialOut = OutputStream.nullOutputStream();
    private InputStream serialIn;
    private final List<DeviceConfig> devices = new ArrayList<>();
    private ExitListener exitListener;
    private Function<String, VirtioObserver> virtioObservers = name -> VirtioObserver.NONE;
    private Consumer<String> events = line -> System.getLogger(Machine.class.getName()).log(System.Logger.Level.INFO, line);

    MachineBuilder() {}

    /**
     * The KVM device node (default {@code /dev/kvm}).
     *
     * @param node the node
     * @return this
     */
    public MachineBuilder kvmDevice(Path node) {
        this.kvmDevice = Objects.requireNonNull(node, "node");
        return this;
    }

    /**
     * Guest RAM (default 64 MiB). RAM above {@link MemoryMap#MMIO_HOLE} continues at 4 GiB.
     *
     * @param bytes a multiple of 4 KiB, at least {@link MemoryMap#MIN_MEMORY}, at most the host's RAM
     * @return this
     * @throws MachineConfigException when it is not
     */
    public MachineBuilder memory(long bytes) {
        if (bytes < MemoryMap.MIN_MEMORY || bytes % 4096 != 0) {
            throw new MachineConfigException("guest memory must be a multiple of 4 KiB of at least "
                    + (MemoryMap.MIN_MEMORY >> 20) + " MiB, not " + bytes + " bytes");
        }
        long host = HostMemory.total();
        if (host > 0 && bytes > host) {
            throw new MachineConfigException("guest memory of " + (bytes >> 20) + " MiB is more than this host's "
                    + (host >> 20) + " MiB");
        }
        this.memory = bytes;
        return this;
    }

    /**
     * The number of vCPUs (default 1).
     *
     * @param count 1 to {@value #MAX_CPUS}
     * @return this
     * @throws MachineConfigException when out of range
     */
    public MachineBuilder cpus(int count) {
        if (count < 1 || count > MAX_CPUS) {
            throw new MachineConfigException("a machine has 1 to " + MAX_CPUS + " vCPUs, not " + count);
        }
        this.cpus = count;
        return this;
    }

    /**
     * Whether KVM emulates the PIC, IOAPIC, LAPICs and PIT in the kernel (default true). Without it
     * no interrupt reaches the guest and {@code hlt} stops the vCPU.
     *
     * @param enabled true for the in-kernel irqchip
     * @return this
     */
    public MachineBuilder irqchip(boolean enabled) {
        this.irqchip = enabled;
        return this;
    }

    /**
     * The CPU every vCPU sees (default {@link CpuFeatures#HOST}: KVM's supported CPUID): KVM's
     * supported CPUID with the option's {@code -feature}s cleared and its {@code +feature}s kept, for
     * every kind of boot. A {@code +feature} KVM does not support is left out, with a note.
     *
     * @param features the parsed {@code --cpu} value ({@link CpuFeatures#parse})
     * @return this
     */
    public MachineBuilder cpu(CpuFeatures features) {
        this.cpu = Objects.requireNonNull(features, "features");
        return this;
    }

    /**
     * What to run: a {@link RawPayload} or a {@link KernelBoot}. Required.
     *
     * @param what the boot
     * @return this
     */
    public MachineBuilder boot(Boot what) {
        this.boot = Objects.requireNonNull(what, "boot");
        return this;
    }

    /**
     * COM1's host side (default: output discarded, no input).
     *
     * @param out what the guest writes; flushed, never closed by the machine
     * @param in  what the guest reads (a terminal, a pipe), or null for nothing
     * @return this
     */
    public MachineBuilder serial(OutputStream out, InputStream in) {
        this.serialOut = Objects.requireNonNull(out, "out");
        this.serialIn = in;
        return this;
    }

    /**
     * Adds a device. Virtio devices take slots 0, 1, ... in the order they are added.
     *
     * @param device the device
     * @return this
     */
    public MachineBuilder device(DeviceConfig device) {
        devices.add(Objects.requireNonNull(device, "device"));
        return this;
    }

    /**
     * A listener that sees every exit after it is handled (tracing, breakpoints on exits). Without
     * one, the exit path pays a null check.
     *
     * @param listener the listener, or null for none
     * @return this
     */
    public MachineBuilder exitListener(ExitListener listener) {
        this.exitListener = listener;
        return this;
    }

    /**
     * Observers of the virtio devices' notifications, interrupts and chains, one per device.
     *
     * @param observers from a device's name (e.g. "virtio-console@0") to its observer
     * @return this
     */
    public MachineBuilder virtioObservers(Function<String, VirtioObserver> observers) {
        this.virtioObservers = Objects.requireNonNull(observers, "observers");
        return this;
    }

    /**
     * Where the machine says what happens while it runs (the guest's boot-time marker, fallback
     * notes). Default: the System.Logger of {@link Machine} at INFO.
     *
     * @param sink one line per event
     * @return this
     */
    public MachineBuilder events(Consumer<String> sink) {
        this.events = Objects.requireNonNull(sink, "sink");
        return this;
    }

    /**
     * Checks the description and builds the machine: opens KVM, maps RAM, loads the boot, wires the
     * devices and vCPUs. Files are opened before KVM, so a missing image is reported as such on any
     * host.
     *
     * @return the machine, ready to {@link Machine#start}
     * @throws MachineConfigException            when the description does not make a machine
     * @throws IOException                       when a file (kernel, initrd, image) cannot be read
     * @throws org.jvmm.core.kvm.KvmException    when KVM refuses something
     */
    public Machine build() throws IOException {
        check();
        return Machine.assemble(new Spec(kvmDevice, memory, cpus, irqchip, cpu, boot, serialOut, serialIn,
                List.copyOf(devices), exitListener, virtioObservers, events));
    }

    private void check() {
        if (boot == null) {
            throw new MachineConfigException("the machine has nothing to boot: give it a raw payload or a kernel");
        }
        if (boot instanceof KernelBoot && !irqchip) {
            throw new MachineConfigException("a kernel (Linux or Multiboot) needs the in-kernel irqchip");
        }
        if (boot instanceof RawPayload raw && raw.mode() == CpuMode.LONG && cpus > MemoryMap.MAX_RAW_LONG_MODE_CPUS) {
            throw new MachineConfigException("a raw long-mode payload has stacks for " + MemoryMap.MAX_RAW_LONG_MODE_CPUS
                    + " vCPUs at most, not " + cpus);
        }
        if (boot instanceof RawPayload raw) {
            long limit = raw.mode() == CpuMode.LONG ? Math.min(memory, MemoryMap.MMIO_HOLE) : MemoryMap.REAL_MODE_LIMIT;
            if (raw.entry() + raw.image().length > limit) {
                throw new MachineConfigException("the payload (" + raw.image().length + " bytes at 0x"
                        + Long.toHexString(raw.entry()) + ") does not fit in "
                        + (raw.mode() == CpuMode.LONG ? "RAM of " + memory + " bytes" : "the real-mode first MiB"));
            }
        }
        int slot = 0;
        int ata = 0;
        for (DeviceConfig device : devices) {
            if (device instanceof VirtioDeviceConfig virtio) {
                Interrupt path = virtio.paths().interruptPath();
                if (!irqchip && (path == Interrupt.LINE || path == Interrupt.IRQFD)) {
                    throw new MachineConfigException(virtio.kind() + " in slot " + slot + ": interrupt " + path
                            + " needs the in-kernel irqchip");
                }
                slot++;
            } else if (device instanceof AtaPioConfig && ++ata > 1) {
                throw new MachineConfigException("a machine has one ata-pio device at most");
            }
        }
        if (slot > MemoryMap.MAX_VIRTIO_SLOTS) {
            throw new MachineConfigException("a machine has " + MemoryMap.MAX_VIRTIO_SLOTS + " virtio slots, not "
                    + slot + " virtio devices");
        }
    }

    /** A checked description, what {@link Machine} is assembled from. */
    record Spec(Path kvmDevice, long memory, int cpus, boolean irqchip, CpuFeatures cpu, Boot boot, OutputStream serialOut,
                InputStream serialIn, List<DeviceConfig> devices, ExitListener exitListener,
                Function<String, VirtioObserver> virtioObservers, Consumer<String> events) {}
}
