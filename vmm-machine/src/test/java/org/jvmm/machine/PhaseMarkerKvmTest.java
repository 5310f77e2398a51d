package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jvmm.core.stats.ExitReport;
import org.jvmm.core.stats.Phase;
import org.jvmm.core.stats.PhaseReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Guests that mark phases under real KVM: a long-mode guest through the MMIO register, a real-mode
 * guest through the port. Each does a known number of COM1 writes per phase, so the run's result
 * must split its exits exactly so, and the phases must add up to the run's totals, jvmm's and KVM's.
 */
@Tag("kvm")
class PhaseMarkerKvmTest {

    private static final int COM1 = (int) MemoryMap.COM1.base();
    private static final int MARKER_PORT = (int) MemoryMap.PHASE_MARKER_PORT.base();

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    /** Assembles little pieces of x86 code. */
    private static final class Code {
        private final ByteBuffer out = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

        Code bytes(int... b) {
            for (int x : b) {
                out.put((byte) x);
            }
            return this;
        }

        Code int32(int v) {
            out.putInt(v);
            return this;
        }

        Code int16(int v) {
            out.putShort((short) v);
            return this;
        }

        Code int64(long v) {
            out.putLong(v);
            return this;
        }

        /** Long mode: {@code mov dword [rax], phase}. */
        Code markMmio(int phase) {
            return bytes(0xc7, 0x00).int32(phase);
        }

        /** Long mode: {@code mov ecx, n; loop: out dx, al; loop loop}. */
        Code outs(int n) {
            return bytes(0xb9).int32(n).bytes(0xee, 0xe2, 0xfd);
        }

        byte[] done() {
            return java.util.Arrays.copyOf(out.array(), out.position());
        }
    }

    /** Runs the guest and prints its exit report (docs/observability.md shows one). */
    private static RunResult run(byte[] code, CpuMode mode) throws IOException {
        try (Machine machine = TestMachines.raw(code, mode, 16L << 20, OutputStream.nullOutputStream()).build()) {
            RunResult result = machine.run(Duration.ofSeconds(60));
            assertEquals(StopCause.Kind.GUEST_EXIT, result.cause().kind(), result.summary());
            System.out.print(ExitReport.format(result.perVcpu(), machine.pio(), machine.mmio(), result.kvmDelta(),
                    result.wallNanos(), result.phases()));
            return result;
        }
    }

    private static void assertPhasesAddUpToTheRun(RunResult result) {
        PhaseReport phases = result.phases();
        assertEquals(result.merged().totalExits(), phases.phases().stream().mapToLong(Phase::userExits).sum(),
                "jvmm's exits, phase by phase, are the run's: " + phases);
        Long kvm = result.kvmDelta().get("vcpu.exits");
        if (kvm != null) {
            assertEquals(kvm, phases.phases().stream().mapToLong(Phase::kvmExits).sum(), "KVM's exits: " + phases);
            for (Phase p : phases.phases()) {
                assertTrue(p.kvmExits() >= p.userExits() - 1, "KVM counts every exit jvmm saw (the marking one may"
                        + " fall in the phase before): " + p);
            }
        }
    }

    @Test
    void aLongModeGuestMarksThroughTheMmioRegisterAndEachPhaseGetsItsExits() throws IOException {
        byte[] code = new Code()
                .bytes(0x48, 0xb8).int64(MemoryMap.PHASE_MARKER.base())   // mov rax, marker
                .bytes(0x66, 0xba).int16(COM1)                            // mov dx, COM1
                .markMmio(1).outs(10)
                .markMmio(2).outs(3)
                .markMmio(1).outs(5)
                .markMmio(200)                                            // not a phase: dropped
                .bytes(0xb0, 0x00, 0xe6, (int) MemoryMap.DEBUG_EXIT.base(), 0xf4)
                .done();

        RunResult result = run(code, CpuMode.LONG);

        PhaseReport phases = result.phases();
        assertEquals(1, phases.droppedMarks());
        assertEquals(List.of(Phase.BEFORE_FIRST_MARK, 1, 2), phases.phases().stream().map(Phase::number).toList());
        assertEquals(0, phases.phase(Phase.BEFORE_FIRST_MARK).orElseThrow().userExits(), "nothing exits before the mark");
        Phase one = phases.phase(1).orElseThrow();
        assertEquals(2, one.marks());
        assertEquals(Map.of("MMIO", 3L, "IO", 16L), one.exitsByReason(), "two marks and the dropped one, 15 outs, the exit");
        assertEquals(Map.of("phase-marker", 3L, "com1", 15L, "debug-exit", 1L), one.exitsByDevice());
        assertEquals(List.of(19L), one.exitsByVcpu());
        Phase two = phases.phase(2).orElseThrow();
        assertEquals(1, two.marks());
        assertEquals(Map.of("MMIO", 1L, "IO", 3L), two.exitsByReason());
        assertEquals(Map.of("phase-marker", 1L, "com1", 3L), two.exitsByDevice());
        assertTrue(one.wallNanos() > 0 && two.wallNanos() > 0);
        assertPhasesAddUpToTheRun(result);
    }

    @Test
    void aRealModeGuestMarksThroughThePort() throws IOException {
        byte[] code = new Code()
                .bytes(0xba).int16(MARKER_PORT)               // mov dx, marker port
                .bytes(0x66, 0xb8).int32(3)                   // mov eax, 3
                .bytes(0x66, 0xef)                            // out dx, eax
                .bytes(0xba).int16(COM1)                      // mov dx, COM1
                .bytes(0xee, 0xee, 0xee, 0xee)                // out dx, al (4x)
                .bytes(0xba).int16(MARKER_PORT)
                .bytes(0xb8).int16(4)                         // mov ax, 4
                .bytes(0xef)                                  // out dx, ax
                .bytes(0xb0, 0x00, 0xe6, (int) MemoryMap.DEBUG_EXIT.base(), 0xf4)
                .done();

        RunResult result = run(code, CpuMode.REAL);

        PhaseReport phases = result.phases();
        assertEquals(0, phases.droppedMarks());
        assertEquals(List.of(Phase.BEFORE_FIRST_MARK, 3, 4), phases.phases().stream().map(Phase::number).toList());
        assertEquals(Map.of("phase-marker", 1L, "com1", 4L), phases.phase(3).orElseThrow().exitsByDevice());
        assertEquals(Map.of("phase-marker", 1L, "debug-exit", 1L), phases.phase(4).orElseThrow().exitsByDevice());
        assertPhasesAddUpToTheRun(result);
    }

    @Test
    void aGuestThatNeverMarksHasNoPhases() throws IOException {
        RunResult result = run(new Code().bytes(0xb0, 0x00, 0xe6, (int) MemoryMap.DEBUG_EXIT.base(), 0xf4).done(),
                CpuMode.REAL);
        assertEquals(PhaseReport.NONE, result.phases());
    }
}
