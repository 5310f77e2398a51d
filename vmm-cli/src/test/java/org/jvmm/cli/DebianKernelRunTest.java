package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvmm.core.boot.E820Map;
import org.jvmm.machine.MemoryMap;

/**
 * {@code jvmm run --kernel} with Debian's kernel and initramfs (scripts/env/fetch-guest.sh's cache;
 * ./test.sh fetches them) and three virtio-mmio devices, checked against the kernel's own log and the
 * host files: the e820 map the kernel prints is the one jvmm builds for the RAM size, its command line
 * is the user's plus exactly what jvmm appends (reboot=acpi, one virtio_mmio.device= per device), it
 * finds a virtio-blk disk of the image's size and the three devices by id, and the init's write to
 * sector 1, flushed, is in the host file; the guest powers off and jvmm exits 0. About 40 s of a
 * nested-KVM run. Without the kernel it is skipped with the reason, or failed with CI=true.
 */
@Tag("kvm")
class DebianKernelRunTest {

    private static final long RAM = 512L << 20;
    private static final int DISK_SECTORS = 16384;
    private static final String USER_CMDLINE = "console=ttyS0 earlyprintk=serial panic=-1 jvmm_check=poweroff";

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    @Test
    void debianKernelSeesWhatJvmmBuiltAndItsDiskWriteReachesTheHostFile() throws IOException {
        DebianGuest.require();
        Path kernel = DebianGuest.kernel();
        Path initrd = DebianGuest.initrd();
        String token = "JVMM_DISK_" + Long.toHexString(System.nanoTime());
        Path disk = tmp.resolve("disk.img");
        byte[] image = new byte[DISK_SECTORS * 512];
        byte[] first = (token + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(first, 0, image, 0, first.length);
        Files.write(disk, image);
        Path console = tmp.resolve("com1.txt");
        Path hvc = tmp.resolve("hvc0.txt");

        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Main.execute("run", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                    "--mem", "512M", "--cpus", "1", "--timeout", "900", "--cmdline", USER_CMDLINE,
                    "--serial", "out=" + console, "--device", "virtio-blk,path=" + disk,
                    "--device", "virtio-console,out=" + hvc, "--device", "virtio-rng");
        } finally {
            System.setErr(err);
        }
        String jvmm = captured.toString(StandardCharsets.UTF_8);
        String log = Files.readString(console, StandardCharsets.ISO_8859_1);
        System.out.println("---- COM1 (" + log.length() + " bytes) ----\n" + log + "\n---- jvmm ----\n" + jvmm);

        assertEquals(0, status, jvmm);
        assertTrue(jvmm.contains("jvmm: the guest powered off"), jvmm);
        assertTrue(log.contains("JVMM_GUEST_INIT_OK"), "the initramfs's init ran");

        E820Map built = E820Map.forRam(new long[][] {{0, RAM}});
        assertEquals(built.entries(), printedE820(log), "the e820 map the kernel printed");

        List<String> expected = new ArrayList<>(List.of(USER_CMDLINE.split(" ")));
        expected.add("reboot=acpi");
        for (int slot = 0; slot < 3; slot++) {
            expected.add(MemoryMap.virtioSlot(slot).commandLineEntry());
        }
        Matcher line = Pattern.compile("Command line: (.*?)\\r?\\n").matcher(log);
        assertTrue(line.find(), "the kernel's Command line: line");
        assertEquals(expected, List.of(line.group(1).strip().split(" ")), "the command line the kernel got");

        long mib = (long) DISK_SECTORS * 512 >> 20;
        assertTrue(log.contains("[vda] " + DISK_SECTORS + " 512-byte logical blocks"),
                "virtio_blk's capacity line for " + DISK_SECTORS + " sectors (" + mib + " MiB)");
        Set<String> ids = new TreeSet<>();
        Matcher device = Pattern.compile("jvmm-init: virtio device virtio\\d+ id (0x[0-9a-f]{4})").matcher(log);
        while (device.find()) {
            ids.add(device.group(1));
        }
        assertEquals(Set.of("0x0002", "0x0003", "0x0004"), ids, "virtio devices the kernel bound: blk, console, rng");

        assertTrue(log.contains("jvmm-check: vda says " + token), "the guest read the disk's first line");
        byte[] sector1 = new byte[512];
        System.arraycopy(Files.readAllBytes(disk), 512, sector1, 0, 512);
        assertTrue(new String(sector1, StandardCharsets.US_ASCII).startsWith("written back: " + token + "\n"),
                "the guest's write and flush of sector 1 reached the host file");
        assertTrue(Files.readString(hvc).contains("JVMM_HVC_OK via /dev/hvc0"), "virtio-console output in the host file");
    }

    private static final Pattern E820_LINE = Pattern.compile(
            "BIOS-e820: \\[mem 0x([0-9a-f]{16})-0x([0-9a-f]{16})\\] (usable|reserved|ACPI data)");

    private static List<E820Map.Entry> printedE820(String log) {
        List<E820Map.Entry> entries = new ArrayList<>();
        Matcher m = E820_LINE.matcher(log);
        while (m.find()) {
            long first = Long.parseUnsignedLong(m.group(1), 16);
            long last = Long.parseUnsignedLong(m.group(2), 16);
            int type = switch (m.group(3)) {
                case "usable" -> E820Map.RAM;
                case "reserved" -> E820Map.RESERVED;
                default -> E820Map.ACPI;
            };
            entries.add(new E820Map.Entry(first, last - first + 1, type));
        }
        return entries;
    }
}
