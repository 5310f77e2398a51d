package org.jvmm.cli.machine;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.jvmm.core.boot.AcpiTables;
import org.jvmm.core.boot.BootCpu;
import org.jvmm.core.boot.CommandLine;
import org.jvmm.core.boot.Initrd;
import org.jvmm.core.boot.KernelImage;
import org.jvmm.core.boot.LinuxBoot;
import org.jvmm.core.boot.LoadedKernel;
import org.jvmm.core.boot.VirtioMmioSlot;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.Cpuid;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.memory.GuestMemory;

/**
 * The Linux part of the machine: kernel, initrd, ACPI tables and boot parameters through
 * {@link LinuxBoot}; the ACPI power ports (poweroff and reboot stop the VM); the boot-time marker;
 * and the vCPUs' entry state (vCPU 0 at the kernel's 64-bit entry, the others waiting for INIT/SIPI
 * from the in-kernel LAPIC).
 */
final class LinuxGuest {

    /** The boot-time marker: a guest write of any value here prints "boot-time: N ms" (since the VMM started). */
    static final long BOOT_TIMER_ADDRESS = 0xcfff_f000L;
    /** The reboot method jvmm asks for when the user names none: see {@link #needsAcpiReboot}. */
    static final String ACPI_REBOOT = "reboot=acpi";

    private final MachineConfig config;
    private final LinuxConfig linux;
    private final GuestMemory memory;
    private final List<Integer> slots;
    private final BiConsumer<String, Integer> stop;
    private final PrintStream log = System.err;
    private LinuxBoot boot;
    private LoadedKernel kernel;
    private BootCpu.CpuidOptions cpuidOptions;

    private final KernelImage image;

    LinuxGuest(MachineConfig config, KernelImage image, GuestMemory memory, List<Integer> slots,
               BiConsumer<String, Integer> stop) {
        this.config = config;
        this.image = image;
        this.linux = config.linux();
        this.memory = memory;
        this.slots = List.copyOf(slots);
        this.stop = stop;
    }

    void load() throws IOException {
        boot = new LinuxBoot(memory, config.cpus());
        kernel = boot.loadKernel(image);
        Optional<Initrd> initrd = linux.initrd() == null ? Optional.empty()
                : Optional.of(boot.loadInitrd(Files.readAllBytes(linux.initrd()), kernel));
        List<VirtioMmioSlot> mmioSlots = new ArrayList<>();
        for (int slot : slots) {
            mmioSlots.add(VirtioMmioSlot.of(slot));
        }
        long rsdp = 0;
        if (linux.acpi()) {
            rsdp = boot.writeAcpi(mmioSlots).rsdp();
        }
        CommandLine cmdline = CommandLine.forKernel(kernel).append(linux.cmdline());
        if (!linux.acpi()) {
            cmdline = cmdline.append("acpi=off");
        }
        if (needsAcpiReboot(linux.acpi(), linux.cmdline())) {
            cmdline = cmdline.append(ACPI_REBOOT);
        }
        // Debian's kernel finds the devices through ACPI; kernels built with
        // CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES take these entries too.
        for (VirtioMmioSlot slot : mmioSlots) {
            cmdline = cmdline.append(slot.commandLineEntry());
        }
        boot.writeBootParams(kernel, cmdline, initrd, rsdp);
        boot.writeCpuTables();
        cpuidOptions = new BootCpu.CpuidOptions(linux.hideCx16(), linux.hideXsave());
    }

    /**
     * Whether jvmm adds {@value #ACPI_REBOOT}. With a hardware-reduced FADT and no EFI, Linux's
     * reboot_init() still chooses EFI reboot ({@code efi_reboot_required()}), finds no EFI runtime and
     * falls back to a real-mode jump to the BIOS reset vector at 0xffff0, where jvmm has no BIOS: the
     * guest then runs zeros forever without one exit (seen in nested KVM with Debian 6.1). With
     * {@code reboot=acpi} it writes the FADT reset register, which stops the VM. A {@code reboot=}
     * of the user's wins; without ACPI the kernel falls back to the i8042 pulse, which stops it too.
     *
     * @param acpi    whether the guest gets ACPI tables
     * @param cmdline the user's command line
     * @return true to append {@value #ACPI_REBOOT}
     */
    static boolean needsAcpiReboot(boolean acpi, String cmdline) {
        return acpi && Arrays.stream(cmdline.strip().split("\\s+")).noneMatch(p -> p.startsWith("reboot="));
    }

    void registerPorts(Bus pio, Bus mmio) {
        pio.register("acpi-power", new AddressRange(AcpiTables.SLEEP_CONTROL_PORT, 3), new BusDevice() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                switch (AcpiTables.powerAction(AcpiTables.SLEEP_CONTROL_PORT + (int) offset, value)) {
                    case POWEROFF -> stop.accept("the guest powered off", -1);
                    case RESET -> stop.accept("the guest rebooted (jvmm stops instead of resetting)", -1);
                    default -> { }
                }
            }
        });
        Instant started = ProcessHandle.current().info().startInstant().orElse(Instant.now());
        mmio.register("boot-timer", new AddressRange(BOOT_TIMER_ADDRESS, 0x1000), new BusDevice() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                log.println("boot-time: " + Duration.between(started, Instant.now()).toMillis() + " ms");
            }
        });
    }

    /**
     * vCPU 0 gets the kernel's 64-bit entry state; the others keep KVM's reset state and wait in the
     * in-kernel LAPIC for INIT/SIPI from vCPU 0. All get the same boot MSRs: an AP whose MTRRdefType
     * differs from the BSP's makes Linux warn that the firmware did not set up every CPU.
     */
    void configureVcpu(VcpuFd fd, Cpuid supported) {
        boot.configureVcpu(fd, supported, cpuidOptions, kernel);
    }
}
