package org.jvmm.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;
import org.jvmm.core.bus.BusDevice;
import org.jvmm.core.kvm.ExitReason;
import org.junit.jupiter.api.Test;

/**
 * Exits per phase without KVM: known exits recorded between marks on two vCPUs, a fake counter
 * source standing in for KVM's, a clock the test moves; then bad numbers and a storm of marks.
 */
class PhaseAccountingTest {

    private static final int IO = ExitReason.IO.code();
    private static final int MMIO = ExitReason.MMIO.code();
    private static final int HLT = ExitReason.HLT.code();

    private static final BusDevice NOTHING = new BusDevice() {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {}
    };

    /** Two counters the test sets, as KVM's stats fd would have them. */
    static final class FakeCounters implements CounterSource {
        long exits;
        long vmThing;

        @Override
        public List<String> names() {
            return List.of("vcpu.exits", "vm.thing");
        }

        @Override
        public void read(long[] into) {
            into[0] = exits;
            into[1] = vmThing;
        }
    }

    private final Bus pio = new Bus("pio");
    private final Bus mmio = new Bus("mmio");
    private final ExitStats vcpu0;
    private final ExitStats vcpu1;
    private final FakeCounters kvm = new FakeCounters();
    private final AtomicLong clock = new AtomicLong(1_000);
    private final PhaseAccounting phases;

    PhaseAccountingTest() {
        pio.register("com1", new AddressRange(0x3f8, 8), NOTHING);
        pio.register("marker-port", new AddressRange(0x6f0, 4), NOTHING);
        mmio.register("virtio@0", new AddressRange(0xd000_0000L, 0x1000), NOTHING);
        mmio.register("marker", new AddressRange(0xcfff_e000L, 0x1000), NOTHING);
        vcpu0 = new ExitStats(0, mmio.entries().size());
        vcpu1 = new ExitStats(1, mmio.entries().size());
        phases = new PhaseAccounting(List.of(vcpu0, vcpu1), pio, mmio, kvm, clock::get);
    }

    private void portExits(ExitStats vcpu, int port, int n, boolean unclaimed) {
        for (int i = 0; i < n; i++) {
            vcpu.record(IO, 100);
            vcpu.recordPort(port, 100, unclaimed);
            kvm.exits += 2; // one the kernel handled for each one user space saw
        }
    }

    private void mmioExits(ExitStats vcpu, int device, int n) {
        for (int i = 0; i < n; i++) {
            vcpu.record(MMIO, 50);
            vcpu.recordMmio(device, 50);
            kvm.exits++;
        }
    }

    @Test
    void eachPhaseGetsWhatHappenedBetweenItsMarkAndTheNextSummedOverEntries() {
        phases.start();
        portExits(vcpu0, 0x3f8, 5, false);                  // before the first mark
        clock.addAndGet(100);
        assertTrue(phases.mark(1));
        mmioExits(vcpu1, 0, 3);                              // phase 1
        portExits(vcpu0, 0x80, 2, true);
        kvm.vmThing = 7;
        clock.addAndGet(40);
        assertTrue(phases.mark(2));
        vcpu1.record(HLT, 10);                               // phase 2
        clock.addAndGet(5);
        assertTrue(phases.mark(1));
        portExits(vcpu1, 0x3fd, 4, false);                   // phase 1 again
        mmioExits(vcpu0, 1, 1);
        clock.addAndGet(60);                                 // phase 1 is still open at the report

        PhaseReport report = phases.report();

        assertTrue(report.marked());
        assertEquals(0, report.droppedMarks());
        assertEquals(List.of(-1, 1, 2), report.phases().stream().map(Phase::number).toList(), "before, then by number");
        Phase before = report.phase(Phase.BEFORE_FIRST_MARK).orElseThrow();
        assertEquals(0, before.marks());
        assertEquals(100, before.wallNanos());
        assertEquals(Map.of("IO", 5L), before.exitsByReason());
        assertEquals(Map.of("com1", 5L), before.exitsByDevice());
        assertEquals(List.of(5L, 0L), before.exitsByVcpu());
        assertEquals(10L, before.kvmExits());

        Phase one = report.phase(1).orElseThrow();
        assertEquals(2, one.marks());
        assertEquals(40 + 60, one.wallNanos(), "both stays in phase 1, the open one up to the report");
        assertEquals(Map.of("MMIO", 4L, "IO", 6L), one.exitsByReason());
        assertEquals(Map.of("MMIO", 200L, "IO", 600L), one.nanosByReason());
        assertEquals(10, one.userExits());
        assertEquals(Map.of("com1", 4L, PhaseAccounting.UNCLAIMED_PORT, 2L, "virtio@0", 3L, "marker", 1L),
                one.exitsByDevice());
        assertEquals(List.of(3L, 7L), one.exitsByVcpu());
        assertEquals(3 + 4 + 8 + 1L, one.kvmExits());
        assertEquals(7L, one.kvmCounters().get("vm.thing"));

        Phase two = report.phase(2).orElseThrow();
        assertEquals(1, two.marks());
        assertEquals(5, two.wallNanos());
        assertEquals(Map.of("HLT", 1L), two.exitsByReason());
        assertEquals(Map.of(), two.exitsByDevice(), "a HLT touches no device");
        assertEquals(0L, two.kvmExits());

        long userTotal = ExitStatsSnapshot.merge(List.of(vcpu0.snapshot(), vcpu1.snapshot())).totalExits();
        assertEquals(userTotal, report.phases().stream().mapToLong(Phase::userExits).sum(), "the phases add up to the run");
        assertEquals(kvm.exits, report.phases().stream().mapToLong(Phase::kvmExits).sum());
    }

