package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.stats.ExitStats;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.testing.RecordingDevice;
import org.jvmm.core.testing.RecordingDevice.Access;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dispatcher over synthetic {@code kvm_run} images: no KVM needed. */
class ExitDispatcherTest {

    private static final long DATA = 4096; // where KVM puts I/O data: the page after kvm_run's header

    private final Arena arena = Arena.ofConfined();
    private KvmRun run;
    private Bus pio;
    private Bus mmio;
    private RecordingDevice serial;
    private RecordingDevice rom;
    private RecordingDevice virtio;
    private ExitDispatcher dispatcher;

    @BeforeEach
    void setUp() {
        run = new KvmRun(arena.allocate(8192, 4096));
        pio = new Bus("pio");
        mmio = new Bus("mmio");
        serial = new RecordingDevice((offset, size) -> 0x40 + offset);
        pio.register("serial", new AddressRange(0x3f8, 8), serial);
        rom = new RecordingDevice((offset, size) -> 0x1122_3344_5566_7788L);
        mmio.register("rom", new AddressRange(0xfee0_0000L, 0x100), rom);
        virtio = new RecordingDevice((offset, size) -> offset);
        mmio.register("virtio", new AddressRange(0xd000_0000L, 0x1000), virtio);
        dispatcher = new ExitDispatcher(pio, mmio, new ExitStats(0, mmio.entries().size()));
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private int io(int direction, int size, int port, long... values) {
        run.setExitReason(ExitReason.IO.code());
        run.setIo(direction, size, port, Math.max(values.length, 1), DATA);
        for (int i = 0; i < values.length; i++) {
            run.setIoValue(i, values[i]);
        }
        return dispatcher.dispatch(run, System.nanoTime());
    }

    private int mmioExit(long address, int length, boolean write, long data) {
        run.setExitReason(ExitReason.MMIO.code());
        run.setMmio(address, length, write, data);
        return dispatcher.dispatch(run, System.nanoTime());
    }

    private ExitStatsSnapshot stats() {
        return dispatcher.stats().snapshot();
    }

    @Test
    void portOutReachesTheDeviceAtItsOffset() {
        assertEquals(ExitDispatcher.CONTINUE, io(KvmRun.IO_OUT, 1, 0x3f8, 'H'));
        assertEquals(ExitDispatcher.CONTINUE, io(KvmRun.IO_OUT, 2, 0x3fa, 0xbeef));
        assertEquals(ExitDispatcher.CONTINUE, io(KvmRun.IO_OUT, 4, 0x3fc, 0xdead_beefL));
        assertEquals(List.of(new Access(true, 0, 1, 'H'), new Access(true, 2, 2, 0xbeef), new Access(true, 4, 4, 0xdead_beefL)),
                serial.accesses());
        ExitStatsSnapshot s = stats();
        assertEquals(3, s.exits(ExitReason.IO.code()));
        assertEquals(1, s.portExits()[0x3f8]);
        assertEquals(1, s.portExits()[0x3fa]);
        assertEquals(1, s.portExits()[0x3fc]);
        assertEquals(0, s.unclaimedPio());
        assertEquals(3, s.totalExits());
    }

    @Test
    void portInPutsTheDevicesAnswerIntoTheDataArea() {
        io(KvmRun.IO_IN, 1, 0x3fd);
        assertEquals(0x45, Byte.toUnsignedInt(run.segment().get(ValueLayout.JAVA_BYTE, DATA)));
        io(KvmRun.IO_IN, 2, 0x3fe);
        assertEquals(0x46, run.ioValue(0));
        assertEquals(List.of(new Access(false, 5, 1, 0x45), new Access(false, 6, 2, 0x46)), serial.accesses());
        assertEquals(2, stats().portExits()[0x3f8 + 5] + stats().portExits()[0x3f8 + 6]);
    }

    @Test
    void stringOutDeliversEveryElementInOrderInOneExit() {
        io(KvmRun.IO_OUT, 1, 0x3f8, 'a', 'b', 'c', 'd', 'e');
        assertEquals(List.of((long) 'a', (long) 'b', (long) 'c', (long) 'd', (long) 'e'), serial.writes());
        io(KvmRun.IO_OUT, 2, 0x3f8, 0x1111, 0x2222, 0x3333);
        assertEquals(8, serial.count());
        assertEquals(0x3333, serial.writes().get(7));
        ExitStatsSnapshot s = stats();
        assertEquals(2, s.exits(ExitReason.IO.code()), "one exit per KVM_RUN return, whatever the count");
        assertEquals(2, s.portExits()[0x3f8]);
    }

    /** One exit through the loop's protocol: the clock read the dispatcher asks for, then dispatch. */
    private long loopExit() {
        long clock = dispatcher.exitClock(run);
        dispatcher.dispatch(run, clock);
        return clock;
    }

    @Test
    void countsEveryExitAndTimesAboutOneInTheInterval() {
        run.setExitReason(ExitReason.IO.code());
        run.setIo(KvmRun.IO_OUT, 1, 0x3f8, 1, DATA);
        int exits = 16_000;
        int clocked = 0;
        for (int i = 0; i < exits; i++) {
            clocked += loopExit() == ExitStats.UNTIMED ? 0 : 1;
        }
        ExitStatsSnapshot s = stats();
        assertEquals(exits, s.exits(ExitReason.IO.code()), "every exit is counted");
        assertEquals(exits, s.portExits()[0x3f8]);
        assertEquals(clocked, s.timed()[ExitReason.IO.code()], "exactly the exits the loop read the clock for are timed");
        int expected = exits / ExitStats.DEFAULT_TIMING_INTERVAL;
        assertTrue(Math.abs(clocked - expected) < expected / 10, clocked + " exits timed, expected about " + expected);
        assertEquals(clocked, s.histograms()[ExitReason.IO.code()].count(), "the histogram holds the timed exits");
        assertTrue(s.totalNanos()[ExitReason.IO.code()] > 0, "a total is estimated for all exits");
    }

    @Test
    void theFirstExitOfEveryReasonIsTimed() {
        run.setExitReason(ExitReason.IO.code());
        run.setIo(KvmRun.IO_OUT, 1, 0x3f8, 1, DATA);
        for (int i = 0; i < 100; i++) {
            loopExit();
        }
        run.setExitReason(ExitReason.HLT.code());
        assertTrue(loopExit() != ExitStats.UNTIMED, "a reason seen for the first time gets a time");
        ExitStatsSnapshot s = stats();
        assertEquals(1, s.timed()[ExitReason.HLT.code()]);
        assertTrue(s.minNanos()[ExitReason.HLT.code()] <= s.maxNanos()[ExitReason.HLT.code()]);
    }

    @Test
    void anIntervalOfOneTimesEveryExit() {
        dispatcher.stats().setTimingInterval(1);
        run.setExitReason(ExitReason.IO.code());
        run.setIo(KvmRun.IO_OUT, 1, 0x3f8, 1, DATA);
        for (int i = 0; i < 1000; i++) {
            assertTrue(loopExit() != ExitStats.UNTIMED);
        }
        assertEquals(1000, stats().timed()[ExitReason.IO.code()]);
    }

    @Test
    void aListenerGetsEveryExitTimedAndNothingIsReadWhenNothingNeedsIt() {
        run.setExitReason(ExitReason.IO.code());
        run.setIo(KvmRun.IO_OUT, 1, 0x3f8, 1, DATA);
        long[] heard = new long[2];
        dispatcher.setListener((vcpu, r, reason, nanos) -> {
            heard[0]++;
            heard[1] += nanos >= 0 ? 1 : 0;
        });
        for (int i = 0; i < 500; i++) {
            assertTrue(loopExit() != ExitStats.UNTIMED, "a tracing listener needs every handling time");
        }
        assertEquals(500, heard[0]);
        assertEquals(500, heard[1]);
        assertEquals(500, stats().timed()[ExitReason.IO.code()]);
        dispatcher.setListener(null);
        dispatcher.stats().setEnabled(false);
        for (int i = 0; i < 500; i++) {
            assertEquals(ExitStats.UNTIMED, loopExit(), "nothing reads the time: the loop skips the clock");
        }
        assertEquals(500, stats().exits(ExitReason.IO.code()), "accounting off: nothing recorded");
    }

    @Test
    void stringInFillsEveryElement() {
        run.setExitReason(ExitReason.IO.code());
        run.setIo(KvmRun.IO_IN, 4, 0x3f9, 3, DATA);
        dispatcher.dispatch(run, System.nanoTime());
        for (int i = 0; i < 3; i++) {
            assertEquals(0x41, run.ioValue(i));
        }
        assertEquals(3, serial.count());
        assertEquals(0, run.segment().get(ValueLayout.JAVA_INT, DATA + 12), "nothing written past count");
    }

    @Test
    void unclaimedPortsReadAllOnesAndAreCounted() {
        io(KvmRun.IO_IN, 1, 0x80);
        assertEquals(0xff, run.ioValue(0));
        io(KvmRun.IO_IN, 2, 0x80);
        assertEquals(0xffff, run.ioValue(0));
        run.setExitReason(ExitReason.IO.code());
        run.setIo(KvmRun.IO_IN, 4, 0x84, 2, DATA);
        dispatcher.dispatch(run, System.nanoTime());
        assertEquals(0xffff_ffffL, run.ioValue(0));
        assertEquals(0xffff_ffffL, run.ioValue(1));
        io(KvmRun.IO_OUT, 1, 0x80, 1);
        ExitStatsSnapshot s = stats();
        assertEquals(4, s.unclaimedPio());
        assertEquals(3, s.portExits()[0x80]);
        assertEquals(1, s.portExits()[0x84]);
        assertEquals(0, serial.count());
    }

    @Test
    void mmioWritesOfEverySizeReachTheDeviceZeroExtended() {
        // Upper bytes of the data field hold garbage the device must not see.
        mmioExit(0xd000_0010L, 1, true, 0xffff_ffff_ffff_ff11L);
        mmioExit(0xd000_0020L, 2, true, 0xffff_ffff_ffff_2233L);
        mmioExit(0xd000_0030L, 4, true, 0xffff_ffff_4455_6677L);
        mmioExit(0xd000_0040L, 8, true, 0x8899_aabb_ccdd_eeffL);
        assertEquals(List.of(new Access(true, 0x10, 1, 0x11), new Access(true, 0x20, 2, 0x2233),
                new Access(true, 0x30, 4, 0x4455_6677L), new Access(true, 0x40, 8, 0x8899_aabb_ccdd_eeffL)),
                virtio.accesses());
        ExitStatsSnapshot s = stats();
        assertEquals(4, s.exits(ExitReason.MMIO.code()));
        assertEquals(4, s.mmioExits()[1], "virtio is bus entry 1");
        assertEquals(0, s.mmioExits()[0]);
    }

    @Test
    void mmioReadsOfEverySizeReturnTheDevicesValue() {
        for (int size : new int[] {1, 2, 4, 8}) {
            mmioExit(0xfee0_0008L, size, false, 0);
            long expected = size == 8 ? 0x1122_3344_5566_7788L : 0x1122_3344_5566_7788L & ((1L << (size * 8)) - 1);
            assertEquals(expected, run.mmioData(), "size " + size);
        }
        assertEquals(4, rom.count());
        assertEquals(4, stats().mmioExits()[0]);
    }

    @Test
    void unclaimedMmioReadsAllOnesAndDropsWrites() {
        mmioExit(0xc000_0000L, 4, false, 0);
        assertEquals(0xffff_ffffL, run.mmioData());
        mmioExit(0xc000_0000L, 8, false, 0);
        assertEquals(-1L, run.mmioData());
        mmioExit(0xd000_1000L, 2, true, 5);
        ExitStatsSnapshot s = stats();
        assertEquals(3, s.unclaimedMmio());
        assertEquals(3, s.mmioExits()[2], "the unclaimed slot comes after the two devices");
        assertEquals(0, virtio.count() + rom.count());
    }

    @Test
    void anInterceptorSeesTheHandledExitAndItsActionIsTheDispatchersAnswer() {
        List<String> seen = new java.util.ArrayList<>();
        dispatcher.setInterceptor((vcpu, r, reason, action) -> {
            seen.add(vcpu + ":" + reason + ":" + action + ":" + serial.count());
            return reason == ExitReason.IO.code() ? action | ExitDispatcher.HOLD : action;
        });
        assertEquals(ExitDispatcher.CONTINUE | ExitDispatcher.HOLD, io(KvmRun.IO_OUT, 1, 0x3f8, 'H'));
        run.setExitReason(ExitReason.HLT.code());
        assertEquals(ExitDispatcher.STOP, dispatcher.dispatch(run, ExitStats.UNTIMED));
        // The device had the write before the interceptor ran; the exit was counted either way.
        assertEquals(List.of("0:" + ExitReason.IO.code() + ":0:1", "0:" + ExitReason.HLT.code() + ":1:1"), seen);
        assertEquals(2, stats().totalExits());
        dispatcher.setInterceptor(null);
        assertEquals(ExitDispatcher.CONTINUE, io(KvmRun.IO_OUT, 1, 0x3f8, 'i'));
        assertEquals(2, seen.size());
    }

    @Test
    void intrContinuesAndHltStops() {
        run.setExitReason(ExitReason.INTR.code());
        assertEquals(ExitDispatcher.CONTINUE, dispatcher.dispatch(run, System.nanoTime()));
        run.setExitReason(ExitReason.HLT.code());
        assertEquals(ExitDispatcher.STOP, dispatcher.dispatch(run, System.nanoTime()));
        run.setExitReason(ExitReason.SHUTDOWN.code());
        assertEquals(ExitDispatcher.STOP, dispatcher.dispatch(run, System.nanoTime()));
        run.setExitReason(12345);
        assertEquals(ExitDispatcher.STOP, dispatcher.dispatch(run, System.nanoTime()));
        ExitStatsSnapshot s = stats();
        assertEquals(1, s.exits(ExitReason.INTR.code()));
        assertEquals(1, s.exits(ExitReason.HLT.code()));
        assertEquals(1, s.exits(ExitReason.SHUTDOWN.code()));
        assertEquals(1, s.exits(ExitStats.REASONS - 1));
        assertEquals(4, s.totalExits());
        assertEquals(0, serial.count() + virtio.count() + rom.count());
    }

    @Test
    void disabledStatsRecordNothingButDevicesStillWork() {
        dispatcher.stats().setEnabled(false);
        io(KvmRun.IO_OUT, 1, 0x3f8, 'x');
        assertEquals(1, serial.count());
        assertEquals(0, stats().totalExits());
    }
}
