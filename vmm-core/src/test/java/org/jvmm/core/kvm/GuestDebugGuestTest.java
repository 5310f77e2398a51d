package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/**
 * KVM_SET_GUEST_DEBUG on a real vCPU and what KVM_EXIT_DEBUG reports: an instruction breakpoint
 * stops before the instruction, a single-step after one, a write watchpoint after the write, and an
 * {@code int3} under USE_SW_BP with the pc at the {@code int3} itself.
 */
@RequiresKvm
class GuestDebugGuestTest {

    private static final long E = TestMachine.LONG_MODE_ENTRY;
    private static final long DR7_BASE = 0x600;

    private static final byte[] CODE = {
        (byte) 0x90, (byte) 0x90, (byte) 0x90,          // +0 nop; +1 nop; +2 nop
        (byte) 0xa2, 0x00, 0x00, 0x30, 0, 0, 0, 0, 0,   // +3 mov [0x300000], al
        (byte) 0xcc,                                    // +12 int3
        (byte) 0xf4,                                    // +13 hlt
    };

    private static DebugExit runToDebugExit(VcpuFd vcpu) {
        ExitReason reason = vcpu.run();
        assertEquals(ExitReason.DEBUG, reason, "exit");
        return DebugExit.of(vcpu.kvmRun());
    }

    @Test
    void breakpointStepWatchpointAndInt3() {
        try (TestMachine m = TestMachine.create(8 << 20)) {
            int support = m.kvm.checkExtension(Capability.SET_GUEST_DEBUG2);
            System.out.println("KVM_CAP_SET_GUEST_DEBUG2 = 0x" + Integer.toHexString(support));
            VcpuFd vcpu = m.longModeVcpu(0, CODE);

            vcpu.setGuestDebug(new GuestDebug(GuestDebug.ENABLE | GuestDebug.USE_HW_BP,
                    new long[] {E + 1, 0, 0, 0, 0, 0, 0, DR7_BASE | 0b10}));
            DebugExit breakpoint = runToDebugExit(vcpu);
            assertEquals(DebugExit.DB_VECTOR, breakpoint.exception());
            assertEquals(E + 1, breakpoint.pc(), "before the instruction");
            assertEquals(0b0001, breakpoint.breakpointsHit());
            assertEquals(E + 1, vcpu.getRegisters().get(Register.RIP));

            vcpu.setGuestDebug(new GuestDebug(GuestDebug.ENABLE | GuestDebug.SINGLESTEP, new long[0]));
            DebugExit step = runToDebugExit(vcpu);
            assertTrue(step.singleStep(), "DR6.BS in 0x" + Long.toHexString(step.dr6()));
            assertEquals(E + 2, step.pc());

            // DR0: write, 1 byte (RW 01, LEN 00).
            vcpu.setGuestDebug(new GuestDebug(GuestDebug.ENABLE | GuestDebug.USE_HW_BP,
                    new long[] {0x30_0000, 0, 0, 0, 0, 0, 0, DR7_BASE | 0b10 | 0b01L << 16}));
            DebugExit watch = runToDebugExit(vcpu);
            assertEquals(0b0001, watch.breakpointsHit());
            assertEquals(E + 12, watch.pc(), "after the writing instruction");

            vcpu.setGuestDebug(new GuestDebug(GuestDebug.ENABLE | GuestDebug.USE_SW_BP, new long[0]));
            DebugExit int3 = runToDebugExit(vcpu);
            assertTrue(int3.softwareBreakpoint(), "exception " + int3.exception());
            assertEquals(E + 12, int3.pc(), "the int3's own address");
            assertEquals(E + 12, vcpu.getRegisters().get(Register.RIP));
        }
    }
}