    @Test
    void numbersOutsideThePhasesAreDroppedAndChangeNothing() {
        phases.start();
        assertTrue(phases.mark(3));
        portExits(vcpu0, 0x3f8, 2, false);
        for (long bad : new long[] {-1, PhaseAccounting.MAX_PHASES, 0xffff_ffffL, Long.MAX_VALUE, Long.MIN_VALUE}) {
            assertFalse(phases.mark(bad), Long.toString(bad));
        }
        portExits(vcpu0, 0x3f8, 1, false);
        PhaseReport report = phases.report();
        assertEquals(5, report.droppedMarks());
        assertEquals(List.of(-1, 3), report.phases().stream().map(Phase::number).toList());
        assertEquals(3, report.phase(3).orElseThrow().userExits(), "the dropped marks did not end phase 3");
        assertTrue(phases.mark(0));
        assertTrue(phases.mark(PhaseAccounting.MAX_PHASES - 1));
        assertEquals(List.of(-1, 0, 3, 63), phases.report().phases().stream().map(Phase::number).toList());
    }

    @Test
    void aRunWithoutMarksHasNoPhasesAndOnlyDroppedMarksSaySo() {
        phases.start();
        portExits(vcpu0, 0x3f8, 2, false);
        assertSame(PhaseReport.NONE, phases.report());
        assertFalse(phases.report().marked());
        phases.mark(1000);
        PhaseReport dropped = phases.report();
        assertTrue(dropped.marked());
        assertEquals(List.of(), dropped.phases());
        assertEquals(1, dropped.droppedMarks());
    }

    private static long allocatedBytes() throws Exception {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (Long) m.invoke(bean);
    }

    @Test
    void aStormOfMarksCostsOneCompactReadingEachAndNoMemory() throws Exception {
        phases.start();
        for (int n = 0; n < PhaseAccounting.MAX_PHASES; n++) {
            phases.mark(n); // each phase's tally is made on its first entry
        }
        int storm = 200_000;
        long before = allocatedBytes();
        for (int i = 0; i < storm; i++) {
            vcpu0.record(IO, 1);
            vcpu0.recordPort(0x6f0, 1, false);
            phases.mark(i % 70); // 64 phases, and 6 numbers of every 70 dropped
        }
        long allocated = allocatedBytes() - before;
        assertTrue(allocated < 4096, allocated + " bytes allocated by " + storm + " marks");
        PhaseReport report = phases.report();
        assertEquals(PhaseAccounting.MAX_PHASES + 1, report.phases().size(), "at most every phase and the part before");
        long dropped = storm / 70 * 6 + Math.max(0, storm % 70 - 64);
        assertEquals(dropped, report.droppedMarks());
        assertEquals(PhaseAccounting.MAX_PHASES + storm - dropped, report.phases().stream().mapToLong(Phase::marks).sum());
        assertEquals(storm, report.phases().stream().mapToLong(Phase::userExits).sum());
        assertEquals(storm, report.phases().stream().mapToLong(p -> p.exitsByDevice().getOrDefault("marker-port", 0L)).sum());
    }
}
