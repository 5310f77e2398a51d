package org.jvmm.gdb.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jvmm.core.kvm.DebugExit;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.gdb.testing.FakeTarget;
import org.junit.jupiter.api.Test;

/** What a debug exit means, given the slots in use and whether the vCPU was stepping. */
class BreakpointsTest {

    private static final long DR6 = 0xffff0ff0L;

    private final Breakpoints breakpoints = new Breakpoints(new FakeTarget(1));

    private Breakpoints.Hit db(long dr6Bits, boolean stepping) {
        return breakpoints.classify(new DebugExit(DebugExit.DB_VECTOR, 0x20_0000, DR6 | dr6Bits, 0), stepping);
    }

    @Test
    void aWatchpointWinsOverAnInstructionBreakpointAndAStep() {
        assertEquals(Breakpoints.Result.OK, breakpoints.insert(1, 0x20_0000, 1, 0));
        assertEquals(Breakpoints.Result.OK, breakpoints.insert(2, 0x30_0000, 8, 0));
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.HARDWARE, 0), db(0b01, false));
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.WATCH, 0x30_0000), db(0b11 | DebugExit.DR6_SINGLE_STEP, true));
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.HARDWARE, 0), db(0b01 | DebugExit.DR6_SINGLE_STEP, true));
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.TRAP, 0), db(DebugExit.DR6_SINGLE_STEP, true));
    }

    @Test
    void debugExceptionsTheStubDidNotAskForAreTheGuests() {
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.GUEST_DEBUG, 0), db(DebugExit.DR6_SINGLE_STEP, false),
                "the guest's own TF step");
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.GUEST_DEBUG, 0), db(0b100, false), "an empty slot");
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.GUEST_BREAKPOINT, 0),
                breakpoints.classify(new DebugExit(DebugExit.BP_VECTOR, 0x20_0005, DR6, 0), false));
        assertEquals(Breakpoints.Result.OK, breakpoints.insert(0, 0x20_0005, 1, 0));
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.SOFTWARE, 0),
                breakpoints.classify(new DebugExit(DebugExit.BP_VECTOR, 0x20_0005, DR6, 0), false));
        assertEquals(new Breakpoints.Hit(Breakpoints.Cause.TRAP, 0),
                breakpoints.classify(new DebugExit(6, 0x20_0005, DR6, 0), false), "another vector");
    }

    @Test
    void theStateIsOffWithNothingInsertedAndNoStep() {
        assertEquals(GuestDebug.OFF, breakpoints.state(false));
        assertEquals(GuestDebug.ENABLE | GuestDebug.SINGLESTEP | GuestDebug.BLOCKIRQ, breakpoints.state(true).control());
        breakpoints.insert(0, 0x20_0000, 1, 0);
        assertEquals(GuestDebug.ENABLE | GuestDebug.USE_SW_BP, breakpoints.state(false).control());
        assertEquals(0x600, breakpoints.state(false).debugRegister(GuestDebug.DR7), "no slot enabled");
        breakpoints.clear();
        assertEquals(GuestDebug.OFF, breakpoints.state(false));
    }
}
