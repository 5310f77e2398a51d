package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gdb on Debian's stock kernel: {@code jvmm run --kernel vmlinux --gdb unix:PATH --gdb-wait}, then
 * "who writes to the UART?" answered with an exit catchpoint. gdb stops the kernel at its entry, a
 * {@code monitor catch io 0x3f8 out} stops it at the {@code out} of the first byte it sends to COM1,
 * and after {@code detach} the kernel boots to its init, which copies {@code /proc/kallsyms} to a disk
 * (Debian's package ships no System.map): the stop is then named by the kernel's own symbols. Runs
 * where breakpoints do not fire too (nested KVM under QEMU TCG): catchpoints are exits, not debug
 * registers.
 */
@Tag("kvm")
class GdbLinuxTest {

    private static final Pattern VALUE = Pattern.compile("^\\$\\d+ = 0x([0-9a-f]+)$", Pattern.MULTILINE);

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvmAndTheDebianGuest() {
        KvmRequirement.check();
        DebianGuest.require();
    }

    @Test
    void aCatchpointOnComOneStopsTheKernelInItsSerialCodeAndDetachBootsToInit() throws Exception {
        Path symbols = tmp.resolve("kallsyms.img");
        Files.write(symbols, new byte[32 << 20]);
        Path com1 = tmp.resolve("com1.txt");
        GdbSession s = GdbSession.run(tmp, List.of("--kernel", DebianGuest.kernel().toString(),
                        "--initrd", DebianGuest.initrd().toString(),
                        "--mem", "256M", "--cpus", "1", "--timeout", "600", "--serial", "out=" + com1,
                        "--cmdline", "console=ttyS0 panic=-1 nokaslr jvmm_check=poweroff jvmm_kallsyms=vda",
                        "--device", "virtio-blk,path=" + symbols),
                List.of("p/x $pc", "monitor catch io 0x3f8 out", "continue", "p/x $pc", "x/i $pc", "monitor catch clear",
                        "detach"),
                Duration.ofMinutes(8));
        String log = Files.readString(com1, StandardCharsets.ISO_8859_1);
        System.out.println("---- COM1 ----\n" + log);

        List<Long> pcs = VALUE.matcher(s.gdb()).results().map(r -> Long.parseUnsignedLong(r.group(1), 16)).toList();
        assertEquals(2, pcs.size(), s.text());
        assertTrue(s.gdb().contains("catchpoint io 0x3f8 out: io out 0x3f8 size 1"), s.text());
        // The stop shows the guest's own instruction: a port write, at a kernel text address.
        Matcher insn = Pattern.compile("=> 0x(ffffffff[0-9a-f]{8}):\\s+out\\s+%al,\\(%dx\\)").matcher(s.gdb());
        assertTrue(insn.find(), "gdb shows the kernel's out:\n" + s.text());
        assertEquals(pcs.get(1), Long.parseUnsignedLong(insn.group(1), 16), "x/i $pc is at the pc read back");

        assertEquals(0, s.status(), "the kernel booted on to its init, which powered off:\n" + s.text());
        assertTrue(log.contains("JVMM_GUEST_INIT_OK"), "the init ran after detach:\n" + log);
        assertTrue(log.contains("jvmm-check: kallsyms on vda"), log);

        TreeMap<Long, String> text = kernelText(symbols);
        assertTrue(text.size() > 10_000, "kallsyms copied whole: " + text.size() + " text symbols");
        Map.Entry<Long, String> entry = text.floorEntry(pcs.get(0));
        String stop = text.floorEntry(pcs.get(1)).getValue();
        System.out.printf("entry pc %#x (%s), first COM1 write at %#x in %s%n", pcs.get(0),
                entry == null ? "below the kernel's text" : entry.getValue(), pcs.get(1), stop);
        assertTrue(stop.contains("serial"), "the out to COM1 is in the kernel's serial code, not " + stop);
    }

    /** The text symbols ({@code t}/{@code T}) of the kallsyms copy, by address. */
    private static TreeMap<Long, String> kernelText(Path image) throws Exception {
        String all = Files.readString(image, StandardCharsets.ISO_8859_1);
        int end = all.indexOf('\0');
        TreeMap<Long, String> text = new TreeMap<>(Long::compareUnsigned);
        for (String line : (end < 0 ? all : all.substring(0, end)).split("\n")) {
            String[] f = line.split("\\s+");
            if (f.length >= 3 && (f[1].equals("t") || f[1].equals("T"))) {
                text.put(Long.parseUnsignedLong(f[0], 16), f[2]);
            }
        }
        return text;
    }
}
