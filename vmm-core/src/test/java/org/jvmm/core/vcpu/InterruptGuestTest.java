package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.KvmException;
import org.jvmm.core.kvm.KvmRun;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.sys.Errno;
import org.jvmm.core.testing.RecordingDevice;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/**
 * KVM_INTERRUPT on a VM without the in-kernel irqchip: a real-mode guest halts with interrupts on,
 * the host injects a vector, and the guest wakes in the handler its interrupt vector table names.
 */
@RequiresKvm
class InterruptGuestTest {

    private static final int VECTOR = 0x20;
    private static final long HANDLER = 0x7d00;

    private static final byte[] MAIN = {
        (byte) 0xfb,    // sti
        (byte) 0xf4,    // hlt      ; the first HLT exit: the host injects here
        (byte) 0xfa,    // cli
        (byte) 0xf4,    // hlt      ; the second HLT exit, at 0x7c04 after it
    };
    private static final byte[] ISR = {
        (byte) 0xb0, 0x42,          // mov al, 0x42
        (byte) 0xe6, 0x10,          // out 0x10, al
        (byte) 0xcf,                // iret
    };

    private static VcpuFd guest(TestMachine m) {
        m.memory.write(HANDLER, ISR);
        m.memory.writeShort(VECTOR * 4L, (short) HANDLER);
        m.memory.writeShort(VECTOR * 4L + 2, (short) 0);
        return m.realModeVcpu(0, MAIN);
    }

    /** One KVM_RUN and its dispatch; returns the exit. */
    private static ExitReason step(VcpuFd vcpu, ExitDispatcher dispatcher) {
        ExitReason reason = vcpu.run();
        dispatcher.dispatch(vcpu.kvmRun(), System.nanoTime());
        return reason;
    }

    @Test
    void injectedVectorWakesTheHaltedGuestInItsHandler() {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            RecordingDevice port = m.port("port", 0x10, 1, new RecordingDevice());
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuFd vcpu = guest(m);
            KvmRun run = vcpu.kvmRun();

            assertEquals(ExitReason.HLT, step(vcpu, dispatcher));
            assertTrue(run.interruptFlag(), "the guest halted after sti");
            assertTrue(run.readyForInterruptInjection(), "KVM says an interrupt can be injected now");
            vcpu.interrupt(VECTOR);
            assertEquals(ExitReason.IO, step(vcpu, dispatcher), "the handler's out");
            assertEquals(ExitReason.HLT, step(vcpu, dispatcher), "back from iret to cli; hlt");

            assertEquals(List.of(0x42L), port.writes());
            assertEquals(0x7c04, vcpu.getRegisters().get(Register.RIP));
        }
    }

    @Test
    void withoutAnInterruptTheGuestRunsOnPastTheHandler() {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            RecordingDevice port = m.port("port", 0x10, 1, new RecordingDevice());
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuFd vcpu = guest(m);

            assertEquals(ExitReason.HLT, step(vcpu, dispatcher));
            assertEquals(ExitReason.HLT, step(vcpu, dispatcher));

            assertEquals(List.of(), port.writes());
            assertEquals(0x7c04, vcpu.getRegisters().get(Register.RIP));
        }
    }

    @Test
    void aVmWithTheInKernelIrqchipRefusesItAndBadVectorsAreRejected() {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            m.vm.createIrqChip();
            VcpuFd vcpu = m.vcpu(0);

            KvmException e = assertThrows(KvmException.class, () -> vcpu.interrupt(VECTOR));
            assertEquals(Errno.ENXIO, e.errno());
            assertThrows(IllegalArgumentException.class, () -> vcpu.interrupt(256));
            assertThrows(IllegalArgumentException.class, () -> vcpu.interrupt(-1));
        }
    }
}
