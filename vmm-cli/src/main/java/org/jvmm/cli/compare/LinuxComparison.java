package org.jvmm.cli.compare;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jvmm.core.stats.ExitReport;
import org.jvmm.core.stats.Phase;
import org.jvmm.devices.virtio.VirtioFeatures;
import org.jvmm.machine.BuiltinGuests;
import org.jvmm.machine.Interrupt;
import org.jvmm.machine.KernelBoot;
import org.jvmm.machine.Machine;
import org.jvmm.machine.MemoryMap;
import org.jvmm.machine.Notify;
import org.jvmm.machine.RunResult;
import org.jvmm.machine.VirtioBlockConfig;
import org.jvmm.machine.VirtioConsoleConfig;
import org.jvmm.machine.VirtioPaths;

/**
 * {@code jvmm compare --workload linux}: the same console bytes and disk reads as the built-in
 * workloads, moved by Linux's own drivers. Each machine boots the kernel with an init of jvmm's
 * (linux-init.sh, in a cpio archive appended to the base initramfs at run time) that writes the
 * phase marker around each transfer; a row counts the exits of its transfer's phase only, so boot
 * and set-up do not blur it.
 *
 * <p>One machine per combination of notify path, interrupt path and EVENT_IDX offered or not, each
 * with COM1, virtio-console and virtio-blk on the same paths: the first also sends the bytes to
 * {@code /dev/ttyS0} (the 8250 row, the baseline), every one sends them to {@code /dev/hvc0} and reads
 * the disk from {@code /dev/vda} with O_DIRECT. The console bytes are checked byte for byte on the
 * host side, the disk by the guest's MD5 against the host file's.
 *
 * @param bytes     console bytes per transfer
 * @param blkBytes  disk bytes read per transfer, a multiple of 512
 * @param repeat    boots per combination; each row keeps its median transfer by wall time
 * @param kvmDevice the KVM device node
 * @param guest     the kernel and base initramfs
 * @param progress  where a line per boot goes (these runs take minutes under nested KVM)
 */
