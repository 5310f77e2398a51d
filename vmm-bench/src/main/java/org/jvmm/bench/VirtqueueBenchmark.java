package org.jvmm.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
import org.jvmm.devices.virtio.queue.DescriptorChain;
import org.jvmm.devices.virtio.queue.Virtqueue;
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
 * One request through a split virtqueue: the driver side publishes a chain (one avail ring store and
 * a release of the avail index, done straight on the segment, the same in both benchmarks), then the
 * device pops it, walks every descriptor, returns it with {@code addUsed} and asks
 * {@code needsInterrupt}. {@code rawPopWalkAddUsed} is the baseline: the same ring reads and writes
 * on a raw {@link MemorySegment} with none of the validation (hop budget, next index, lengths,
 * bounds checks naming the guest address).
 *
 * <p>Ring layout in 1 MiB of guest RAM at 0, queue size 256: descriptor table at 0x1000, avail ring
 * at 0x2000, used ring at 0x3000, an indirect table at 0x5000, buffers of 512 bytes from 0x10000.
 * The chain always starts at descriptor 0; every avail ring slot names head 0. The first half of
 * a chain is device-readable, the rest device-writable.
 *
 * <p>{@code layout}: {@code direct} (a chain in the descriptor table), {@code indirect} (one
 * INDIRECT descriptor pointing at a table of {@code chain} entries), {@code eventIdx} (direct, with
 * VIRTIO_F_RING_EVENT_IDX negotiated, so {@code needsInterrupt} reads {@code used_event}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class VirtqueueBenchmark {

    static final int SIZE = 256;
    static final long DESC = 0x1000;
    static final long AVAIL = 0x2000;
    static final long USED = 0x3000;
    static final long INDIRECT = 0x5000;
    static final long BUFFERS = 0x10000;
    static final int BUFFER_LENGTH = 512;
    static final VarHandle SHORT_ATOMIC = ValueLayout.JAVA_SHORT.varHandle();
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    @Param({"1", "4", "16"})
    public int chain;

    @Param({"direct", "indirect", "eventIdx"})
    public String layout;

    private GuestRam ram;
    private MemorySegment segment;
    private Virtqueue queue;
    private short availIdx;
    private short rawNextAvail;
    private short rawNextUsed;

    @Setup(Level.Trial)
    public void setup() {
        ram = GuestRam.allocate(1 << 20);
        GuestMemory memory = ram.memory();
        segment = ram.regions().get(0).memory();
        boolean indirect = layout.equals("indirect");
        boolean eventIdx = layout.equals("eventIdx");
        if (indirect) {
            writeDescriptor(DESC, INDIRECT, 16 * chain, Virtqueue.DESC_F_INDIRECT, 0);
            writeChain(INDIRECT);
        } else {
            writeChain(DESC);
        }
        // used_event: ask for an interrupt every 2^16 requests, so EVENT_IDX mostly suppresses.
        segment.set(SHORT, AVAIL + 4 + 2L * SIZE, (short) 0);
        queue = new Virtqueue(SIZE);
        queue.setDescriptorTable(DESC);
        queue.setAvailRing(AVAIL);
        queue.setUsedRing(USED);
        if (!queue.enable(memory, eventIdx, indirect)) {
            throw new IllegalStateException("the benchmark's ring layout was refused");
        }
    }

    private void writeChain(long table) {
        for (int i = 0; i < chain; i++) {
            int flags = (i < chain - 1 ? Virtqueue.DESC_F_NEXT : 0) | (i >= chain / 2 && chain > 1 ? Virtqueue.DESC_F_WRITE : 0);
            writeDescriptor(table + 16L * i, BUFFERS + (long) BUFFER_LENGTH * i, BUFFER_LENGTH, flags, i + 1);
        }
    }

    private void writeDescriptor(long at, long address, int length, int flags, int next) {
        segment.set(LONG, at, address);
        segment.set(INT, at + 8, length);
        segment.set(SHORT, at + 12, (short) flags);
        segment.set(SHORT, at + 14, (short) next);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ram.close();
    }

    /** The driver's half: head 0 is already in every avail slot, so publishing is one index bump. */
    private void publish() {
        availIdx++;
        SHORT_ATOMIC.setRelease(segment, AVAIL + 2, availIdx);
    }

    @Benchmark
    public boolean popWalkAddUsed() {
        publish();
        DescriptorChain c = queue.pop();
        long written = 0;
        while (c.next()) {
            if (c.isWriteOnly()) {
                written += c.length();
            }
        }
        queue.addUsed(c.head(), (int) written);
        return queue.needsInterrupt();
    }

    /** Baseline: the same ring traffic on a raw segment, no validation. */
    @Benchmark
    public int rawPopWalkAddUsed() {
        publish();
        short idx = (short) SHORT_ATOMIC.getAcquire(segment, AVAIL + 2);
        if (idx == rawNextAvail) {
            return -1;
        }
        int head = Short.toUnsignedInt(segment.get(SHORT, AVAIL + 4 + 2L * (rawNextAvail & (SIZE - 1))));
        rawNextAvail++;
        long table = DESC;
        int index = head;
        long written = 0;
        while (true) {
            long d = table + 16L * index;
            long addr = segment.get(LONG, d);
            int len = segment.get(INT, d + 8);
            int flags = segment.get(SHORT, d + 12);
            if ((flags & Virtqueue.DESC_F_INDIRECT) != 0) {
                table = addr;
                index = 0;
                continue;
            }
            if ((flags & Virtqueue.DESC_F_WRITE) != 0) {
                written += len;
            }
            if ((flags & Virtqueue.DESC_F_NEXT) == 0) {
                break;
            }
            index = Short.toUnsignedInt(segment.get(SHORT, d + 14));
        }
        long element = USED + 4 + 8L * (rawNextUsed & (SIZE - 1));
        segment.set(INT, element, head);
        segment.set(INT, element + 4, (int) written);
        rawNextUsed++;
        SHORT_ATOMIC.setRelease(segment, USED + 2, rawNextUsed);
        return head;
    }
}
