package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jvmm.core.vcpu.Vcpu;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux machine (LinuxLoader's wiring) under real KVM with {@link SmpKernel} as the kernel: the
 * application processors wait in the in-kernel LAPIC until the BSP's INIT/SIPI/SIPI, each then runs
 * real-mode code at the SIPI page and sees its own APIC id in CPUID; the ACPI sleep control and
 * reset ports stop the VM with status 0; the boot-time marker is printed. Seconds, even nested.
 */
@Tag("kvm")
class LinuxMachineTest {

    /** KVM_MP_STATE_RUNNABLE and KVM_MP_STATE_UNINITIALIZED. */
    private static final int RUNNABLE = 0;
    private static final int UNINITIALIZED = 1;
    private static final int SLEEP_CONTROL = (int) MemoryMap.ACPI_POWER.base() + org.jvmm.core.boot.AcpiTables.SLEEP_CONTROL;
    private static final int RESET = (int) MemoryMap.ACPI_POWER.base() + org.jvmm.core.boot.AcpiTables.RESET;

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    private Path kernel(int port, int value) throws IOException {
        Path file = tmp.resolve("smp-kernel.elf");
        Files.write(file, SmpKernel.elf(port, value));
        return file;
    }

    private static Machine machine(Path kernel, int cpus, List<String> events) throws IOException {
        return Machine.builder().cpus(cpus).boot(KernelBoot.of(kernel, null, "console=ttyS0"))
                .serial(OutputStream.nullOutputStream(), null).events(events::add).build();
    }

    @Test
    void fourVcpusComeUpThroughInitSipiEachWithItsApicIdAndPowerOffExitsZero() throws IOException {
        int cpus = 4;
        try (Machine machine = machine(kernel(SLEEP_CONTROL, 0x34), cpus, new CopyOnWriteArrayList<>())) {
            List<Vcpu> vcpus = machine.vcpus();
            assertEquals(RUNNABLE, vcpus.get(0).fd().getMpState(), "the BSP starts at the kernel entry");
            for (int i = 1; i < cpus; i++) {
                assertEquals(UNINITIALIZED, vcpus.get(i).fd().getMpState(), "AP " + i + " waits for INIT/SIPI");
            }
            RunResult result = machine.run(Duration.ofSeconds(120));
            assertFalse(result.error(), result.summary());
            assertEquals(0, result.exitStatus(), result.summary());
            assertEquals("the guest powered off", result.summary());
            assertEquals(StopCause.Kind.POWER_OFF, result.cause().kind());
            assertEquals(cpus - 1, machine.memory().readShort(SmpKernel.AP_COUNT) & 0xffff, "APs that counted themselves in");
            assertEquals(0, machine.memory().readByte(SmpKernel.AP_FLAGS), "no AP saw the BSP's APIC id 0");
            for (int id = 1; id < cpus; id++) {
                assertEquals(1, machine.memory().readByte(SmpKernel.AP_FLAGS + id), "AP with APIC id " + id + " ran");
            }
            for (int i = 1; i < cpus; i++) {
                assertTrue(vcpus.get(i).fd().getMpState() != UNINITIALIZED, "AP " + i + " left the wait-for-SIPI state");
            }
        }
    }

    @Test
    void resetRegisterStopsTheVmWithStatusZero() throws IOException {
        try (Machine machine = machine(kernel(RESET, 0x01), 2, new CopyOnWriteArrayList<>())) {
            RunResult result = machine.run(Duration.ofSeconds(120));
            assertEquals(0, result.exitStatus(), result.summary());
            assertEquals("the guest rebooted (jvmm stops instead of resetting)", result.summary());
            assertEquals(StopCause.Kind.RESET, result.cause().kind());
            assertEquals(1, machine.memory().readShort(SmpKernel.AP_COUNT), "the AP came up before the reset");
        }
    }

    @Test
    void theBootTimeMarkerIsReportedOnceSinceTheProcessStarted() throws IOException {
        Instant processStart = ProcessHandle.current().info().startInstant().orElseThrow();
        List<String> events = new CopyOnWriteArrayList<>();
        try (Machine machine = machine(kernel(SLEEP_CONTROL, 0x34), 2, events)) {
            RunResult result = machine.run(Duration.ofSeconds(120));
            assertEquals(0, result.exitStatus(), result.summary());
        }
        long sinceStart = Duration.between(processStart, Instant.now()).toMillis();
        List<String> marks = events.stream().filter(e -> e.startsWith("boot-time:")).toList();
        assertEquals(1, marks.size(), "one marker write, one line: " + events);
        Matcher line = Pattern.compile("^boot-time: (\\d+) ms$").matcher(marks.get(0));
        assertTrue(line.matches(), marks.get(0));
        long millis = Long.parseLong(line.group(1));
        assertTrue(millis > 0 && millis <= sinceStart, millis + " ms, the JVM started " + sinceStart + " ms ago");
    }
}
