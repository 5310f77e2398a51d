package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/**
 * KVM_SET_GUEST_DEBUG on a real vCPU and the KVM_EXIT_DEBUG it brings, decoded by
 * {@link DebugExit}: single-stepping stops after each instruction with DR6.BS and the next pc, and
 * switching debugging off lets the guest run to its end.
 *
 * <p>Hardware breakpoints, watchpoints and {@code int3} interception are not tested here: in the
 * nested KVM these tests run in (QEMU's TCG emulating SVM) KVM accepts them, but the emulated CPU
 * ignores the debug registers KVM loads for the guest and hands {@code int3} to the guest.
 */
@RequiresKvm
class GuestDebugGuestTest {

    private static final long E = TestMachine.LONG_MODE_ENTRY;
    private static final byte[] CODE = {(byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0xf4}; // nop; nop; nop; hlt

    @Test
    void singleStepStopsAfterEachInstruction() {
        try (TestMachine m = TestMachine.create(8 << 20)) {
            int flags = m.kvm.checkExtension(Capability.SET_GUEST_DEBUG2);
            assertEquals(GuestDebug.BASELINE_FLAGS, flags & GuestDebug.BASELINE_FLAGS,
                    "KVM_CAP_SET_GUEST_DEBUG2 = 0x" + Integer.toHexString(flags));
            VcpuFd vcpu = m.longModeVcpu(0, CODE);
            vcpu.setGuestDebug(new GuestDebug(GuestDebug.ENABLE | GuestDebug.SINGLESTEP, new long[0]));
            for (int i = 1; i <= 3; i++) {
                assertEquals(ExitReason.DEBUG, vcpu.run());
                DebugExit step = DebugExit.of(vcpu.kvmRun());
                assertEquals(DebugExit.DB_VECTOR, step.exception());
                assertTrue(step.singleStep(), "DR6.BS in 0x" + Long.toHexString(step.dr6()));
                assertEquals(0, step.breakpointsHit());
                assertEquals(E + i, step.pc());
                assertEquals(E + i, vcpu.getRegisters().get(Register.RIP));
            }
            vcpu.setGuestDebug(GuestDebug.OFF);
            assertEquals(ExitReason.HLT, vcpu.run());
            assertEquals(E + 4, vcpu.getRegisters().get(Register.RIP));
        }
    }
}
