package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile guests (guests/src/hostile-*.c) under real KVM: a malicious driver attacks virtio-console
 * and virtio-blk through malformed chains, rings, registers and requests; another sweeps every
 * unclaimed port, unclaimed MMIO and every UART register. Each test asserts what the specification
 * or the hardware prescribes (DEVICE_NEEDS_RESET with a config interrupt, IOERR, refused
 * FEATURES_OK, dropped writes, all-ones reads), that the attacked device works again after a reset
 * and the others never stopped, that no byte of a rejected request reached the host, and that the
 * host saw no fault: no warning or error logged, no thread died, {@link Machine#hostFaults} 0.
 */
@Tag("kvm")
class HostileGuestTest {

    private static final int SUCCESS = 1; // debug-exit of 0
    private static final long RECORDS = MemoryMap.PARAMS + 0x200; // guests/lib/hostile.h
    private static final long TAG = 0x4b5441L << 32;
    private static final long HIGH_MEMORY = (3L << 30) + (64L << 20); // RAM on both sides of the hole
    private static final long LOW_MEMORY = 64L << 20;
    private static final int LIVE = 0xf; // ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK
    private static final int FEATURES_OK_ONLY = 0xb;
    private static final int NEEDS_RESET = 0x40;
    private static final int INT_CONFIG = 2;
    private static final int IOERR = 1;
    private static final int UNSUPP = 2;
    private static final int DISK_BYTES = 1 << 20;

    /** Record words of hostile-virtio (guests/README.md). */
    private static final int STATUS = 0, ISR = 1, USED = 2, DETAIL = 3, DETAIL2 = 4, RECOVERY = 5;

    /** The attacks of hostile-virtio, numbered as in the guest; {@code reset} is why the device must ask for one. */
    private enum Attack {
        CHAIN_LOOP(1, "chain longer than queue size 16"),
        NEXT_OUT_OF_RANGE(2, "next index 16 is not below table size 16"),
        BUFFER_OUTSIDE_RAM(3, "is not inside guest memory"),
        BUFFER_STRADDLES_RAM_END(4, "is not inside guest memory"),
        BUFFER_STRADDLES_HOLE(5, "is not inside guest memory"),
        BUFFER_IN_HOLE(6, "is not inside guest memory"),
        LENGTH_OVERFLOW(7, "total chain length exceeds 2^32 - 1"),
        NESTED_INDIRECT(8, "indirect descriptor inside an indirect table"),
        INDIRECT_ODD_LENGTH(9, "indirect table length 24 is not"),
        AVAIL_AHEAD(10, "entries ahead of"),
        QUEUE_MISALIGNED(11, null),
        QUEUE_OUTSIDE_RAM(12, null),
        QUEUE_SIZE_BAD(13, null),
        NOTIFY_UNSET(14, null),
        FEATURES_UNOFFERED(15, null),
        CONFIG_PAST_END(16, null),
        STATUS_OUT_OF_ORDER(17, null),
        BLK_PAST_END(18, null),
        BLK_READ_ONLY(19, null),
        NOTIFY_STORM(20, null),
        RACE(21, null);

        final int number;
        final String reset;

        Attack(int number, String reset) {
            this.number = number;
            this.reset = reset;
        }

        String guestName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    /** What one run left behind. */
    private record Outcome(RunResult result, String serial, long[][] records, List<Integer> deviceStatus,
                           List<String> faults, List<String> resets) {

        long word(Attack a, int word) {
            return records[a.number][word + 1];
        }

        long word(int attack, int word) {
            return records[attack][word + 1];
        }

        boolean done(int attack) {
            return records[attack][0] == (TAG | attack);
        }

        /** The run ended as the guest chose, and nothing went wrong on the host. */
        void assertClean() {
            assertEquals(SUCCESS, result.exitStatus(), "guest exit: " + result.summary() + "; results "
                    + Arrays.toString(result.guestResults()) + "; serial: " + serial);
            assertTrue(result.vcpuStops().stream().noneMatch(e -> e.isError()), result.vcpuStops() + "\n"
                    + result.vcpuStops().get(0).registers() + "\nresults " + Arrays.toString(result.guestResults()));
            assertEquals(List.of(), faults, "warnings, errors or dead threads on the host");
            assertEquals(0, result.hostFaults(), "Machine.hostFaults");
            for (int status : deviceStatus) {
                assertEquals(0, status & NEEDS_RESET, "a device still needs a reset after the run: " + deviceStatus);
            }
        }
    }

    /** The notify and interrupt paths a parameterised test names, as "notify=exit,irq=line". */
    private static VirtioPaths paths(String name) {
        return switch (name) {
            case "notify=exit,irq=line" -> TestMachines.paths(Notify.EXIT, Interrupt.LINE);
            case "notify=ioeventfd,irq=irqfd" -> TestMachines.paths(Notify.IOEVENTFD, Interrupt.IRQFD);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private Outcome run(String guest, long memory, List<DeviceConfig> devices, long... args) throws IOException {
        return run(guest, memory, 1, devices, args);
    }

    private Outcome run(String guest, long memory, int cpus, List<DeviceConfig> devices, long... args) throws IOException {
        System.err.println("hostile run: " + guest + " " + devices.stream().map(DeviceConfig::kind).toList()
                + " args " + Arrays.toString(args) + " vCPUs " + cpus);
        ByteArrayOutputStream serial = new ByteArrayOutputStream();
        MachineBuilder builder = TestMachines.raw(BuiltinGuests.load(guest), CpuMode.LONG, memory, serial, args).cpus(cpus);
        devices.forEach(builder::device);
        try (HostFaultWatch watch = HostFaultWatch.start(); Machine machine = builder.build()) {
            RunResult result = machine.run(Duration.ofMinutes(3));
            System.err.printf("hostile run: %s took %d ms%n", guest, result.wallNanos() / 1_000_000);
            long[][] records = new long[32][8];
            for (int a = 0; a < 32; a++) {
                for (int w = 0; w < 8; w++) {
                    records[a][w] = machine.memory().readLong(RECORDS + 64L * a + 8L * w);
                }
            }
            List<Integer> status = machine.mmio().entries().stream()
                    .filter(e -> e.device() instanceof VirtioMmioTransport)
                    .map(e -> ((VirtioMmioTransport) e.device()).status()).toList();
            return new Outcome(result, serial.toString(StandardCharsets.ISO_8859_1), records, status,
                    watch.faults(), watch.resets());
        }
    }

    private Path disk(String name, long seed) throws IOException {
        byte[] data = new byte[DISK_BYTES];
        new SplittableRandom(seed).nextBytes(data);
        Path path = tmp.resolve(name);
        Files.write(path, data);
        return path;
    }

    private static byte[] pattern(long n) {
        byte[] bytes = new byte[Math.toIntExact(n)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = BuiltinGuests.patternByte(i);
        }
        return bytes;
    }

    private static String headers(List<Attack> attacks, String end) {
        StringBuilder s = new StringBuilder();
        attacks.forEach(a -> s.append("attack ").append(a.guestName()).append('\n'));
        return s.append(end).append('\n').toString();
    }

    private static long mask(List<Attack> attacks) {
        return attacks.stream().mapToLong(a -> 1L << a.number).reduce(0, (x, y) -> x | y);
    }

    /**
     * Every attack on the virtio-console (slot 0) with the block device as the witness, then every
     * attack on the virtio-blk (slot 1) with the console as the witness, on the exit path with
     * KVM_IRQ_LINE and on the ioeventfd path with irqfd. The machine has RAM on both sides of the
     * 3-4 GiB hole, so buffers can straddle a region end into the hole, and two 2 GiB buffers fit
     * in RAM: the length-overflow chain must be refused for its sum, not for a buffer outside RAM.
     */
    @ParameterizedTest
    @ValueSource(strings = {"notify=exit,irq=line", "notify=ioeventfd,irq=irqfd"})
    void everyVirtioAttackGetsTheSpecifiedAnswerAndTheDevicesRecover(String path) throws IOException {
        for (boolean blk : new boolean[] {false, true}) {
            Path image = disk("disk-" + blk + ".img", 11);
            byte[] before = Files.readAllBytes(image);
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            List<Attack> attacks = new ArrayList<>(List.of(Attack.values()).subList(0, Attack.STATUS_OUT_OF_ORDER.ordinal() + 1));
            if (blk) {
                attacks.add(Attack.BLK_PAST_END);
            }
            Outcome o = run("hostile-virtio", HIGH_MEMORY,
                    List.of(new VirtioConsoleConfig(console, paths(path)), new VirtioBlockConfig(image, false, paths(path))),
                    0, 0, 0, blk ? 1 : 0, blk ? 1 : 2);
            String what = (blk ? "virtio-blk" : "virtio-console") + " " + path;
            o.assertClean();
            assertEquals(headers(attacks, "hostile-virtio done"), o.serial, what);
            assertEquals(mask(attacks), o.result.guestResults()[1], what + ": attacks done");
            assertEquals(0, o.result.guestResults()[2], what + ": the witness disk read something else");
            assertArrayEquals(pattern(64 * o.result.guestResults()[0]), console.toByteArray(),
                    what + ": the console carried exactly the good lines, nothing of a rejected chain");
            assertArrayEquals(before, Files.readAllBytes(image), what + ": no rejected write reached the image");
            List<String> expectedResets = attacks.stream().filter(a -> a.reset != null).map(a -> a.reset).toList();
            assertEquals(expectedResets.size(), o.resets.size(), what + ": resets " + o.resets);
            long recovery = blk ? BuiltinGuests.fnv1a(Arrays.copyOf(before, 4096)) : 64;
            List<Executable> checks = new ArrayList<>();
            for (int i = 0; i < attacks.size(); i++) {
                Attack a = attacks.get(i);
                checks.add(() -> checkAttack(o, a, what, recovery, path.contains("ioeventfd")));
            }
            for (int i = 0; i < expectedResets.size(); i++) {
                String reason = o.resets.get(i);
                String expected = expectedResets.get(i);
                checks.add(() -> assertTrue(reason.contains(expected), what + ": expected a reset for '" + expected
                        + "', got '" + reason + "'"));
            }
            assertAll(what, checks);
        }
    }

    private static void checkAttack(Outcome o, Attack a, String what, long recovery, boolean ioeventfd) {
        String at = what + " " + a.guestName();
        assertTrue(o.done(a.number), at + ": no record");
        assertEquals(recovery, o.word(a, RECOVERY), at + ": the good request after the reset");
        if (a.reset != null) {
            assertEquals(LIVE | NEEDS_RESET, o.word(a, STATUS), at + ": Status");
            assertEquals(INT_CONFIG, o.word(a, ISR) & INT_CONFIG, at + ": config-change interrupt");
            assertEquals(0, o.word(a, USED), at + ": the chain must not be returned");
            return;
        }
        long detail = o.word(a, DETAIL);
        long detail2 = o.word(a, DETAIL2);
        switch (a) {
            case QUEUE_MISALIGNED -> {
                assertEquals(0b1000, detail, at + ": QueueReady after each try (only the aligned one)");
                assertEquals(FEATURES_OK_ONLY, o.word(a, STATUS), at);
            }
            case QUEUE_OUTSIDE_RAM -> {
                assertEquals(1 << 6, detail, at + ": QueueReady after each try (only the one inside RAM)");
                assertEquals(FEATURES_OK_ONLY, o.word(a, STATUS), at);
            }
            case QUEUE_SIZE_BAD -> {
                assertEquals(20, detail, at + ": requests through the 16-entry ring");
                assertEquals(1, detail2, at + ": QueueReady");
                assertEquals(LIVE, o.word(a, STATUS), at);
            }
            case NOTIFY_UNSET -> {
                // On the exit path a notify before DRIVER_OK is dropped at once; an ioeventfd's device
                // thread may serve it after DRIVER_OK, when serving the waiting request is allowed.
                assertTrue(detail == 0 || ioeventfd && detail == 1, at + ": used index before the real notify: " + detail);
                assertEquals(1, detail2, at + ": the real notify");
                assertEquals(LIVE, o.word(a, STATUS), at);
            }
            case FEATURES_UNOFFERED -> {
                assertEquals(1 << 6, detail, at + ": FEATURES_OK kept (only for VERSION_1 alone)");
                assertEquals(FEATURES_OK_ONLY, o.word(a, STATUS), at);
            }
            case CONFIG_PAST_END -> {
                assertEquals(0, detail, at + ": config words changed");
                assertEquals(0, detail2, at + ": reads past the config space");
                assertEquals(LIVE, o.word(a, STATUS), at);
            }
            case STATUS_OUT_OF_ORDER -> {
                // Status after: DRIVER_OK from 0, ACK, ACK|FEATURES_OK, ACK|DRIVER, +DRIVER_OK without
                // FEATURES_OK, clearing DRIVER, setting NEEDS_RESET; then QueueReady before FEATURES_OK.
                assertEquals(0x00_03_03_03_03_01_01_00L, detail, at + ": " + Long.toHexString(detail));
                assertEquals(0x01_0f_01L, detail2, at + ": QueueReady stays, reserved bit refused, request works");
                assertEquals(LIVE, o.word(a, STATUS), at);
            }
            case BLK_PAST_END -> {
                assertEquals(0x01_01_01_01_01_01_01_01L, detail, at + ": every request IOERR: " + Long.toHexString(detail));
                assertEquals(UNSUPP << 8 | IOERR, detail2, at + ": write across the end, unknown type");
                assertEquals(LIVE, o.word(a, STATUS), at);
            }
            default -> throw new AssertionError("no check for " + a);
        }
    }

    @Test
    void aReadOnlyDiskAnswersWritesWithIoerrAndStaysUnchanged() throws IOException {
        Path image = disk("ro.img", 5);
        byte[] before = Files.readAllBytes(image);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Outcome o = run("hostile-virtio", LOW_MEMORY, List.of(new VirtioBlockConfig(image, true, VirtioPaths.DEFAULT), new VirtioConsoleConfig(console)),
                1L << Attack.BLK_READ_ONLY.number, 0, 0, 0, 2);
        o.assertClean();
        assertTrue(o.done(Attack.BLK_READ_ONLY.number));
        assertEquals(1, o.word(Attack.BLK_READ_ONLY, DETAIL2), "VIRTIO_BLK_F_RO offered");
        // write IOERR, WRITE_ZEROES and DISCARD UNSUPP (not offered on a read-only disk), FLUSH OK
        assertEquals(0x00_02_02_01L, o.word(Attack.BLK_READ_ONLY, DETAIL));
        assertEquals(LIVE, o.word(Attack.BLK_READ_ONLY, STATUS));
        assertArrayEquals(before, Files.readAllBytes(image));
        assertArrayEquals(pattern(64), console.toByteArray(), "the witness console");
    }

    /** Whether this CPU is QEMU's TCG emulation, i.e. nested KVM on a machine without /dev/kvm. */
    private static boolean emulatedCpu() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).contains("QEMU TCG");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Kicks of a notify storm: {@code jvmm.hostile.stormKicks} (ioeventfd) and
     * {@code jvmm.hostile.exitStormKicks} (exits) if set, else a million on a real CPU. Under TCG
     * (nested KVM) a kick costs about 110 us on either path: a million took 128 s through the
     * ioeventfd and passed, too long for every CI run, so there the storms are 100 000 kicks each
     * (README, Hardening).
     */
    private static long stormKicks(boolean exits) {
        Long kicks = Long.getLong(exits ? "jvmm.hostile.exitStormKicks" : "jvmm.hostile.stormKicks");
        if (kicks != null) {
            return kicks;
        }
        return emulatedCpu() ? 100_000 : 1_000_000;
    }

    /**
     * QueueNotify writes in a row with a request posted every 1024 (when the previous one is
     * back): through an ioeventfd they stay in KVM, through exits each one reaches the transport.
     */
    @Test
    void aNotifyStormLeavesTheDeviceServingRequests() throws IOException {
        long kicks = stormKicks(false);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Outcome o = run("hostile-virtio", LOW_MEMORY, List.of(new VirtioConsoleConfig(console, TestMachines.paths(Notify.IOEVENTFD, Interrupt.IRQFD))),
                1L << Attack.NOTIFY_STORM.number, 0, kicks, 0, 0);
        o.assertClean();
        long completed = o.word(Attack.NOTIFY_STORM, DETAIL);
        assertEquals(kicks, o.word(Attack.NOTIFY_STORM, DETAIL2), "kicks");
        assertTrue(completed >= 1 && completed <= kicks / 1024 + 1, "requests completed: " + completed);
        assertArrayEquals(pattern(64 * o.result.guestResults()[0]), console.toByteArray());
        long mmio = o.result.merged().exits(ExitReason.MMIO.code());
        assertTrue(mmio < 1000, "the ioeventfd kept the kicks in KVM: " + mmio + " MMIO exits reached jvmm");
        Long inKvm = o.result.kvmDelta().get("vcpu.exits");
        if (inKvm != null) {
            assertTrue(inKvm >= kicks, "KVM counted " + inKvm + " exits for " + kicks + " kicks");
        }

        long slowKicks = stormKicks(true);
        Path image = disk("storm.img", 3);
        Outcome slow = run("hostile-virtio", LOW_MEMORY, List.of(new VirtioBlockConfig(image, false, VirtioPaths.DEFAULT)),
                1L << Attack.NOTIFY_STORM.number, 0, slowKicks, 0, 0);
        slow.assertClean();
        assertEquals(slowKicks, slow.word(Attack.NOTIFY_STORM, DETAIL2));
        long served = slow.word(Attack.NOTIFY_STORM, DETAIL);
        assertTrue(served >= 1 && served <= slowKicks / 1024 + 1, "requests completed: " + served);
        assertTrue(slow.result.merged().exits(ExitReason.MMIO.code()) >= slowKicks, "each kick was an MMIO exit");
    }

    @Test
    void everyValueInEveryUartRegisterLeavesTheUartWorking() throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Outcome o = run("hostile-io", LOW_MEMORY, List.of(new VirtioConsoleConfig(console)), 1L << 1);
        o.assertClean();
        byte[] every = new byte[256];
        for (int i = 0; i < 256; i++) {
            every[i] = (byte) i;
        }
        // With LCR.DLAB clear, offset 0 is THR: the 256 values go out once; nothing else does.
        assertEquals("attack uart\n" + new String(every, StandardCharsets.ISO_8859_1) + "hostile-io done\n", o.serial);
        assertEquals(0, o.word(1, 0), "SCR read back what was written");
        assertEquals(0x60, o.word(1, 1), "LSR after re-initialising: THRE | TEMT");
        assertEquals(0xc1, o.word(1, 2) & 0xcf, "IIR: FIFOs on, no interrupt pending");
        assertEquals(2 * 8 * 256, o.word(1, 3), "register writes");
        assertArrayEquals(pattern(64), console.toByteArray(), "the virtio-console after the sweep");
    }

    /** Ports a device claims on this machine, as guests/src/hostile-io.c skips them. */
    private static final int[][] CLAIMED_PORTS = {{0x20, 2}, {0x40, 4}, {0x60, 5}, {0xa0, 2}, {0xf4, 1}, {0x3f8, 8}, {0x4d0, 2}, {0x600, 3}};

    @Test
    void everyUnclaimedPortReadsAllOnesAndDropsWrites() throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Outcome o = run("hostile-io", LOW_MEMORY, List.of(new VirtioConsoleConfig(console)), 1L << 2);
        o.assertClean();
        long accesses = 0;
        for (int port = 0; port < 0x10000; port++) {
            for (int size = 1; size <= 4; size *= 2) {
                boolean claimed = false;
                for (int[] c : CLAIMED_PORTS) {
                    claimed |= port < c[0] + c[1] && port + size > c[0];
                }
                accesses += claimed ? 0 : 1;
            }
        }
        assertEquals(accesses, o.word(2, 0), "reads");
        assertEquals(accesses, o.word(2, 3), "writes");
        assertEquals(0, o.word(2, 1), "reads not all ones; first: 0x" + Long.toHexString(o.word(2, 2)));
        // The guest sweeps the phase marker's ports too (its register is write-only and reads as all
        // ones): the accesses starting there, of every size, reach the marker and are not unclaimed.
        long marker = 2 * 3 * MemoryMap.PHASE_MARKER_PORT.size();
        assertEquals(2 * accesses - marker, o.result.merged().unclaimedPio(), "every other access reached jvmm as unclaimed");
        assertTrue(o.result.phases().droppedMarks() > 0, "the sweep's writes to the marker are numbers beyond the phases");
        assertEquals("attack ports\nhostile-io done\n", o.serial);
        assertArrayEquals(pattern(64), console.toByteArray(), "the virtio-console after the sweep");
    }

    @Test
    void unclaimedMmioReadsAllOnesAndDropsWrites() throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Outcome o = run("hostile-io", LOW_MEMORY, List.of(new VirtioConsoleConfig(console)), 1L << 3);
        o.assertClean();
        long addresses = o.word(3, 5);
        assertEquals(14, addresses, "addresses swept, below and above 4 GiB");
        assertEquals(5 * addresses, o.word(3, 0), "reads");
        assertEquals(0, o.word(3, 1), "reads not all ones; first at 0x" + Long.toHexString(o.word(3, 2)));
        assertEquals(4 * addresses, o.word(3, 3), "writes");
        assertEquals(0, o.word(3, 4), "wrong-width virtio register accesses must read 0 and change nothing");
        assertTrue(o.result.merged().unclaimedMmio() >= 9 * addresses, "unclaimed MMIO exits: " + o.result.merged().unclaimedMmio());
        assertEquals("attack mmio\nhostile-io done\n", o.serial);
        assertArrayEquals(pattern(64), console.toByteArray(), "the virtio-console after the sweep");
    }
    /** Why the rng must ask for a reset, where it differs from the console and blk: it walks with GuestMemory. */
    private static String rngReset(Attack a) {
        return switch (a) {
            case BUFFER_OUTSIDE_RAM, BUFFER_STRADDLES_RAM_END, BUFFER_STRADDLES_HOLE, BUFFER_IN_HOLE -> "guest memory access outside RAM";
            case LENGTH_OVERFLOW -> null; // it stops at 64 KiB, inside the first 2 GiB buffer
            default -> a.reset;
        };
    }

    /**
     * The virtio-rng (slot 1) under every chain, ring, register and status attack, with device-writable
     * buffers, the virtio-console in slot 0 as the witness, on both notify and interrupt paths, then a
     * notify storm. The rng caps a chain at 64 KiB, so the chain of two 2 GiB buffers is answered (65536
     * bytes) instead of refused; every other broken chain gets DEVICE_NEEDS_RESET, and a good 64-byte
     * request after the reset comes back full.
     */
    @ParameterizedTest
    @ValueSource(strings = {"notify=exit,irq=line", "notify=ioeventfd,irq=irqfd"})
    void everyVirtioAttackOnTheRngGetsTheSpecifiedAnswer(String path) throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        List<Attack> attacks = List.of(Attack.values()).subList(0, Attack.STATUS_OUT_OF_ORDER.ordinal() + 1);
        Outcome o = run("hostile-virtio", HIGH_MEMORY,
                List.of(new VirtioConsoleConfig(console, paths(path)), new VirtioRngConfig(paths(path))), 0, 0, 0, 1, 1);
        String what = "virtio-rng " + path;
        o.assertClean();
        assertEquals(headers(attacks, "hostile-virtio done"), o.serial, what);
        assertEquals(mask(attacks), o.result.guestResults()[1], what + ": attacks done");
        assertArrayEquals(pattern(64 * o.result.guestResults()[0]), console.toByteArray(), what + ": the witness console");
        List<String> expectedResets = attacks.stream().map(HostileGuestTest::rngReset).filter(r -> r != null).toList();
        assertEquals(expectedResets.size(), o.resets.size(), what + ": resets " + o.resets);
        List<Executable> checks = new ArrayList<>();
        for (Attack a : attacks) {
            String at = what + " " + a.guestName();
            if (a == Attack.LENGTH_OVERFLOW) {
                checks.add(() -> {
                    assertTrue(o.done(a.number), at + ": no record");
                    assertEquals(LIVE, o.word(a, STATUS), at + ": Status");
                    assertEquals(1, o.word(a, USED), at + ": the chain came back");
                    assertEquals(65536, o.word(a, DETAIL), at + ": used length, the rng's cap");
                    assertEquals(64, o.word(a, RECOVERY), at);
                });
            } else {
                checks.add(() -> checkAttack(o, a, what, 64, path.contains("ioeventfd")));
            }
        }
        for (int i = 0; i < Math.min(expectedResets.size(), o.resets.size()); i++) {
            String reason = o.resets.get(i);
            String expected = expectedResets.get(i);
            checks.add(() -> assertTrue(reason.contains(expected), what + ": expected a reset for '" + expected + "', got '" + reason + "'"));
        }
        assertAll(what, checks);

        long kicks = emulatedCpu() ? 20_000 : 200_000;
        Outcome storm = run("hostile-virtio", LOW_MEMORY, List.of(new VirtioRngConfig(paths(path))),
                1L << Attack.NOTIFY_STORM.number, 0, kicks, 0, 0);
        storm.assertClean();
        assertEquals(kicks, storm.word(Attack.NOTIFY_STORM, DETAIL2), what + ": kicks");
        long completed = storm.word(Attack.NOTIFY_STORM, DETAIL);
        assertTrue(completed >= 1 && completed <= kicks / 1024 + 1, what + ": requests completed: " + completed);
        assertEquals(64, storm.word(Attack.NOTIFY_STORM, RECOVERY), what + ": after the storm");
    }

    /**
     * Two vCPUs: vCPU 0 posts good requests and notifies, vCPU 1 rewrites descriptors (addresses past
     * RAM and in the hole, lengths up to 4 GiB - 1, flags, next indexes) and the avail ring and index
     * all the while, so the device walks a ring that changes under it. Against the console, the blk
     * and the rng, on both notify paths: the device never faults on the host, never throws out of a
     * vCPU or device thread and answers every round (a used element, DEVICE_NEEDS_RESET, or nothing
     * once the ring says nothing is pending); after it the device works again, the witness worked
     * throughout, the image kept its size, and the VM ends with the guest's own exit.
     */
    @ParameterizedTest
    @ValueSource(strings = {"notify=exit,irq=line", "notify=ioeventfd,irq=irqfd"})
    void aSecondVcpuRewritingTheRingWhileTheDeviceWalksItFaultsNothing(String path) throws IOException {
        long rounds = emulatedCpu() ? 300 : 3000;
        for (int slot = 0; slot < 3; slot++) {
            Path image = disk("race-" + slot + ".img", 17);
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            int witness = slot == 0 ? 2 : 1; // the blk for the console, the console for the others
            Outcome o = run("hostile-virtio", LOW_MEMORY, 2,
                    List.of(new VirtioConsoleConfig(console, paths(path)), new VirtioBlockConfig(image, false, paths(path)),
                            new VirtioRngConfig(paths(path))),
                    1L << Attack.RACE.number, 0, rounds, slot, witness);
            String what = List.of("virtio-console", "virtio-blk", "virtio-rng").get(slot) + " " + path;
            o.assertClean();
            assertEquals("attack race\nhostile-virtio done\n", o.serial, what);
            assertTrue(o.done(Attack.RACE.number), what + ": no record");
            long returned = o.word(Attack.RACE, DETAIL);
            long resets = o.word(Attack.RACE, DETAIL2);
            long quiet = o.word(Attack.RACE.number, RECOVERY + 1);
            System.err.printf("race %s: %d rounds: %d returned, %d needs-reset, %d quiet; %d rewrites by vCPU 1%n",
                    what, rounds, returned, resets, quiet, o.word(Attack.RACE, USED));
            assertEquals(rounds, returned + resets + quiet, what + ": every round ended");
            // A first version of the guest programmed the queue at address 0 by mistake: the device saw
            // nothing pending in any round and the test passed. The device must have walked the ring.
            assertTrue(returned + resets >= rounds / 10, what + ": rounds in which the device answered: " + (returned + resets));
            assertTrue(o.word(Attack.RACE, USED) > 0, what + ": vCPU 1 rewrote the ring");
            assertEquals(DISK_BYTES, Files.size(image), what + ": the image kept its size");
            long recovery = slot == 1 ? BuiltinGuests.fnv1a(Arrays.copyOf(Files.readAllBytes(image), 4096)) : 64;
            assertEquals(recovery, o.word(Attack.RACE, RECOVERY), what + ": the good request after the reset");
            if (slot != 0) {
                assertArrayEquals(pattern(64 * o.result.guestResults()[0]), console.toByteArray(), what + ": the witness console");
            } else {
                assertEquals(0, o.result.guestResults()[2], what + ": the witness disk read something else");
            }
        }
    }

    /** The legacy sweep of hostile-io: the seed whose sequence has every kind of stop (see the test). */
    private static final long LEGACY_SEED = 2;
    private static final int LEGACY_VALUES = 16;

    /**
     * What a PC does with access k of hostile-io's legacy sweep (the same xorshift64 sequence): each byte
     * of a write goes to its own 8-bit port, lowest first, and the first byte that pulses the i8042's
     * reset line (a command 0xf0-0xfe with bit 0 clear on 0x64), powers off (SLP_EN with SLP_TYP 5 on
     * 0x600) or resets (0x01 on 0x602) ends the VM. {@return per access: null, or the stop and a word of its description}
     */
    private static List<String[]> legacyModel() {
        List<String[]> model = new ArrayList<>();
        long x = LEGACY_SEED;
        int[][] ranges = {{0x60, 5}, {0x600, 3}};
        for (int[] range : ranges) {
            for (int port = range[0]; port < range[0] + range[1]; port++) {
                for (int size = 1; size <= 4; size *= 2) {
                    for (int n = 0; n < LEGACY_VALUES; n++) {
                        x ^= x << 13;
                        x ^= x >>> 7;
                        x ^= x << 17;
                        long v = x >>> 32;
                        String[] stop = null;
                        for (int b = 0; b < size && stop == null; b++) {
                            int p = port + b;
                            int value = (int) (v >>> (8 * b)) & 0xff;
                            if (p == 0x64 && (value & 0xf1) == 0xf0) {
                                stop = new String[] {"RESET", "i8042"};
                            } else if (p == 0x600 && (value & 0x20) != 0 && ((value >> 2) & 7) == 5) {
                                stop = new String[] {"POWER_OFF", "powered off"};
                            } else if (p == 0x602 && value == 1) {
                                stop = new String[] {"RESET", "rebooted"};
                            }
                        }
                        model.add(stop);
                    }
                }
            }
        }
        return model;
    }

    /**
     * Every port of the i8042 (0x60-0x64) and of the ACPI power ports (0x600-0x602), writes of 1, 2 and 4
     * bytes with 16 random values each, every write followed by a read: each read gives what the byte
     * model says (data 0, status 0x04, power ports 0, every other byte all ones), and the VM ends at
     * exactly the access the model says, with the stop it says (i8042 reset, ACPI power-off, ACPI reset).
     * Then the sweep goes on from the access after it in a new VM, until it runs to its end.
     */
    @Test
    void theI8042AndThePowerPortsEndTheVmExactlyWhereAPcWould() throws IOException {
        List<String[]> model = legacyModel();
        Set<String> kinds = new HashSet<>();
        int start = 0;
        int runs = 0;
        while (true) {
            int end = start;
            while (end < model.size() && model.get(end) == null) {
                end++;
            }
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            Outcome o = run("hostile-io", LOW_MEMORY, List.of(new VirtioConsoleConfig(console)),
                    1L << 4, 0, 0, 0, 0, 0, start, LEGACY_SEED, LEGACY_VALUES);
            runs++;
            String at = "sweep from access " + start;
            assertTrue(o.result.vcpuStops().stream().noneMatch(e -> e.isError()), at + ": " + o.result.vcpuStops());
            assertEquals(List.of(), o.faults, at + ": warnings, errors or dead threads on the host");
            assertEquals(0, o.result.hostFaults(), at + ": Machine.hostFaults");
            assertEquals(0, o.word(4, 1), at + ": reads that differ from a PC's; first: 0x" + Long.toHexString(o.word(4, 2)));
            if (end == model.size()) {
                o.assertClean();
                assertEquals("attack legacy\nhostile-io done\n", o.serial, at);
                assertEquals(model.size(), o.word(4, 0), at + ": accesses");
                assertEquals(model.size() - start, o.word(4, 3), at + ": accesses made");
                break;
            }
            String[] stop = model.get(end);
            assertEquals("attack legacy\n", o.serial, at);
            assertEquals(end, o.word(4, 0), at + ": the VM must end at access " + end + " (" + stop[1] + "), "
                    + o.result.cause());
            assertEquals(StopCause.Kind.valueOf(stop[0]), o.result.cause().kind(), at + ": " + o.result.cause());
            assertTrue(o.result.cause().description().contains(stop[1]), at + ": " + o.result.cause());
            assertEquals(0, o.result.exitStatus(), at);
            kinds.add(stop[1]);
            start = end + 1;
        }
        assertEquals(Set.of("i8042", "powered off", "rebooted"), kinds, "the seed's sequence has every kind of stop");
        System.err.println("legacy sweep: " + model.size() + " accesses in " + runs + " VMs");
    }
}
