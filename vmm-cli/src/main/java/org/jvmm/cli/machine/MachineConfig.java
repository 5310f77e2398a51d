package org.jvmm.cli.machine;

import java.io.OutputStream;
import java.util.List;

/**
 * What to build: a raw payload machine as described in docs/machine.md, or the same machine booting
 * a Linux kernel (docs/linux-boot.md).
 *
 * @param payload    the flat binary (empty when booting Linux)
 * @param longMode   true to enter in 64-bit long mode at 0x200000, false for real mode at 0x7c00
 * @param memory     RAM in bytes
 * @param cpus       number of vCPUs
 * @param irqchip    whether to create the in-kernel PIC/IOAPIC/LAPIC and PIT
 * @param serialOut  where COM1's output goes
 * @param serialIn   what COM1 receives (the host's stdin for an interactive run), or null
 * @param devices    devices in option order (virtio ones fill slots 0, 1, ...)
 * @param args       workload arguments for the parameter block (up to 16)
 * @param linux      the kernel to boot instead of a payload, or null
 */
public record MachineConfig(byte[] payload, boolean longMode, long memory, int cpus, boolean irqchip,
                            OutputStream serialOut, java.io.InputStream serialIn,
                            List<DeviceSpec> devices, long[] args, LinuxConfig linux) {

    /**
     * A raw payload machine.
     *
     * @param payload   the flat binary
     * @param longMode  true to enter in long mode
     * @param memory    RAM in bytes
     * @param cpus      number of vCPUs
     * @param irqchip   whether to create the in-kernel irqchip
     * @param serialOut where COM1's output goes
     * @param serialIn  what COM1 receives, or null
     * @param devices   devices in option order
     * @param args      workload arguments
     */
    public MachineConfig(byte[] payload, boolean longMode, long memory, int cpus, boolean irqchip,
                         OutputStream serialOut, java.io.InputStream serialIn, List<DeviceSpec> devices, long[] args) {
        this(payload, longMode, memory, cpus, irqchip, serialOut, serialIn, devices, args, null);
    }

    /** Most vCPUs a raw machine takes. */
    public static final int MAX_CPUS = 64;

    /**
     * Checks what can be checked before touching KVM.
     *
     * @throws IllegalArgumentException with a one-line message
     */
    public MachineConfig {
        devices = List.copyOf(devices);
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("--cpus must be between 1 and " + MAX_CPUS + ", not " + cpus);
        }
        if (args.length > RawLayout.MAX_ARGS) {
            throw new IllegalArgumentException("at most " + RawLayout.MAX_ARGS + " guest arguments");
        }
        if (linux != null && !irqchip) {
            throw new IllegalArgumentException("a Linux guest needs the in-kernel irqchip (drop --no-irqchip)");
        }
        if (linux == null && payload.length == 0) {
            throw new IllegalArgumentException("the payload is empty");
        }
        if (memory < RawLayout.MIN_MEMORY) {
            throw new IllegalArgumentException("--mem must be at least " + (RawLayout.MIN_MEMORY >> 20) + " MiB");
        }
        long load = longMode ? RawLayout.LONG_MODE_ENTRY : RawLayout.REAL_MODE_ENTRY;
        long limit = longMode ? Math.min(memory, RawLayout.MMIO_HOLE) : RawLayout.REAL_MODE_LIMIT;
        if (linux == null && load + payload.length > limit) {
            throw new IllegalArgumentException("the payload (" + payload.length + " bytes at 0x" + Long.toHexString(load)
                    + ") does not fit in " + (longMode ? "RAM of " + memory + " bytes" : "the real-mode first MiB"));
        }
        for (DeviceSpec d : devices) {
            if (d.kind().isVirtio() && !irqchip && d.irqMode(false) != DeviceSpec.Irq.NONE) {
                throw new IllegalArgumentException(d.kind().text + ": irq=" + d.irqMode(false).name().toLowerCase(java.util.Locale.ROOT)
                        + " needs the in-kernel irqchip (drop --no-irqchip)");
            }
        }
        long virtio = devices.stream().filter(d -> d.kind().isVirtio()).count();
        if (virtio > RawLayout.MAX_VIRTIO_SLOTS) {
            throw new IllegalArgumentException("at most " + RawLayout.MAX_VIRTIO_SLOTS + " virtio devices");
        }
    }
}
