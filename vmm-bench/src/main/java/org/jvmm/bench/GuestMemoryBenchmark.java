package org.jvmm.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.memory.GuestMemory;
import org.jvmm.core.memory.GuestRam;
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
 * Guest memory access through {@link GuestMemory} (region lookup, bounds check naming the guest
 * address) against the same access on a raw {@link MemorySegment} ({@code raw*}, the baseline).
 * The baseline does what a device holding the segment would do with a guest address: subtract the
 * region's base, kept in a field, then access the segment, whose own bounds check stays. Addresses
 * are random but fixed (seeded), 4-byte aligned, cycled through a 1024-entry table so the JIT
 * cannot fold them; both sides read their table the same way, and both access the very segment
 * {@link GuestRam} mapped for region 0.
 *
 * <p>{@code regions=2} splits RAM around the 3 GiB hole (0 and 4 GiB), so the lookup has two
 * candidates and half the addresses land in the second region; the raw baseline always uses one
 * segment at the same offsets within a region.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class GuestMemoryBenchmark {

    static final long REGION_SIZE = 16L << 20;
    static final int ADDRESSES = 1024;
    static final VarHandle SHORT_ATOMIC = ValueLayout.JAVA_SHORT.varHandle();

    @Param({"1", "2"})
    public int regions;

    private GuestRam ram;
    private GuestMemory memory;
    private MemorySegment raw;
    private long rawBase;
    private final long[] guestAddresses = new long[ADDRESSES];
    private final long[] rawAddresses = new long[ADDRESSES];
    private int next;
    private int value;

    @Setup(Level.Trial)
    public void setup() {
        ram = regions == 1
                ? GuestRam.allocate(new long[][] {{0, REGION_SIZE}})
                : GuestRam.allocate(new long[][] {{0, REGION_SIZE}, {GuestRam.HIGH_RAM_START, REGION_SIZE}});
        memory = ram.memory();
        raw = ram.regions().get(0).memory();
        rawBase = ram.regions().get(0).base();
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < ADDRESSES; i++) {
            long offset = random.nextLong(REGION_SIZE / 4) * 4;
            rawAddresses[i] = rawBase + offset;
            guestAddresses[i] = (regions == 2 && (i & 1) == 1) ? GuestRam.HIGH_RAM_START + offset : rawBase + offset;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ram.close();
    }

    private int step() {
        return next = (next + 1) & (ADDRESSES - 1);
    }

    @Benchmark
    public int readInt() {
        return memory.readInt(guestAddresses[step()]);
    }

    @Benchmark
    public void writeInt() {
        memory.writeInt(guestAddresses[step()], value++);
    }

    @Benchmark
    public short readShortAcquire() {
        return memory.readShortAcquire(guestAddresses[step()]);
    }

    @Benchmark
    public int rawReadInt() {
        return raw.get(ValueLayout.JAVA_INT_UNALIGNED, rawAddresses[step()] - rawBase);
    }

    @Benchmark
    public void rawWriteInt() {
        raw.set(ValueLayout.JAVA_INT_UNALIGNED, rawAddresses[step()] - rawBase, value++);
    }

    @Benchmark
    public short rawReadShortAcquire() {
        return (short) SHORT_ATOMIC.getAcquire(raw, rawAddresses[step()] - rawBase);
    }
}
