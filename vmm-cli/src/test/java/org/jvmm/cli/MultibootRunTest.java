package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvmm run --kernel} with a Multiboot kernel, as kvm-unit-tests' script calls it: the project's
 * guests/bin/multiboot.elf with {@code --cmdline}, {@code --initrd} (module 0) and {@code --cpu}; the
 * guest checks the Multiboot state and the compatibility devices and exits through 0xf4 with 0, so
 * jvmm exits with 1, as QEMU's isa-debug-exit would.
 */
@Tag("kvm")
class MultibootRunTest {

    static final Path ROOT = Path.of(System.getenv().getOrDefault("JVMM_REPO_ROOT", "..")).toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    @Test
    void jvmmRunBootsAMultibootKernelWithItsCommandLineModuleAndCpuOption() throws Exception {
        Path env = Files.writeString(tmp.resolve("env"), "NR_CPUS=1\n");
        Path serial = tmp.resolve("serial.txt");
        Path kernel = ROOT.resolve("guests/bin/multiboot.elf");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Main.execute("run", "--kernel", kernel.toString(), "--initrd", env.toString(),
                    "--cmdline", "devices -smp 1", "--cpu", "host,-x2apic,+nx", "--mem", "128M",
                    "--serial", "out=" + serial, "--timeout", "60");
        } finally {
            System.setErr(err);
        }
        String log = Files.readString(serial).replace("\r", "");
        System.out.println("---- multiboot guest ----\n" + log + "---- stderr ----\n" + captured + "---- end ----");
        assertEquals(1, status, "debug exit 0: every check passed\n" + log + captured);
        assertTrue(log.contains("cmdline: " + kernel + " devices -smp 1\n"), log);
        assertTrue(log.contains(String.format("fw_cfg: signature=QEMU ram=0x%x cpus=1\n", 128L << 20)), log);
        assertTrue(log.contains("pm_timer: port=0x608 advanced\n"), log);
        assertTrue(log.endsWith("checks: 0x0\n"), log);
    }
}
