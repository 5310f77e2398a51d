package org.jvmm.machine;

import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.irq.KvmIrqLine;
import org.jvmm.core.kvm.VmFd;
import org.jvmm.devices.acpi.Pm1Registers;
import org.jvmm.devices.acpi.PmTimer;
import org.jvmm.devices.fwcfg.FwCfg;
import org.jvmm.devices.rtc.CmosRtc;
import org.jvmm.devices.testdev.TestDevIrqLines;
import org.jvmm.devices.testdev.TestDevMemory;
import org.jvmm.devices.testdev.TestDevPorts;

/**
 * QEMU's test and firmware devices, which guests written for QEMU expect (kvm-unit-tests above all), and
 * a PC's CMOS RTC and ACPI PM1 registers: the machine adds them when it boots a Multiboot kernel
 * (docs/machine.md, "Compatibility devices"). The debug exit at 0xf4 is the machine's own, on every machine.
 */
final class CompatDevices {

    private CompatDevices() {}

    /**
     * Registers fw_cfg, pc-testdev (ports, interrupt lines, memory), the ACPI PM timer, the CMOS RTC and
     * the PM1 registers.
     *
     * @param pio     the port bus
     * @param mmio    the MMIO bus
     * @param vm      the VM, for the interrupt lines (kernels always have the in-kernel irqchip)
     * @param ramSize RAM in bytes (fw_cfg's RAM size item)
     * @param cpus    vCPUs (fw_cfg's CPU counts)
     * @param rtc     the RTC
     * @param pm1     the PM1 registers
     */
    static void register(Bus pio, Bus mmio, VmFd vm, long ramSize, int cpus, CmosRtc rtc, Pm1Registers pm1) {
        pio.register("fw_cfg", MemoryMap.FW_CFG, FwCfg.builder().ramSize(ramSize).cpus(cpus, cpus).build());
        // QEMU makes the page inaccessible and accessible again so that KVM's next access faults; jvmm
        // keeps the mapping (kvm-unit-tests' eventinj then sees no fault where it provokes one).
        pio.register("pc-testdev", MemoryMap.TESTDEV_PORTS, new TestDevPorts(page -> { }));
        List<InterruptLine> lines = new ArrayList<>();
        for (int gsi = 0; gsi < TestDevIrqLines.LINES; gsi++) {
            lines.add(new KvmIrqLine(vm, gsi));
        }
        pio.register("pc-testdev-irq", MemoryMap.TESTDEV_IRQ_LINES, new TestDevIrqLines(lines));
        mmio.register("pc-testdev-mem", MemoryMap.TESTDEV_MEMORY, new TestDevMemory());
        pio.register("pm-timer", MemoryMap.PM_TIMER, new PmTimer(System::nanoTime, true));
        pio.register("rtc", MemoryMap.RTC, rtc);
        pio.register("pm1-event", MemoryMap.PM1_EVENT, pm1.eventBlock());
        pio.register("pm1-control", MemoryMap.PM1_CONTROL, pm1.controlBlock());
    }
}
