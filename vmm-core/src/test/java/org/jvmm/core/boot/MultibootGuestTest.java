package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.testing.Guests;
import org.jvmm.core.testing.RecordingDevice;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuStop;

/**
 * Boots the project's multiboot guest (guests/bin/multiboot.elf, built from guests/multiboot) with
 * {@link MultibootBoot}: the guest checks the entry state (EAX, CR0, EFLAGS, the segments it reloads
 * from the GDT jvmm wrote), prints what it read from the information structure on COM1 and writes a
 * mask of failed checks to the debug-exit port. The test compares the print-out with what it loaded.
 */
@RequiresKvm
class MultibootGuestTest {

    private static final Path GUEST = Path.of("..", "guests", "bin", "multiboot.elf");
    private static final long RAM = 64L << 20;

    @Test
    void theGuestSeesTheEntryStateMemoryMapCommandLineAndModule() throws Exception {
        byte[] env = "NR_CPUS=1\nHELLO=world\n".getBytes(StandardCharsets.US_ASCII);
        String cmdline = MultibootBoot.commandLine("multiboot.elf", "a=1 b");
        try (TestMachine m = TestMachine.create(RAM)) {
            Uart8250StandIn uart = m.port("com1", 0x3f8, 8, new Uart8250StandIn());
            RecordingDevice debugExit = m.port("debug-exit", 0xf4, 1, new RecordingDevice());
            MultibootBoot boot = new MultibootBoot(m.memory);
            MultibootKernel kernel = MultibootKernel.parse(Files.readAllBytes(GUEST));
            assertEquals(KernelFormat.MULTIBOOT, KernelFormat.detect(kernel.image()));
            MultibootLayout layout = boot.load(kernel, cmdline, List.of(new MultibootModule(env, "env.txt")));
            VcpuFd vcpu = m.vcpu(0);
            MultibootBoot.setEntryState(vcpu, layout);

            VcpuStop exit = Guests.runToEnd(new Vcpu(vcpu, m.dispatcher(0)));
            String log = uart.output().replace("\r", "");
            System.out.println("---- multiboot guest ----\n" + log + "---- end ----");
            assertEquals(ExitReason.HLT, exit.reason(), exit + "\n" + log);
            assertEquals(List.of(0L), debugExit.writes(), "failed checks (guests/multiboot/multiboot.c's FAIL_ bits)\n" + log);

            List<String> expected = new ArrayList<>();
            expected.add("flags=0x24d mem_lower=639 mem_upper=" + (RAM - (1 << 20)) / 1024);
            for (E820Map.Entry e : boot.e820().entries()) {
                expected.add(String.format("mmap: base=0x%x length=0x%x type=%d", e.address(), e.size(), e.type()));
            }
            expected.add("cmdline: multiboot.elf a=1 b");
            expected.add("loader: jvmm");
            expected.add(String.format("module: start=0x%x size=%d fnv=0x%x string=env.txt", layout.modules().get(0).start(),
                    env.length, fnv1a(env)));
            expected.add("checks: 0x0");
            List<String> lines = log.lines().toList();
            assertTrue(lines.get(0).startsWith("multiboot: magic=0x2badb002 cr0=0x"), lines.get(0));
            assertEquals(expected, lines.subList(1, lines.size()));
        }
    }

    private static int fnv1a(byte[] bytes) {
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x0100_0193;
        }
        return h;
    }
}
