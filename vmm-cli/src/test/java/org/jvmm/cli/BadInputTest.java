package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of docs/bad-input.md: the command prints exactly the documented line on stderr, exits
 * with the documented status, and prints no stack trace. {@code $G} is a built-in guest, {@code $T}
 * a scratch directory with the files set up below. KVM is pointed at {@code /nonexistent} (through
 * {@value KvmNode#PROPERTY}) unless a row names another node, so no row needs KVM.
 */
class BadInputTest {

    static final Path ROOT = Path.of(System.getenv().getOrDefault("JVMM_REPO_ROOT", "..")).toAbsolutePath().normalize();
    static final String GUEST = ROOT.resolve("guests/bin/hello.bin").toString();
    static Path tmp;
    /** A port some other socket listens on, for the port-in-use row. */
    static ServerSocket busy;
    static boolean immutable;

    /** One bad input. */
    record Row(String what, String kvmDevice, String args, String message, int status) {
        @Override
        public String toString() {
            return what;
        }
    }

    static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        String nokvm = "/nonexistent";
        // what, KVM node, arguments, message, status
        rows.add(new Row("missing payload", nokvm, "run --payload $T/missing.bin",
                "jvmm: payload $T/missing.bin: no such file", 2));
        rows.add(new Row("missing kernel", nokvm, "run --kernel $T/missing.bin",
                "jvmm: kernel $T/missing.bin: no such file", 2));
        rows.add(new Row("a file that is not a kernel", nokvm, "run --kernel $G",
                "jvmm: kernel $G: not a kernel jvmm boots: no bzImage 'HdrS' header, no Multiboot header and no ELF magic: magic 0x3ae9106a at 0x202", 2));
        rows.add(new Row("initrd larger than RAM", nokvm, "run --kernel $G --initrd $T/big.bin --mem 4M",
                "jvmm: initrd $T/big.bin (4194304 bytes) does not fit in --mem 4M", 2));
        rows.add(new Row("payload is a directory", nokvm, "run --payload $T",
                "jvmm: payload $T is a directory", 2));
        rows.add(new Row("empty payload", nokvm, "run --payload $T/empty.bin", "jvmm: the payload is empty", 2));
        rows.add(new Row("payload larger than RAM", nokvm, "run --payload $T/big.bin --mem 4M",
                "jvmm: the payload (4194304 bytes at 0x200000) does not fit in RAM of 4194304 bytes", 2));
        rows.add(new Row("real-mode payload past 1 MiB", nokvm, "run --payload $T/big.bin --mode real",
                "jvmm: the payload (4194304 bytes at 0x7c00) does not fit in the real-mode first MiB", 2));
        rows.add(new Row("memory 0", nokvm, "run --payload $G --mem 0",
                "jvmm: --mem must be a positive multiple of 4 KiB, not 0", 2));
        rows.add(new Row("memory 1 byte", nokvm, "run --payload $G --mem 1",
                "jvmm: --mem must be a positive multiple of 4 KiB, not 1", 2));
        rows.add(new Row("memory not a page multiple", nokvm, "run --payload $G --mem 5000",
                "jvmm: --mem must be a positive multiple of 4 KiB, not 5000", 2));
        rows.add(new Row("memory below the layout minimum", nokvm, "run --payload $G --mem 1M",
                "jvmm: --mem 1M: guest memory must be a multiple of 4 KiB of at least 4 MiB, not 1048576 bytes", 2));
        rows.add(new Row("memory negative", nokvm, "run --payload $G --mem -1M", "jvmm: size out of range: '-1M'", 2));
        rows.add(new Row("memory overflowing 64 bits", nokvm, "run --payload $G --mem 99999999999T",
                "jvmm: size out of range: '99999999999T'", 2));
        rows.add(new Row("memory not a size", nokvm, "run --payload $G --mem lots",
                "jvmm: not a size: 'lots' (use e.g. 64M, 1G)", 2));
        rows.add(new Row("memory more than the host has", nokvm, "run --payload $G --mem 64T",
                "jvmm: --mem 64T: guest memory of 67108864 MiB is more than this host's $HOSTMIB MiB", 2));
        rows.add(new Row("0 vCPUs", nokvm, "run --payload $G --cpus 0", "jvmm: --cpus 0: a machine has 1 to 64 vCPUs, not 0", 2));
        rows.add(new Row("-1 vCPUs", nokvm, "run --payload $G --cpus -1", "jvmm: --cpus -1: a machine has 1 to 64 vCPUs, not -1", 2));
        rows.add(new Row("100000 vCPUs", nokvm, "run --payload $G --cpus 100000",
                "jvmm: --cpus 100000: a machine has 1 to 64 vCPUs, not 100000", 2));
        rows.add(new Row("vCPUs not a number", nokvm, "run --payload $G --cpus many",
                "jvmm: Invalid value for option '--cpus': 'many' is not an int (see jvmm run --help)", 2));
        rows.add(new Row("unknown device kind", nokvm, "run --payload $G --device floppy",
                "jvmm: unknown device 'floppy' (known: virtio-console, virtio-blk, virtio-rng, ata-pio)", 2));
        rows.add(new Row("unknown device option", nokvm, "run --payload $G --device virtio-blk,path=$T/disk.img,cache=none",
                "jvmm: virtio-blk: unknown option 'cache' (known: event-idx, irq, notify, path, ro)", 2));
        rows.add(new Row("disk without path", nokvm, "run --payload $G --device virtio-blk",
                "jvmm: virtio-blk needs path=FILE", 2));
        rows.add(new Row("bad notify mode", nokvm, "run --payload $G --device virtio-rng,notify=poll",
                "jvmm: virtio-rng: notify must be exit or ioeventfd, not 'poll'", 2));
        rows.add(new Row("bad irq mode", nokvm, "run --payload $G --device virtio-rng,irq=msi",
                "jvmm: virtio-rng: irq must be line, irqfd or none, not 'msi'", 2));
        rows.add(new Row("irqfd without irqchip", nokvm, "run --payload $G --no-irqchip --device virtio-rng,irq=irqfd",
                "jvmm: virtio-rng: irq=irqfd needs the in-kernel irqchip (drop --no-irqchip)", 2));
        rows.add(new Row("missing disk image", nokvm, "run --payload $G --device virtio-blk,path=$T/missing.img",
                "jvmm: virtio-blk image $T/missing.img: no such file", 2));
        rows.add(new Row("disk image is a directory", nokvm, "run --payload $G --device ata-pio,path=$T",
                "jvmm: ata-pio image $T is a directory", 2));
        rows.add(new Row("read-only disk image opened read-write", nokvm,
                "run --payload $G --device virtio-blk,path=$T/readonly.img",
                "jvmm: virtio-blk image $T/readonly.img is not writable (add ,ro to open it read-only)", 2));
        rows.add(new Row("disk image locked by another VM or process", nokvm,
                "run --payload $G --device virtio-blk,path=$T/locked.img",
                "jvmm: disk image $T/locked.img is already in use by another VM or process; stop it or use a copy of the image", 2));
        rows.add(new Row("console output in a missing directory", nokvm,
                "run --payload $G --device virtio-console,out=$T/no/such/dir/out.txt",
                "jvmm: no such file: $T/no/such/dir/out.txt", 2));
        rows.add(new Row("/dev/kvm missing", nokvm, "run --payload $G",
                "jvmm: /nonexistent does not exist: this host has no KVM (load kvm_intel or kvm_amd, or use a host with virtualization)", 2));
        rows.add(new Row("KVM node not permitted", "$T/readonly.img", "run --payload $G",
                "jvmm: no permission to open $T/readonly.img (add yourself to the kvm group or run as root)", 2));
        rows.add(new Row("KVM node is a regular file", "$T/disk.img", "run --payload $G",
                "jvmm: $T/disk.img is not a KVM device (KVM_GET_API_VERSION failed: ENOTTY (Inappropriate ioctl for device))", 2));
        rows.add(new Row("bad --arg syntax", nokvm, "run --payload $G --arg 3", "jvmm: --arg takes N=VALUE, not '3'", 2));
        rows.add(new Row("--arg index out of range", nokvm, "run --payload $G --arg 16=1",
                "jvmm: --arg index must be 0 to 15: '16=1'", 2));
        rows.add(new Row("--arg negative index", nokvm, "run --payload $G --arg -1=1",
                "jvmm: --arg index must be 0 to 15: '-1=1'", 2));
        rows.add(new Row("--arg value not a number", nokvm, "run --payload $G --arg 1=zz",
                "jvmm: --arg takes N=VALUE, not '1=zz'", 2));
        rows.add(new Row("unknown mode", nokvm, "run --payload $G --mode protected",
                "jvmm: --mode must be real or long, not 'protected'", 2));
        rows.add(new Row("unknown CPU model", nokvm, "run --payload $G --cpu qemu64",
                "jvmm: --cpu: unknown CPU model 'qemu64': jvmm offers 'host' (KVM's supported CPUID), optionally followed by ,+feature or ,-feature", 2));
        rows.add(new Row("unknown CPU feature", nokvm, "run --payload $G --cpu host,+frob",
                "jvmm: --cpu: unknown CPU feature 'frob' (docs/machine.md lists the names jvmm knows)", 2));
        rows.add(new Row("CPU property", nokvm, "run --payload $G --cpu host,vendor=GenuineIntel",
                "jvmm: --cpu: 'vendor=GenuineIntel' is not +feature or -feature (jvmm takes no CPU properties)", 2));
        rows.add(new Row("timeout 0", nokvm, "run --payload $G --timeout 0",
                "jvmm: --timeout must be a positive number of seconds, not 0", 2));
        rows.add(new Row("bad --serial", nokvm, "run --payload $G --serial file.txt",
                "jvmm: --serial takes out=FILE, not 'file.txt'", 2));
        rows.add(new Row("bad --stats-interval", nokvm, "run --payload $G --stats-interval often",
                "jvmm: not a duration: 'often' (use e.g. 1s or 500ms)", 2));
        rows.add(new Row("--stats-interval 0", nokvm, "run --payload $G --stats-interval 0ms",
                "jvmm: --stats-interval must be at least 1ms, not '0ms'", 2));
        rows.add(new Row("bad --jfr-threshold", nokvm, "run --payload $G --jfr $T/run.jfr --jfr-threshold fast",
                "jvmm: not a threshold: 'fast' (use e.g. 0, 500ns, 100us, 20ms)", 2));
        rows.add(new Row("--jfr-threshold without a unit", nokvm, "run --payload $G --jfr $T/run.jfr --jfr-threshold 10",
                "jvmm: a threshold needs a unit (ns, us, ms, s): '10'", 2));
        rows.add(new Row("--jfr-threshold without --jfr", nokvm, "run --payload $G --jfr-threshold 0",
                "jvmm: --jfr-threshold goes with --jfr FILE", 2));
        rows.add(new Row("--gdb with a bad address form", nokvm, "run --payload $G --gdb 1234",
                "jvmm: gdb address '1234': expected tcp:HOST:PORT or unix:PATH", 2));
        rows.add(new Row("--gdb on a non-loopback host", nokvm, "run --payload $G --gdb tcp:0.0.0.0:1234",
                "jvmm: gdb address 'tcp:0.0.0.0:1234': 0.0.0.0 is not a loopback address, and a gdb client controls the guest completely: add --gdb-allow-remote to listen there", 2));
        rows.add(new Row("--gdb on a port in use", nokvm, "run --payload $G --gdb tcp:127.0.0.1:$P",
                "jvmm: cannot listen on tcp:127.0.0.1:$P: Address already in use", 2));
        rows.add(new Row("--gdb-wait without --gdb", nokvm, "run --payload $G --gdb-wait",
                "jvmm: --gdb-wait goes with --gdb ADDRESS", 2));
        rows.add(new Row("unknown subcommand", nokvm, "frobnicate",
                "jvmm: Unmatched argument at index 0: 'frobnicate' (see jvmm --help)", 2));
        rows.add(new Row("unknown option", nokvm, "run --payload $G --frob",
                "jvmm: Unknown option: '--frob' (see jvmm run --help)", 2));
        rows.add(new Row("neither --payload nor --kernel", nokvm, "run",
                "jvmm: give either --payload FILE or --kernel FILE", 2));
        rows.add(new Row("no subcommand", nokvm, "",
                "jvmm: missing subcommand: run, compare or bench (see jvmm --help)", 2));
        rows.add(new Row("unknown benchmark", nokvm, "bench nosuch",
                "jvmm: unknown benchmark 'nosuch' (known: exit-roundtrip)", 2));
        rows.add(new Row("unknown compare workload", nokvm, "compare --workload nosuch",
                "jvmm: --workload must be console, blk, all or linux, not 'nosuch'", 2));
        rows.add(new Row("compare --kernel without the Linux workload", nokvm, "compare --kernel $G",
                "jvmm: --kernel and --initrd go with --workload linux", 2));
        rows.add(new Row("compare with a missing kernel", nokvm, "compare --workload linux --kernel $T/missing.bin --initrd $G",
                "jvmm: --kernel $T/missing.bin: no such readable file", 2));
        return rows;
    }

    static Stream<Row> rowStream() {
        return rows().stream();
    }

    @BeforeAll
    static void files() throws IOException {
        tmp = Files.createTempDirectory("jvmm-bad-input");
        busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Files.write(tmp.resolve("empty.bin"), new byte[0]);
        Files.write(tmp.resolve("big.bin"), new byte[4 << 20]);
        Files.write(tmp.resolve("disk.img"), new byte[1 << 20]);
        Files.write(tmp.resolve("locked.img"), new byte[1 << 20]);
        Path readOnly = tmp.resolve("readonly.img");
        Files.write(readOnly, new byte[1 << 20]);
        // Root ignores permission bits; the immutable attribute stops it too (where chattr works).
        if (isRoot()) {
            immutable = run("chattr", "+i", readOnly.toString()) == 0;
        } else {
            immutable = readOnly.toFile().setWritable(false, false);
        }
    }

    @AfterAll
    static void cleanup() throws IOException {
        busy.close();
        if (isRoot() && immutable) {
            run("chattr", "-i", tmp.resolve("readonly.img").toString());
        }
        try (Stream<Path> files = Files.walk(tmp)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rowStream")
    void printsOneLineAndExits(Row row) throws IOException {
        if (row.args().contains("readonly.img") || row.kvmDevice().contains("readonly.img")) {
            assumeTrue(immutable, "cannot make a file read-only for this user (root without chattr +i)");
        }
        String kvm = expand(row.kvmDevice());
        String[] args = row.args().isEmpty() ? new String[0] : expand(row.args()).split(" ");
        String expected = expand(row.message());
        String previous = System.getProperty(KvmNode.PROPERTY);
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        int status;
        try (FileChannel channel = FileChannel.open(tmp.resolve("locked.img"), StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            System.setProperty(KvmNode.PROPERTY, kvm);
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            status = Main.execute(args);
        } finally {
            System.setErr(err);
            System.setOut(out);
            if (previous == null) {
                System.clearProperty(KvmNode.PROPERTY);
            } else {
                System.setProperty(KvmNode.PROPERTY, previous);
            }
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("\tat ") || text.contains("Exception"), () -> "stack trace or exception name:\n" + text);
        assertEquals(expected + "\n", text, () -> "for jvmm " + Arrays.toString(args));
        assertEquals(row.status(), status, "exit status");
        assertEquals("", stdout.toString(StandardCharsets.UTF_8), "nothing on stdout");
    }

    /** The table in docs/bad-input.md lists every row, with the same message and status. */
    @Test
    void documentListsEveryRow() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/bad-input.md"));
        for (Row row : rows()) {
            String line = "| " + row.what() + " | `" + ("jvmm " + row.args()).strip() + "` | `" + row.message() + "` | "
                    + row.status() + " |";
            assertTrue(doc.contains(line), () -> "docs/bad-input.md lacks the row\n" + line);
        }
    }

    private static String expand(String text) {
        return text.replace("$T", tmp.toString()).replace("$G", GUEST).replace("$P", Integer.toString(busy.getLocalPort())).replace("$HOSTMIB", Long.toString(hostMiB()));
    }

    private static long hostMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no MemTotal in /proc/meminfo");
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int run(String... command) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
