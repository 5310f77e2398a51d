package org.jvmm.bench;

import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.SyntheticVcpus;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.sys.BenchCalls;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.jvmm.core.vcpu.Vcpu;
import org.jvmm.core.vcpu.VcpuSteps;
import org.jvmm.devices.serial.Serial;
import org.jvmm.devices.virtio.DeviceStatus;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;
import org.jvmm.machine.MemoryMap;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Java cost of an exit, measured on any host, KVM or not: jvmm's vCPU loop body exactly as it
 * runs ({@code Vcpu.step}: the run downcall, without errno capture as jvmm makes it, the exit read from
 * {@code kvm_run}, the clock read when the exit is timed, dispatch through the bus to the device,
 * the accounting) against a C loop doing the same work ({@code src/main/c/exit_cost.c}: the same
 * devices, a bus searched the same way, a count per reason and per port or device). In both, the
 * {@code KVM_RUN} ioctl is replaced by the same cheap call ({@code call}):
 *
 * <ul>
 *   <li>{@code ioctl}: {@code ioctl(fd, FIOCLEX)} on an fd of {@code /dev/null}, a system call that
 *       marks the fd close-on-exec and returns 0. Where system calls are slow and noisy (this
 *       project's hosts are PVM guests: about 1.2 us each, give or take hundreds of ns), it buries
 *       the difference;
 *   <li>{@code noop}: {@code jvmm_bench_run_noop}, a C function with ioctl's signature that returns
 *       0 at once, called from Java through a downcall of exactly the shape of jvmm's KVM_RUN call
 *       (ioctl without errno capture, variadic after two arguments) and from C through a function
 *       pointer. Everything
 *       but the kernel's part, precisely.
 * </ul>
 *
 * <p>The {@code kvm_run} image holds one synthetic exit, so each iteration handles that exit again:
 *
 * <ul>
 *   <li>{@code pioOutUart}: a byte written to the 8250's THR (port 0x3f8);
 *   <li>{@code pioInLsr}: a read of its LSR (port 0x3fd), the poll of a guest waiting to send;
 *   <li>{@code mmioQueueNotify}: a 4-byte write of QueueNotify to a virtio-mmio transport at
 *       0xd0000000 whose device (DRIVER_OK, queue 0 ready) finds its avail ring empty;
 *   <li>{@code hlt}: an HLT, which stops the vCPU (the loop carries on; the exit is what counts).
 * </ul>
 *
 * <p>{@code exit} minus {@code cExit} is the Java overhead per exit; {@code call} and
 * {@code cCall} are the stand-in call alone, the part both pay (their difference is the downcall's
 * own cost). {@code accounting}: {@code sampled}
 * (jvmm's default: every exit counted, about one in {@link ExitStats#DEFAULT_TIMING_INTERVAL}
 * timed), {@code every} (every exit timed: two clock reads each) or {@code off}.
 * {@code vcpuRun} is {@code VcpuFd.run()} alone, the production run call through the benchmark's
 * seam; {@code rawVcpuRun}, its baseline, is the same call and exit-reason read written out
 * directly, so their ratio shows what the seam costs the production path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ExitCostBenchmark {

    /** Exits per JMH invocation. */
    static final int EXITS = 1000;
    /** FIOCLEX from asm-generic/ioctls.h: set close-on-exec; always succeeds on an open fd. */
    static final long FIOCLEX = 0x5451;
    static final int SINK_PORT = 0x10;
    static final long VIRTIO_BASE = MemoryMap.virtioSlot(0).base();
    /** VIRTIO_MMIO_QUEUE_NOTIFY (package-private in the transport). */
    static final int QUEUE_NOTIFY = 0x050;
    static final long DESC = 0x1000;
    static final long AVAIL = 0x2000;
    static final long USED = 0x3000;
    static final int QUEUE_SIZE = 256;
    /** Where the I/O data of an exit lies: the page after kvm_run's header, as KVM puts it. */
    static final long DATA_OFFSET = 4096;

    /** A synthetic vCPU over {@code fd} whose run call is {@code call}: "noop" or "ioctl" (FIOCLEX). */
    static VcpuFd vcpuFd(String call, int fd, MemorySegment page) {
        return switch (call) {
            case "noop" -> SyntheticVcpus.noop(fd, FIOCLEX, page);
            case "ioctl" -> SyntheticVcpus.ioctl(fd, FIOCLEX, page);
            default -> throw new IllegalArgumentException("unknown run call " + call);
        };
    }

    /** Opens /dev/null read-write: the harmless fd the stand-in ioctl is made on. */
    static int openDevNull(Arena arena, CallState state) {
        int fd = Libc.open(state, arena.allocateFrom("/dev/null"), Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("cannot open /dev/null: errno " + state.errno());
        }
        return fd;
    }

    /** A device that adds up what it is written. */
    static final class Sum implements BusDevice {
        long sum;

        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            sum += value;
        }
    }

    /** A virtio device whose queue 0 is drained on every notify (the benchmark's ring stays empty). */
    static final class DrainingDevice implements VirtioDevice {
        private VirtioContext context;
        long popped;

        @Override public int deviceId() { return 4; }
        @Override public long features() { return 0; }
        @Override public int queueCount() { return 1; }
        @Override public int queueMaxSize(int queue) { return QUEUE_SIZE; }
        @Override public int configSize() { return 0; }
        @Override public long readConfig(int offset, int size) { return 0; }
        @Override public void activate(VirtioContext c) { this.context = c; }
        @Override public void reset() { context = null; }

        @Override
        public void queueNotified(int queue) {
            while (context.queue(queue).pop() != null) {
                popped++;
            }
        }
    }

    /** The same machine in Java and in C, both showing one exit kind. */
    @State(Scope.Thread)
    public static class Machine {
        @Param({"pioOutUart", "pioInLsr", "mmioQueueNotify", "hlt"})
        public String exit;

        @Param({"noop", "ioctl"})
        public String call;

        Arena arena;
        GuestRam ram;
        Serial serial;
        VirtioMmioTransport virtio;
        ExitDispatcher dispatcher;
        VcpuFd fd;
        Vcpu vcpu;
        KvmRun run;
        MemorySegment cMachine;
        int expectedAction;

        @Setup(Level.Trial)
        public void setup() {
            arena = Arena.ofShared();
            ram = GuestRam.allocate(1 << 20);
            serial = new Serial(InterruptLine.NONE, OutputStream.nullOutputStream());
            virtio = new VirtioMmioTransport(new DrainingDevice(), ram.memory(), InterruptLine.NONE);
            driveToDriverOk(virtio);
            Bus pio = new Bus("pio");
            pio.register("sink", new AddressRange(SINK_PORT, 1), new Sum());
            pio.register("serial", MemoryMap.COM1, serial);
            Bus mmio = new Bus("mmio");
            mmio.register("virtio", new AddressRange(VIRTIO_BASE, VirtioMmioTransport.SIZE), virtio);
            dispatcher = new ExitDispatcher(pio, mmio, new ExitStats(0, mmio.entries().size()));
            MemorySegment page = arena.allocate(2 * DATA_OFFSET, 4096);
            fd = vcpuFd(call, openDevNull(arena, new CallState(arena)), page);
            vcpu = new Vcpu(fd, dispatcher);
            run = fd.kvmRun();
            fill(run, exit);
            expectedAction = exit.equals("hlt") ? ExitDispatcher.STOP : ExitDispatcher.CONTINUE;
            cMachine = CReference.exitMachine(ram.regions().get(0).memory().asSlice(AVAIL + 2, 2));
            check();
        }

        /** The driver's side of bringing up queue 0, through the transport's registers. */
        private static void driveToDriverOk(VirtioMmioTransport t) {
            t.write(0x070, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
            t.write(0x024, 4, 1); // DriverFeaturesSel: the high word
            t.write(0x020, 4, 1); // VIRTIO_F_VERSION_1
            t.write(0x070, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
            t.write(0x030, 4, 0); // QueueSel
            t.write(0x038, 4, QUEUE_SIZE);
            t.write(0x080, 4, DESC);
            t.write(0x084, 4, 0);
            t.write(0x090, 4, AVAIL);
            t.write(0x094, 4, 0);
            t.write(0x0a0, 4, USED);
            t.write(0x0a4, 4, 0);
            t.write(0x044, 4, 1); // QueueReady
            t.write(0x070, 4, DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK
                    | DeviceStatus.DRIVER_OK);
            long status = t.read(0x070, 4);
            if ((status & DeviceStatus.DRIVER_OK) == 0 || (status & DeviceStatus.DEVICE_NEEDS_RESET) != 0) {
                throw new IllegalStateException("the virtio transport refused the set-up: status 0x" + Long.toHexString(status));
            }
        }

        static void fill(KvmRun run, String exit) {
            switch (exit) {
                case "pioOutUart" -> {
                    run.setExitReason(ExitReason.IO.code());
                    run.setIo(KvmRun.IO_OUT, 1, (int) MemoryMap.COM1.base() + Serial.DATA, 1, DATA_OFFSET);
                    run.setIoValue(0, 'x');
                }
                case "pioInLsr" -> {
                    run.setExitReason(ExitReason.IO.code());
                    run.setIo(KvmRun.IO_IN, 1, (int) MemoryMap.COM1.base() + Serial.LSR, 1, DATA_OFFSET);
                }
                case "mmioQueueNotify" -> {
                    run.setExitReason(ExitReason.MMIO.code());
                    run.setMmio(VIRTIO_BASE + QUEUE_NOTIFY, 4, true, 0);
                }
                case "hlt" -> run.setExitReason(ExitReason.HLT.code());
                default -> throw new IllegalArgumentException("unknown exit " + exit);
            }
        }

        /** Both loops handle the exit as expected before anything is timed. */
        private void check() {
            long before = dispatcher.stats().snapshot().totalExits();
            int action = VcpuSteps.step(vcpu, run);
            if (action != expectedAction || dispatcher.stats().snapshot().totalExits() != before + 1) {
                throw new IllegalStateException(exit + ": the Java loop returned " + action + ", expected " + expectedAction);
            }
            if (exit.equals("pioInLsr") && run.ioValue(0) != (Serial.LSR_THRE | Serial.LSR_TEMT)) {
                throw new IllegalStateException("LSR read 0x" + Long.toHexString(run.ioValue(0)));
            }
            long stops = CReference.exitLoop(cMachine, noop(), fd.fd(), FIOCLEX, run.segment(), 10);
            if (stops != (expectedAction == ExitDispatcher.STOP ? 10 : 0)) {
                throw new IllegalStateException(exit + ": the C loop stopped " + stops + " times in 10 exits");
            }
            if (exit.equals("pioInLsr") && run.ioValue(0) != (Serial.LSR_THRE | Serial.LSR_TEMT)) {
                throw new IllegalStateException("the C UART's LSR read 0x" + Long.toHexString(run.ioValue(0)));
            }
        }

        boolean noop() {
            return call.equals("noop");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            CReference.freeExitMachine(cMachine);
            vcpu.close();
            fd.close();
            serial.close();
            ram.close();
            arena.close();
        }
    }

    /** jvmm's exit accounting for the Java loop; the C loop always counts and never times. */
    @State(Scope.Thread)
    public static class Accounting {
        @Param({"sampled", "every", "off"})
        public String accounting;

        @Setup(Level.Trial)
        public void setup(Machine machine) {
            ExitStats stats = machine.dispatcher.stats();
            stats.setEnabled(!accounting.equals("off"));
            stats.setTimingInterval(accounting.equals("every") ? 1 : ExitStats.DEFAULT_TIMING_INTERVAL);
        }
    }

    /** The stand-in run call alone. */
    @State(Scope.Thread)
    public static class RunCallAlone {
        @Param({"noop", "ioctl"})
        public String call;

        Arena arena;
        CallState state;
        int devNull;
        boolean noop;
        VcpuFd fd;
        KvmRun run;

        @Setup(Level.Trial)
        public void setup() {
            noop = call.equals("noop");
            arena = Arena.ofShared();
            state = new CallState(arena);
            devNull = openDevNull(arena, state);
            fd = vcpuFd(call, openDevNull(arena, state), arena.allocate(2 * DATA_OFFSET, 4096));
            run = fd.kvmRun();
            run.setExitReason(ExitReason.HLT.code());
            if (direct() != 0 || fd.run() != ExitReason.HLT) {
                throw new IllegalStateException("the " + call + " run call failed");
            }
        }

        /** The run call made directly, without VcpuFd. */
        int direct() {
            return noop ? BenchCalls.noop(devNull, FIOCLEX, 0L) : Libc.ioctlWithoutErrno(devNull, FIOCLEX, 0L);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            fd.close();
            Libc.close(state, devNull);
            arena.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public int exit(Machine machine, Accounting accounting) {
        int stops = 0;
        for (int i = 0; i < EXITS; i++) {
            stops += VcpuSteps.step(machine.vcpu, machine.run);
        }
        return stops;
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public long cExit(Machine machine) {
        return CReference.exitLoop(machine.cMachine, machine.noop(), machine.fd.fd(), FIOCLEX, machine.run.segment(), EXITS)
                + CReference.exitChecksum(machine.cMachine);
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public int call(RunCallAlone s) {
        int sum = 0;
        if (s.noop) {
            for (int i = 0; i < EXITS; i++) {
                sum += BenchCalls.noop(s.devNull, FIOCLEX, 0L);
            }
        } else {
            for (int i = 0; i < EXITS; i++) {
                sum += Libc.ioctlWithoutErrno(s.devNull, FIOCLEX, 0L);
            }
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public void cCall(RunCallAlone s) {
        CReference.callLoop(s.noop, s.devNull, FIOCLEX, EXITS);
    }

    @Benchmark
    @OperationsPerInvocation(EXITS)
    public int vcpuRun(RunCallAlone s) {
        int sum = 0;
        for (int i = 0; i < EXITS; i++) {
            sum += s.fd.run().code();
        }
        return sum;
    }

    /** {@code VcpuFd.run()} written out: the run call made directly, then the exit reason read. */
    @Benchmark
    @OperationsPerInvocation(EXITS)
    public int rawVcpuRun(RunCallAlone s) {
        int sum = 0;
        for (int i = 0; i < EXITS; i++) {
            if (s.direct() == -1) {
                throw new IllegalStateException("the run call failed");
            }
            sum += s.run.exitReason().code();
        }
        return sum;
    }
}
