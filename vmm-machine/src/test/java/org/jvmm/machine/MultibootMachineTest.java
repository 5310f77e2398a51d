package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvmm.core.arch.CpuFeatures;

/**
 * The machine boots a Multiboot kernel from its file: guests/bin/multiboot.elf (built from
 * guests/multiboot), given "devices" on its command line, checks the Multiboot entry state and
 * information structure, then QEMU's compatibility devices as kvm-unit-tests uses them (fw_cfg's
 * signature, RAM size and CPU count; the PM timer at the port the FADT names), prints what it read on
 * COM1 and debug-exits with 0 when every check passed, which is exit status 1, as QEMU gives it.
 */
@Tag("kvm")
class MultibootMachineTest {

    private static final Path GUEST = Path.of("..", "guests", "bin", "multiboot.elf");
    private static final long RAM = 64L << 20;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    @Test
    void aMultibootKernelSeesItsCommandLineModuleAndTheCompatibilityDevices(@TempDir Path tmp) throws Exception {
        byte[] env = "NR_CPUS=2\nHELLO=world\n".getBytes(StandardCharsets.US_ASCII);
        Path initrd = Files.write(tmp.resolve("env.txt"), env);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MachineBuilder builder = Machine.builder()
                .memory(RAM)
                .cpus(2)
                .cpu(CpuFeatures.parse("host,-pku"))
                .boot(KernelBoot.of(GUEST, initrd, "devices a=1"))
                .serial(out, null)
                .events(line -> System.out.println("machine: " + line));
        RunResult result;
        try (Machine machine = builder.build()) {
            result = machine.run(Duration.ofSeconds(60));
        }
        String log = out.toString(StandardCharsets.US_ASCII).replace("\r", "");
        System.out.println("---- multiboot guest ----\n" + log + "---- end ----");
        assertEquals(StopCause.Kind.GUEST_EXIT, result.cause().kind(), result.summary() + "\n" + log);
        assertEquals(1, result.exitStatus(), "debug exit 0: every check passed (guests/multiboot/multiboot.c)\n" + log);
        assertEquals(0, result.hostFaults());

        List<String> lines = log.lines().toList();
        assertTrue(lines.get(0).startsWith("multiboot: magic=0x2badb002 cr0=0x"), lines.get(0));
        assertTrue(lines.contains("flags=0x24d mem_lower=639 mem_upper=" + (RAM - (1 << 20)) / 1024), log);
        assertTrue(lines.contains("cmdline: " + GUEST + " devices a=1"), "argv[0] is the kernel's path\n" + log);
        assertTrue(lines.contains("loader: jvmm"), log);
        assertTrue(lines.stream().anyMatch(l -> l.matches("module: start=0x[0-9a-f]*000 size=" + env.length
                + String.format(" fnv=0x%x string=", fnv1a(env)) + initrd)), "module 0 is the initrd\n" + log);
        assertTrue(lines.contains(String.format("fw_cfg: signature=QEMU ram=0x%x cpus=2", RAM)), log);
        assertTrue(lines.contains(String.format("pm_timer: port=0x%x advanced", MemoryMap.PM_TIMER.base())), log);
        assertEquals("checks: 0x0", lines.get(lines.size() - 1));
    }

    /**
     * With "s3" the guest suspends to RAM after its checks, with the RTC alarm at the next second as
     * kvm-unit-tests' s3 sets it, and its real-mode code at the FACS waking vector exits with 0 when
     * PM1_STS reads WAK_STS | RTC_STS: the machine slept until the alarm and resumed vCPU 0 there.
     */
    @Test
    void aMultibootKernelSuspendsToRamAndResumesAtTheWakingVector(@TempDir Path tmp) throws Exception {
        Path initrd = Files.write(tmp.resolve("env.txt"), "S3=1\n".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunResult result;
        try (Machine machine = Machine.builder()
                .memory(RAM)
                .cpus(2)
                .cpu(CpuFeatures.parse("host,-pku"))
                .boot(KernelBoot.of(GUEST, initrd, "devices s3"))
                .serial(out, null)
                .events(line -> System.out.println("machine: " + line))
                .build()) {
            result = machine.run(Duration.ofSeconds(60));
        }
        String log = out.toString(StandardCharsets.US_ASCII).replace("\r", "");
        System.out.println("---- multiboot guest (s3) ----\n" + log + "---- end ----");
        List<String> lines = log.lines().toList();
        assertTrue(lines.contains("s3: suspending"), log);
        assertEquals("s3: resumed", lines.get(lines.size() - 1), "the waking vector's code ran\n" + log);
        assertEquals(StopCause.Kind.GUEST_EXIT, result.cause().kind(), result.summary() + "\n" + log);
        assertEquals(1, result.exitStatus(), "PM1_STS was WAK_STS | RTC_STS after the resume\n" + log);
        assertEquals(0, result.hostFaults());
    }

    private static int fnv1a(byte[] bytes) {
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x0100_0193;
        }
        return h;
    }
}
