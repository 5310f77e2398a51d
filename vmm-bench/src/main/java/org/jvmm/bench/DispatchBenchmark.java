package org.jvmm.bench;

import org.jvmm.machine.MemoryMap;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.irq.InterruptLine;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.vcpu.ExitDispatcher;
import org.jvmm.devices.serial.Serial;
import org.jvmm.devices.virtio.VirtioContext;
import org.jvmm.devices.virtio.VirtioDevice;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Exit dispatch without KVM: a synthetic {@code kvm_run} image of each exit kind goes through
 * {@link ExitDispatcher#dispatch} to a device on the bus, with exit accounting on and off. The
 * {@code baseline*} methods do the same work with a bare switch over the same run image, calling
 * the device directly: the difference is what the dispatcher (bus lookup, accounting) costs.
 * Each invocation makes the vCPU loop's clock call ({@link ExitDispatcher#exitClock}) as
 * {@code Vcpu} does: with stats on, about one exit in {@link ExitStats#DEFAULT_TIMING_INTERVAL}
 * pays the two clock reads of a timed exit, every exit is counted; {@link ClockBenchmark} measures
 * one read in the same run.
 *
 * <p>Each exit kind has its own {@code kvm_run} image, filled once in setup; dispatch only reads it
 * (and an IN writes its answer into the data area), so every invocation sees the same exit.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class DispatchBenchmark {

    static final int COM1 = (int) MemoryMap.COM1.base();
    static final long VIRTIO_BASE = MemoryMap.VIRTIO_BASE;
    static final int QUEUE_NOTIFY = VirtioMmioTransport.QUEUE_NOTIFY_OFFSET;
    static final long DATA_OFFSET = 2048;

    @Param({"true", "false"})
    public boolean stats;

    private Arena arena;
    private GuestRam ram;
    private Serial serial;
    private VirtioMmioTransport virtio;
    private ExitDispatcher dispatcher;
    private KvmRun pioOut;
    private KvmRun pioIn;
    private KvmRun mmioWrite;
    private KvmRun hlt;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofConfined();
        ram = GuestRam.allocate(1 << 20);
        serial = new Serial(InterruptLine.NONE, OutputStream.nullOutputStream());
        virtio = new VirtioMmioTransport(new IdleDevice(), ram.memory(), InterruptLine.NONE);
        Bus pio = new Bus("pio");
        pio.register("serial", MemoryMap.COM1, serial);
        Bus mmio = new Bus("mmio");
        mmio.register("virtio", new AddressRange(VIRTIO_BASE, VirtioMmioTransport.SIZE), virtio);
        ExitStats exitStats = new ExitStats(0, 1);
        exitStats.setEnabled(stats);
        dispatcher = new ExitDispatcher(pio, mmio, exitStats);

        pioOut = run(ExitReason.IO);
        pioOut.setIo(KvmRun.IO_OUT, 1, COM1 + Serial.DATA, 1, DATA_OFFSET);
        pioOut.setIoValue(0, 'x');
        pioIn = run(ExitReason.IO);
        pioIn.setIo(KvmRun.IO_IN, 1, COM1 + Serial.LSR, 1, DATA_OFFSET);
        mmioWrite = run(ExitReason.MMIO);
        mmioWrite.setMmio(VIRTIO_BASE + QUEUE_NOTIFY, 4, true, 0);
        hlt = run(ExitReason.HLT);
    }

    private KvmRun run(ExitReason reason) {
        MemorySegment image = arena.allocate(4096, 4096);
        KvmRun run = new KvmRun(image);
        run.setExitReason(reason.code());
        return run;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        serial.close();
        ram.close();
        arena.close();
    }

    @Benchmark
    public int pioOutThr() {
        return dispatcher.dispatch(pioOut, dispatcher.exitClock(pioOut));
    }

    @Benchmark
    public int pioInLsr() {
        return dispatcher.dispatch(pioIn, dispatcher.exitClock(pioIn));
    }

    @Benchmark
    public int mmioWriteQueueNotify() {
        return dispatcher.dispatch(mmioWrite, dispatcher.exitClock(mmioWrite));
    }

    @Benchmark
    public int hlt() {
        return dispatcher.dispatch(hlt, dispatcher.exitClock(hlt));
    }

    // Baselines: the same decode, no bus and no accounting. They ignore the stats parameter.

    @Benchmark
    public int baselinePioOutThr() {
        return bareSwitch(pioOut);
    }

    @Benchmark
    public int baselinePioInLsr() {
        return bareSwitch(pioIn);
    }

    @Benchmark
    public int baselineMmioWriteQueueNotify() {
        return bareSwitch(mmioWrite);
    }

    @Benchmark
    public int baselineHlt() {
        return bareSwitch(hlt);
    }

    private int bareSwitch(KvmRun run) {
        switch (run.exitReasonCode()) {
            case 2 -> { // KVM_EXIT_IO
                int port = run.ioPort();
                if (port >= COM1 && port < COM1 + 8) {
                    if (run.ioDirection() == KvmRun.IO_OUT) {
                        serial.write(port - COM1, run.ioSize(), run.ioValue(0));
                    } else {
                        run.setIoValue(0, serial.read(port - COM1, run.ioSize()));
                    }
                }
                return ExitDispatcher.CONTINUE;
            }
            case 6 -> { // KVM_EXIT_MMIO
                long address = run.mmioAddress();
                if (address >= VIRTIO_BASE && address < VIRTIO_BASE + VirtioMmioTransport.SIZE) {
                    if (run.mmioIsWrite()) {
                        virtio.write(address - VIRTIO_BASE, run.mmioLength(), run.mmioData());
                    } else {
                        run.setMmioData(virtio.read(address - VIRTIO_BASE, run.mmioLength()));
                    }
                }
                return ExitDispatcher.CONTINUE;
            }
            default -> {
                return ExitDispatcher.STOP;
            }
        }
    }

    /** A device the driver never configures: QueueNotify is dropped by the transport. */
    static final class IdleDevice implements VirtioDevice {
        @Override public int deviceId() { return 4; }
        @Override public long features() { return 0; }
        @Override public int queueCount() { return 1; }
        @Override public int queueMaxSize(int queue) { return 256; }
        @Override public int configSize() { return 0; }
        @Override public long readConfig(int offset, int size) { return 0; }
        @Override public void activate(VirtioContext context) {}
        @Override public void queueNotified(int queue) {}
        @Override public void reset() {}
    }
}
