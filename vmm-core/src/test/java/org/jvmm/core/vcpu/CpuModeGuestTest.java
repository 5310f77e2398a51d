package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jvmm.core.arch.X86Setup;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.VcpuFd;
import org.jvmm.core.testing.Guests;
import org.jvmm.core.testing.RecordingDevice;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/** Guests entered in 32-bit protected mode, in long mode and in ring 3, HLT without an irqchip, and a triple fault. */
@RequiresKvm
class CpuModeGuestTest {

    /** Records, at each write, the CPU state that the host sees at that exit. */
    static final class StateProbe extends RecordingDevice {
        VcpuFd vcpu;
        SpecialRegisters sregs;
        long rflags;

        @Override
        protected void onWrite(long offset, int size, long value) {
            sregs = vcpu.getSpecialRegisters();
            rflags = vcpu.getRegisters().get(Register.RFLAGS);
        }
    }

    @Test
    void longModeGuestDoesPortIo() {
        byte[] code = {
            (byte) 0xb0, 0x42,                         // mov al, 0x42
            (byte) 0xe6, 0x10,                         // out 0x10, al
            (byte) 0xb8, (byte) 0xcd, (byte) 0xab, 0x34, 0x12, // mov eax, 0x1234abcd
            (byte) 0xe7, 0x14,                         // out 0x14, eax
            (byte) 0xf4,                               // hlt
        };
        try (TestMachine m = TestMachine.create(4 << 20)) {
            StateProbe probe = m.port("probe", 0x10, 8, new StateProbe());
            probe.vcpu = m.longModeVcpu(0, code);
            VcpuStop exit = Guests.runToEnd(new Vcpu(probe.vcpu, m.dispatcher(0)));

            assertEquals(ExitReason.HLT, exit.reason(), exit + "\n" + exit.registers());
            assertEquals(List.of(0x42L, 0x1234abcdL), probe.writes());
            assertEquals(4, probe.accesses().get(1).size());
            assertTrue((probe.sregs.efer() & X86Setup.EFER_LMA) != 0, "long mode active");
            assertTrue(probe.sregs.segment(SpecialRegisters.Segment.CS).l(), "64-bit code segment");
            assertEquals(0, probe.sregs.segment(SpecialRegisters.Segment.CS).dpl());
        }
    }

    @Test
    void protectedModeGuestDoesPortIo() {
        byte[] code = {
            (byte) 0xb8, 0x78, 0x56, 0x34, 0x12,       // mov eax, 0x12345678 (a 32-bit immediate only in 32-bit code)
            (byte) 0xe7, 0x14,                         // out 0x14, eax
            (byte) 0xf4,                               // hlt
        };
        try (TestMachine m = TestMachine.create(4 << 20)) {
            StateProbe probe = m.port("probe", 0x10, 8, new StateProbe());
            m.memory.write(TestMachine.LONG_MODE_ENTRY, code);
            probe.vcpu = m.vcpu(0);
            X86Setup.protectedMode(probe.vcpu, m.memory, TestMachine.GDT, TestMachine.LONG_MODE_ENTRY, TestMachine.LONG_MODE_STACK);
            VcpuStop exit = Guests.runToEnd(new Vcpu(probe.vcpu, m.dispatcher(0)));

            assertEquals(ExitReason.HLT, exit.reason(), exit + "\n" + exit.registers());
            assertEquals(List.of(0x12345678L), probe.writes(), "a 16-bit decode would have written 0x5678 and run on");
            assertEquals(4, probe.accesses().get(0).size());
            assertTrue((probe.sregs.cr0() & X86Setup.CR0_PE) != 0, "protected mode");
            assertEquals(0, probe.sregs.efer() & X86Setup.EFER_LMA, "not long mode");
            assertTrue(probe.sregs.segment(SpecialRegisters.Segment.CS).db(), "32-bit code segment");
        }
    }

    @Test
    void ringThreeGuestDoesPortIoAndCannotHalt() {
        byte[] code = {
            (byte) 0xb0, 0x33,   // mov al, 0x33
            (byte) 0xe6, 0x10,   // out 0x10, al      ; allowed in ring 3 by IOPL 3
            (byte) 0xf4,         // hlt               ; privileged: #GP, no IDT, so a triple fault
        };
        try (TestMachine m = TestMachine.create(4 << 20)) {
            StateProbe probe = m.port("probe", 0x10, 1, new StateProbe());
            probe.vcpu = m.longModeVcpu(0, code);
            X86Setup.dropToRing3(probe.vcpu, TestMachine.LONG_MODE_ENTRY, TestMachine.LONG_MODE_STACK);
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuStop exit = Guests.runToEnd(new Vcpu(probe.vcpu, dispatcher));

            assertEquals(List.of(0x33L), probe.writes());
            assertEquals(3, probe.sregs.segment(SpecialRegisters.Segment.CS).dpl(), "CPL 3 at the out");
            assertEquals(X86Setup.USER_CS, probe.sregs.segment(SpecialRegisters.Segment.CS).selector());
            assertEquals(X86Setup.RFLAGS_IOPL3, probe.rflags & X86Setup.RFLAGS_IOPL3);
            assertEquals(ExitReason.SHUTDOWN, exit.reason(), "hlt in ring 3 must fault, not halt: " + exit);
            assertEquals(0, dispatcher.stats().snapshot().exits(ExitReason.HLT.code()));
        }
    }

    @Test
    void hltWithoutAnIrqchipStopsTheVcpu() {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuFd vcpu = m.realModeVcpu(0, new byte[] {(byte) 0x90, (byte) 0x90, (byte) 0xf4}); // nop; nop; hlt
            VcpuStop exit = Guests.runToEnd(new Vcpu(vcpu, dispatcher));
            assertEquals(ExitReason.HLT, exit.reason());
            assertEquals(5, exit.rawReason());
            assertTrue(!exit.isError());
            assertEquals(TestMachine.REAL_MODE_ENTRY + 3, vcpu.getRegisters().get(Register.RIP), "rip after the hlt");
            assertEquals(1, dispatcher.stats().snapshot().totalExits());
        }
    }

    @Test
    void tripleFaultIsAShutdownExit() {
        try (TestMachine m = TestMachine.create(4 << 20)) {
            VcpuFd vcpu = m.longModeVcpu(0, new byte[] {0x0f, 0x0b}); // ud2, with no IDT to handle #UD
            vcpu.setSpecialRegisters(vcpu.getSpecialRegisters().idt(0, 0));
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuStop exit = Guests.runToEnd(new Vcpu(vcpu, dispatcher));
            assertEquals(ExitReason.SHUTDOWN, exit.reason(), exit.toString());
            assertEquals("SHUTDOWN: triple fault", exit.toString());
            assertTrue(exit.isError(), "a triple fault is a crash");
            assertTrue(exit.registers().contains("RIP"), exit.registers());
            assertEquals(1, dispatcher.stats().snapshot().exits(ExitReason.SHUTDOWN.code()));
        }
    }
}
