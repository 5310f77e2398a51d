package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jvmm.cli.machine.LinuxConfig;
import org.jvmm.cli.machine.MachineConfig;
import org.jvmm.cli.machine.RawMachine;
import org.jvmm.cli.machine.RunResult;
import org.jvmm.core.vcpu.Vcpu;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux machine (LinuxGuest's wiring) under real KVM with {@link SmpKernel} as the kernel: the
 * application processors wait in the in-kernel LAPIC until the BSP's INIT/SIPI/SIPI, each then runs
 * real-mode code at the SIPI page and sees its own APIC id in CPUID; the ACPI sleep control and
 * reset ports stop the VM with status 0; the boot-time marker is printed. Seconds, even nested.
 */
@Tag("kvm")
class LinuxMachineTest {

    /** KVM_MP_STATE_RUNNABLE and KVM_MP_STATE_UNINITIALIZED. */
    private static final int RUNNABLE = 0;
    private static final int UNINITIALIZED = 1;
    private static final int SLEEP_CONTROL = 0x600;
    private static final int RESET = 0x602;

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

    private static MachineConfig config(Path kernel, int cpus) {
        return new MachineConfig(new byte[0], true, 64L << 20, cpus, true, OutputStream.nullOutputStream(), null,
                List.of(), new long[16], new LinuxConfig(kernel, null, "console=ttyS0", true, false, false));
    }

    @Test
    void fourVcpusComeUpThroughInitSipiEachWithItsApicIdAndPowerOffExitsZero() throws IOException {
        int cpus = 4;
        try (RawMachine machine = RawMachine.build(config(kernel(SLEEP_CONTROL, 0x34), cpus))) {
            List<Vcpu> vcpus = machine.vcpus();
            assertEquals(RUNNABLE, vcpus.get(0).fd().getMpState(), "the BSP starts at the kernel entry");
            for (int i = 1; i < cpus; i++) {
                assertEquals(UNINITIALIZED, vcpus.get(i).fd().getMpState(), "AP " + i + " waits for INIT/SIPI");
            }
            RunResult result = machine.run(Duration.ofSeconds(120));
            assertFalse(result.error(), result.summary());
            assertEquals(0, result.exitStatus(), result.summary());
            assertEquals("the guest powered off", result.summary());
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
        try (RawMachine machine = RawMachine.build(config(kernel(RESET, 0x01), 2))) {
            RunResult result = machine.run(Duration.ofSeconds(120));
            assertEquals(0, result.exitStatus(), result.summary());
            assertEquals("the guest rebooted (jvmm stops instead of resetting)", result.summary());
            assertEquals(1, machine.memory().readShort(SmpKernel.AP_COUNT), "the AP came up before the reset");
        }
    }

    @Test
    void jvmmRunPrintsTheBootTimeAndExitsZeroOnPowerOff() throws IOException {
        Path kernel = kernel(SLEEP_CONTROL, 0x34);
        Instant processStart = ProcessHandle.current().info().startInstant().orElseThrow();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Main.execute("run", "--kernel", kernel.toString(), "--cpus", "2", "--timeout", "120");
        } finally {
            System.setErr(err);
        }
        long sinceStart = Duration.between(processStart, Instant.now()).toMillis();
        String text = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);
        Matcher line = Pattern.compile("(?m)^boot-time: (\\d+) ms$").matcher(text);
        assertTrue(line.find(), "boot-time line in:\n" + text);
        long millis = Long.parseLong(line.group(1));
        assertTrue(millis > 0 && millis <= sinceStart, millis + " ms, the JVM started " + sinceStart + " ms ago");
        assertFalse(line.find(), "one marker write, one line:\n" + text);
    }
}
