package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.abi.KvmLayouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The line jvmm prints for an exit that stops a vCPU, decoded from synthetic {@code kvm_run}
 * images: the exits a well-behaved test guest never produces (KvmAbiTest checks the offsets used
 * here against {@code <linux/kvm.h>}).
 */
class ExitDetailTest {

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment image = arena.allocate(KvmLayouts.RUN.byteSize(), 8);
    private final KvmRun run = new KvmRun(image);

    @AfterEach
    void close() {
        arena.close();
    }

    private static long offset(String... path) {
        PathElement[] elements = new PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = PathElement.groupElement(path[i]);
        }
        return KvmLayouts.RUN.byteOffset(elements);
    }

    private void putInt(int value, String... path) {
        image.set(ValueLayout.JAVA_INT, offset(path), value);
    }

    private void putLong(long value, String... path) {
        image.set(ValueLayout.JAVA_LONG, offset(path), value);
    }

    @Test
    void emulationFailureNamesSuberrorAndDataWords() {
        putInt(1, "exit", "internal", "suberror");
        putInt(2, "exit", "internal", "ndata");
        image.set(ValueLayout.JAVA_LONG, offset("exit", "internal", "data"), 0xcc);
        image.set(ValueLayout.JAVA_LONG, offset("exit", "internal", "data") + 8, 0x1234);
        assertEquals("emulation failure, suberror 1, data [0xcc, 0x1234]", Vcpu.detail(run, ExitReason.INTERNAL_ERROR));
    }

    @Test
    void aHostileDataWordCountIsCappedAtSixteen() {
        putInt(3, "exit", "internal", "suberror");
        putInt(0x7fff_ffff, "exit", "internal", "ndata");
        String detail = Vcpu.detail(run, ExitReason.INTERNAL_ERROR);
        assertEquals("internal error, suberror 3, data [" + "0x0, ".repeat(15) + "0x0]", detail);
    }

    @Test
    void entryFailureNamesReasonAndCpu() {
        putLong(0x80000021L, "exit", "fail_entry", "hardware_entry_failure_reason");
        putInt(1, "exit", "fail_entry", "cpu");
        assertEquals("hardware entry failure reason 0x80000021 on cpu 1", Vcpu.detail(run, ExitReason.FAIL_ENTRY));
    }

    @Test
    void systemEventsAreNamed() {
        putInt(2, "exit", "system_event", "type");
        putInt(1, "exit", "system_event", "ndata");
        image.set(ValueLayout.JAVA_LONG, offset("exit", "system_event", "data"), 7);
        assertEquals("type 2 (reset), data [0x7]", Vcpu.detail(run, ExitReason.SYSTEM_EVENT));
        putInt(9, "exit", "system_event", "type");
        assertEquals("type 9 (other), data [0x7]", Vcpu.detail(run, ExitReason.SYSTEM_EVENT));
    }

    @Test
    void debugExitsGiveVectorPcAndDebugRegisters() {
        putInt(1, "exit", "debug", "arch", "exception");
        putLong(0x7c05, "exit", "debug", "arch", "pc");
        putLong(0xffff4ff0L, "exit", "debug", "arch", "dr6");
        putLong(0x400, "exit", "debug", "arch", "dr7");
        assertEquals("exception 1 at 0x7c05, dr6 0xffff4ff0, dr7 0x400", Vcpu.detail(run, ExitReason.DEBUG));
    }

    @Test
    void unknownExitsGiveTheHardwareReasonAndShutdownIsATripleFault() {
        putLong(0x7b, "exit", "hw", "hardware_exit_reason");
        assertEquals("hardware exit reason 0x7b", Vcpu.detail(run, ExitReason.UNKNOWN));
        assertEquals("triple fault", Vcpu.detail(run, ExitReason.SHUTDOWN));
        assertEquals("", Vcpu.detail(run, ExitReason.HLT));
    }

    @Test
    void memoryFaultNamesTheAddressSizeAndPrivateFlag() {
        // struct kvm_run's memory_fault (Linux 6.8): flags, gpa, size at the start of the exit union.
        long at = offset("exit");
        image.set(ValueLayout.JAVA_LONG, at, 1L << 3);
        image.set(ValueLayout.JAVA_LONG, at + 8, 0x1_2345_6000L);
        image.set(ValueLayout.JAVA_LONG, at + 16, 0x1000);
        assertEquals("KVM could not map guest-physical 0x123456000, size 0x1000, flags 0x8 (private memory)",
                Vcpu.detail(run, ExitReason.MEMORY_FAULT));
    }

    @Test
    void stopsNameTheirCauseNotAnExitReason() {
        assertEquals("KVM_RUN failed: EFAULT (Bad address)",
                VcpuStop.failure(VcpuStop.Cause.RUN_FAILED, org.jvmm.core.kvm.KvmException.describe(14)).toString());
        assertEquals("vCPU thread failed: java.lang.IllegalStateException: boom",
                VcpuStop.failure(VcpuStop.Cause.THREAD_FAILED, "java.lang.IllegalStateException: boom").toString());
        assertEquals(true, VcpuStop.failure(VcpuStop.Cause.RUN_FAILED, "x").isError());
        assertEquals(false, VcpuStop.requested().isError());
        assertEquals(false, VcpuStop.exit(ExitReason.HLT, ExitReason.HLT.code(), "", "").isError());
        assertEquals(true, VcpuStop.exit(ExitReason.SHUTDOWN, ExitReason.SHUTDOWN.code(), "triple fault", "").isError());
    }
}