public record LinuxComparison(int bytes, int blkBytes, int repeat, Path kvmDevice, LinuxGuest guest,
                              PrintStream progress) {

    /** The workload of the console rows. */
    public static final String CONSOLE = "linux-console";
    /** The workload of the block rows. */
    public static final String BLK = "linux-blk";
    /** The phases linux-init.sh marks: everything but the transfers, then one per transfer. */
    static final int PHASE_OTHER = 0;
    static final int PHASE_TTYS0 = 1;
    static final int PHASE_HVC0 = 2;
    static final int PHASE_VDA = 3;
    /** The 8250 row's name, the console workload's baseline. */
    static final String TTYS0_ROW = "ttyS0 (Linux 8250 driver)";

    private static final long MEMORY = 256L << 20;
    private static final Duration BOOT_LIMIT = Duration.ofMinutes(15);
    private static final String BEGIN = "JVMM-BEGIN ttyS0\n";
    private static final String END = "JVMM-END ttyS0\n";

    /**
     * Checks the sizes.
     *
     * @param bytes     console bytes
     * @param blkBytes  disk bytes
     * @param repeat    boots per combination
     * @param kvmDevice KVM node
     * @param guest     kernel and initramfs
     * @param progress  progress lines
     */
    public LinuxComparison {
        if (bytes < 1 || blkBytes < 512 || blkBytes % 512 != 0 || repeat < 1) {
            throw new IllegalArgumentException("--bytes must be positive, --blk-bytes a positive multiple of 512, --repeat positive");
        }
    }

    /** {@return the machines: every notify path, interrupt path and EVENT_IDX offered or not} */
    static List<VirtioPaths> machines() {
        List<VirtioPaths> all = new ArrayList<>();
        for (Notify notify : List.of(Notify.EXIT, Notify.IOEVENTFD)) {
            for (Interrupt irq : List.of(Interrupt.LINE, Interrupt.IRQFD)) {
                for (boolean eventIdx : List.of(true, false)) {
                    all.add(new VirtioPaths(notify, irq, eventIdx));
                }
            }
        }
        return all;
    }

    /** {@return the name of a machine's paths in rows, e.g. "notify=exit irq=line event-idx=on"} */
    static String pathsName(VirtioPaths paths) {
        return "notify=" + paths.notifyPath().name().toLowerCase() + " irq=" + paths.interruptPath().name().toLowerCase()
                + " event-idx=" + (paths.eventIdx() ? "on" : "off");
    }

    /** {@return the dd block size for a disk of {@code blkBytes}: 64 KiB where it divides, else 4 KiB or 512} */
    static int blockSize(int blkBytes) {
        return blkBytes % 65536 == 0 ? 65536 : blkBytes % 4096 == 0 ? 4096 : 512;
    }

    /**
     * Boots every machine {@code repeat} times and gives one row per transfer: the 8250 first (the
     * console baseline), then virtio-console and virtio-blk on each machine's paths.
     *
     * @return the rows, console rows first
     * @throws IOException when the temporary disk or initramfs cannot be written
     */
    public List<Row> measure() throws IOException {
        byte[] pattern = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            pattern[i] = BuiltinGuests.patternByte(i);
        }
        byte[] disk = new byte[blkBytes];
        new SplittableRandom(42).nextBytes(disk);
        Path image = Files.createTempFile("jvmm-compare-linux", ".img");
        Path initrd = Files.createTempFile("jvmm-compare-linux", ".cpio");
        try {
            Files.write(image, disk);
            Files.write(initrd, initramfs(Files.readAllBytes(guest.initrd()), pattern));
            Map<String, List<Row>> runs = new LinkedHashMap<>();
            List<VirtioPaths> machines = machines();
            String diskMd5 = md5(disk);
            for (int round = 0; round < repeat; round++) {
                for (int m = 0; m < machines.size(); m++) {
                    progress.printf("jvmm compare: Linux, boot %d of %d: %s%s%n", round * machines.size() + m + 1,
                            repeat * machines.size(), pathsName(machines.get(m)), m == 0 ? ", and ttyS0" : "");
                    for (Row row : boot(machines.get(m), m == 0, initrd, image, pattern, diskMd5)) {
                        runs.computeIfAbsent(row.workload() + "/" + row.path(), k -> new ArrayList<>()).add(row);
                    }
                }
            }
            return rows(runs);
        } finally {
            Files.deleteIfExists(image);
            Files.deleteIfExists(initrd);
        }
    }

    /** Each row's median run by wall time (a failed run stands if any run failed), with its reductions. */
    private static List<Row> rows(Map<String, List<Row>> runs) {
        List<Row> medians = new ArrayList<>();
        for (List<Row> rows : runs.values()) {
            Row failed = rows.stream().filter(r -> !r.verified()).findFirst().orElse(null);
            List<Row> sorted = rows.stream().sorted(Comparator.comparingDouble(Row::wallMs)).toList();
            medians.add(failed != null ? failed : sorted.get(sorted.size() / 2));
        }
        Row baseline = medians.stream().filter(r -> r.path().equals(TTYS0_ROW)).findFirst().orElse(null);
        List<Row> out = new ArrayList<>();
        for (String workload : List.of(CONSOLE, BLK)) {
            for (Row r : medians) {
                if (r.workload().equals(workload)) {
                    out.add(workload.equals(CONSOLE) ? r.against(baseline) : r);
                }
            }
        }
        return out;
    }

    /**
     * The initramfs: the base one, then jvmm's archive with {@code /init} and {@code /jvmm/pattern},
     * which Linux unpacks after the base and so lets replace its {@code /init}.
     *
     * @param base    the base initramfs (compressed or not)
     * @param pattern the console bytes
     * @return the two archives, one after the other
     * @throws IOException when the init script cannot be read from the jar
     */
    static byte[] initramfs(byte[] base, byte[] pattern) throws IOException {
        byte[] init;
        try (InputStream in = LinuxComparison.class.getResourceAsStream("linux-init.sh")) {
            if (in == null) {
                throw new IOException("linux-init.sh is missing from jvmm's jar");
            }
            init = in.readAllBytes();
        }
        byte[] ours = new Cpio().file("init", 0755, init).directory("jvmm").file("jvmm/pattern", 0644, pattern).finish();
        int padded = (base.length + 3) / 4 * 4;
        byte[] all = Arrays.copyOf(base, padded + ours.length);
        System.arraycopy(ours, 0, all, padded, ours.length);
        return all;
    }

    /** The kernel command line: the console on COM1, quiet, and the init's parameters. */
    private String cmdline(boolean tty) {
        return "console=ttyS0 loglevel=1 panic=-1 jvmm_marker=0x" + Long.toHexString(MemoryMap.PHASE_MARKER.base())
                + " jvmm_bytes=" + bytes + " jvmm_blk_bytes=" + blkBytes + " jvmm_blk_bs=" + blockSize(blkBytes)
                + " jvmm_do=" + (tty ? "thb" : "hb");
    }

    private List<Row> boot(VirtioPaths paths, boolean tty, Path initrd, Path image, byte[] pattern, String md5) {
        String suffix = " " + pathsName(paths);
        List<String> names = new ArrayList<>();
        if (tty) {
            names.add(TTYS0_ROW);
        }
        names.add("hvc0" + suffix);
        names.add("vda" + suffix);
        ByteArrayOutputStream serial = new ByteArrayOutputStream();
        ByteArrayOutputStream hvc = new ByteArrayOutputStream();
        try (Machine machine = Machine.builder()
                .kvmDevice(kvmDevice)
                .memory(MEMORY)
                .boot(KernelBoot.of(guest.kernel(), initrd, cmdline(tty)))
                .serial(serial, null)
                .device(new VirtioConsoleConfig(hvc, paths))
                .device(new VirtioBlockConfig(image, true, paths))
                .events(line -> { })
                .build()) {
            RunResult result = machine.run(BOOT_LIMIT);
            InitLog log = InitLog.parse(serial.toByteArray());
            if (result.error() || !log.done()) {
                String why = result.summary() + (log.errors().isEmpty() ? "" : "; " + String.join("; ", log.errors()))
                        + "; console: " + log.tail();
                return names.stream().map(n -> Row.failed(n.startsWith("vda") ? BLK : CONSOLE, n,
                        new IllegalStateException(why))).toList();
            }
            List<String> machineNotes = new ArrayList<>(result.notes());
            boolean eventIdx = machine.virtioTransports().stream().allMatch(t ->
                    (t.negotiatedFeatures() & VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX)) != 0);
            String negotiated = paths.eventIdx() ? (eventIdx ? "EVENT_IDX negotiated" : "EVENT_IDX offered, not negotiated")
                    : "EVENT_IDX not offered";
            List<Row> rows = new ArrayList<>();
            if (tty) {
                // Without the driver's byte count the phase may have ended before the last byte left.
                boolean ok = ttyS0Arrived(serial.toByteArray(), pattern)
                        && log.errors().stream().noneMatch(e -> e.startsWith("ttyS0"));
                String uart = "Linux's 8250 driver, interrupt-driven (it detected a " + log.field("ttyS0", "uart")
                        + "); from the first byte written to the last one sent";
                String mismatch = ok ? "" : "bytes on COM1 differ or were not counted out: " + String.join("; ", log.errors());
                rows.add(row(CONSOLE, TTYS0_ROW, result, PHASE_TTYS0, bytes, ok, log.guestMs("ttyS0"), uart, mismatch,
                        List.of()));
            }
            boolean hvcOk = Arrays.equals(hvc.toByteArray(), pattern);
            rows.add(row(CONSOLE, "hvc0" + suffix, result, PHASE_HVC0, bytes, hvcOk, log.guestMs("hvc0"),
                    "virtio_console through hvc0; " + negotiated, hvcOk ? "" : "got " + hvc.size() + " bytes on hvc0, not"
                            + " the " + bytes + " of the pattern", machineNotes));
            boolean vdaOk = "0".equals(log.field("vda", "rc")) && md5.equals(log.field("vda", "md5"))
                    && Integer.toString(blkBytes).equals(log.field("vda", "bytes"));
            rows.add(row(BLK, "vda" + suffix, result, PHASE_VDA, blkBytes, vdaOk, log.guestMs("vda"),
                    "virtio_blk, dd iflag=direct bs=" + blockSize(blkBytes) + "; " + negotiated,
                    vdaOk ? "" : "disk read " + log.transfers().getOrDefault("vda", Map.of()) + ", host MD5 " + md5,
                    machineNotes));
            return rows;
        } catch (IOException | RuntimeException e) {
            return names.stream().map(n -> Row.failed(n.startsWith("vda") ? BLK : CONSOLE, n, e)).toList();
        }
    }

    private static Row row(String workload, String name, RunResult result, int phaseNumber, long size, boolean ok,
                           Double guestMs, String what, String mismatch, List<String> machineNotes) {
        Phase phase = result.phases().phase(phaseNumber).orElse(null);
        if (phase == null || phase.marks() != 1) {
            return Row.failed(workload, name, new IllegalStateException("the guest marked phase " + phaseNumber + " "
                    + (phase == null ? "never" : phase.marks() + " times") + ": " + result.summary()));
        }
        List<String> notes = new ArrayList<>();
        if (!mismatch.isEmpty()) {
            notes.add(mismatch);
        }
        Long irqs = phase.kvmCounters().get("vcpu.irq_injections");
        Long kvmRun = result.kvmDelta().get("vcpu.exits");
        notes.add(what + (irqs == null ? "" : "; " + irqs + " interrupts injected") + "; exits by device: "
                + ExitReport.compact(phase.exitsByDevice()) + "; the whole boot: " + result.merged().totalExits()
                + " user exits" + (kvmRun == null ? "" : ", " + kvmRun + " KVM exits"));
        notes.addAll(machineNotes);
        return Row.ofPhase(workload, name, phase, size, ok, guestMs, notes);
    }

    /** Whether COM1 carried the begin line, exactly the pattern, then the end line. */
    static boolean ttyS0Arrived(byte[] console, byte[] pattern) {
        String text = new String(console, StandardCharsets.ISO_8859_1);
        int begin = text.indexOf(BEGIN);
        if (begin < 0) {
            return false;
        }
        int start = begin + BEGIN.length();
        return text.length() >= start + pattern.length + END.length()
                && Arrays.equals(console, start, start + pattern.length, pattern, 0, pattern.length)
                && text.startsWith(END, start + pattern.length);
    }

    static String md5(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }
}
