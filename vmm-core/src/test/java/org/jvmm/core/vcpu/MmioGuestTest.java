package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.testing.Guests;
import org.jvmm.core.testing.RecordingDevice;
import org.jvmm.core.testing.RecordingDevice.Access;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/** MMIO of every size from a 64-bit guest to addresses no memory slot maps. */
@RequiresKvm
class MmioGuestTest {

    private static final long DEVICE = 0xd000_0000L;
    private static final long RESULTS = 0x30_0000;

    // 64-bit code; rbx = the device, rcx = where the values read are stored for the host to check.
    private static final byte[] CODE = {
        (byte) 0xbb, 0x00, 0x00, 0x00, (byte) 0xd0,             // mov  ebx, 0xd0000000
        (byte) 0xb9, 0x00, 0x00, 0x30, 0x00,                    // mov  ecx, 0x300000
        (byte) 0xc6, 0x03, 0x11,                                // mov  byte [rbx], 0x11
        0x66, (byte) 0xc7, 0x43, 0x08, 0x33, 0x22,              // mov  word [rbx+8], 0x2233
        (byte) 0xc7, 0x43, 0x10, 0x77, 0x66, 0x55, 0x44,        // mov  dword [rbx+16], 0x44556677
        0x48, (byte) 0xb8, (byte) 0xff, (byte) 0xee, (byte) 0xdd, (byte) 0xcc,
        (byte) 0xbb, (byte) 0xaa, (byte) 0x99, (byte) 0x88,     // mov  rax, 0x8899aabbccddeeff
        0x48, (byte) 0x89, 0x43, 0x18,                          // mov  [rbx+24], rax
        (byte) 0x8a, 0x43, 0x20,                                // mov  al, [rbx+32]
        (byte) 0x88, 0x01,                                      // mov  [rcx], al
        0x66, (byte) 0x8b, 0x43, 0x28,                          // mov  ax, [rbx+40]
        0x66, (byte) 0x89, 0x41, 0x08,                          // mov  [rcx+8], ax
        (byte) 0x8b, 0x43, 0x30,                                // mov  eax, [rbx+48]
        (byte) 0x89, 0x41, 0x10,                                // mov  [rcx+16], eax
        0x48, (byte) 0x8b, 0x43, 0x38,                          // mov  rax, [rbx+56]
        0x48, (byte) 0x89, 0x41, 0x18,                          // mov  [rcx+24], rax
        (byte) 0x8b, (byte) 0x83, 0x00, 0x10, 0x00, 0x00,       // mov  eax, [rbx+0x1000]   ; unclaimed
        (byte) 0x89, 0x41, 0x20,                                // mov  [rcx+32], eax
        (byte) 0xc7, (byte) 0x83, 0x00, 0x10, 0x00, 0x00,
        0x5a, 0x5a, 0x5a, 0x5a,                                 // mov  dword [rbx+0x1000], 0x5a5a5a5a ; dropped
        (byte) 0xf4,                                            // hlt
    };

    @Test
    void readsAndWritesOfOneTwoFourAndEightBytesReachTheDevice() {
        try (TestMachine m = TestMachine.create(4 << 20)) {
            RecordingDevice device = m.mmio("dev", DEVICE, 0x1000, new RecordingDevice((offset, size) -> switch ((int) size) {
                case 1 -> 0xa1;
                case 2 -> 0xb2b2;
                case 4 -> 0xc4c4_c4c4L;
                default -> 0xd8d8_d8d8_d8d8_d8d8L;
            }));
            m.memory.writeLong(RESULTS + 32, 0);
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuStop exit = Guests.runToEnd(new Vcpu(m.longModeVcpu(0, CODE), dispatcher));

            assertEquals(ExitReason.HLT, exit.reason(), exit + "\n" + exit.registers());
            assertEquals(List.of(
                    new Access(true, 0x00, 1, 0x11), new Access(true, 0x08, 2, 0x2233),
                    new Access(true, 0x10, 4, 0x4455_6677L), new Access(true, 0x18, 8, 0x8899_aabb_ccdd_eeffL),
                    new Access(false, 0x20, 1, 0xa1), new Access(false, 0x28, 2, 0xb2b2),
                    new Access(false, 0x30, 4, 0xc4c4_c4c4L), new Access(false, 0x38, 8, 0xd8d8_d8d8_d8d8_d8d8L)),
                    device.accesses());
            assertEquals((byte) 0xa1, m.memory.readByte(RESULTS));
            assertEquals((short) 0xb2b2, m.memory.readShort(RESULTS + 8));
            assertEquals(0xc4c4_c4c4, m.memory.readInt(RESULTS + 16));
            assertEquals(0xd8d8_d8d8_d8d8_d8d8L, m.memory.readLong(RESULTS + 24));
            assertEquals(0xffff_ffffL, m.memory.readLong(RESULTS + 32), "unclaimed MMIO reads all ones");
            ExitStatsSnapshot s = dispatcher.stats().snapshot();
            assertEquals(10, s.exits(ExitReason.MMIO.code()));
            assertEquals(8, s.mmioExits()[0]);
            assertEquals(2, s.unclaimedMmio());
            assertEquals(1, s.exits(ExitReason.HLT.code()));
            assertEquals(11, s.totalExits());
        }
    }
}
