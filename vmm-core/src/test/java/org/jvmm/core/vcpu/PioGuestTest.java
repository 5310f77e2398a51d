package org.jvmm.core.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.kvm.ExitReason;
import org.jvmm.core.stats.ExitStatsSnapshot;
import org.jvmm.core.testing.Guests;
import org.jvmm.core.testing.RecordingDevice;
import org.jvmm.core.testing.RecordingDevice.Access;
import org.jvmm.core.testing.RequiresKvm;
import org.jvmm.core.testing.TestMachine;
import org.junit.jupiter.api.Test;

/** Port I/O from real-mode guests through Vcpu and ExitDispatcher. */
@RequiresKvm
class PioGuestTest {

    @Test
    void outLoopExitsOncePerOutWithEachValue() {
        try (TestMachine m = TestMachine.create(1 << 20)) {
            RecordingDevice debug = m.port("debug", 0x10, 1, new RecordingDevice());
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuStop exit = Guests.runToEnd(new Vcpu(m.realModeVcpu(0, Guests.outLoop(0x10, 0xf0, 300)), dispatcher));

            assertEquals(ExitReason.HLT, exit.reason(), exit.toString());
            List<Long> expected = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                expected.add((long) ((0xf0 + i) & 0xff));
            }
            assertEquals(expected, debug.writes(), "every byte, in order, wrapping at 0xff");
            assertTrue(debug.accesses().stream().allMatch(a -> a.size() == 1 && a.offset() == 0));
            ExitStatsSnapshot s = dispatcher.stats().snapshot();
            assertEquals(300, s.exits(ExitReason.IO.code()));
            assertEquals(1, s.exits(ExitReason.HLT.code()));
            assertEquals(301, s.totalExits());
            assertEquals(300, s.portExits()[0x10]);
            assertEquals(0, s.unclaimedPio());
        }
    }

    @Test
    void inGetsTheDevicesAnswerAndUnclaimedPortsReadAllOnes() {
        byte[] code = {
            (byte) 0xe4, 0x20,              // in   al, 0x20      ; device: 0x5a
            (byte) 0xe6, 0x10,              // out  0x10, al
            (byte) 0xe5, 0x22,              // in   ax, 0x22      ; device: 0x1234 at offset 2
            (byte) 0xe7, 0x12,              // out  0x12, ax
            (byte) 0xe4, (byte) 0x80,       // in   al, 0x80      ; unclaimed: 0xff
            (byte) 0xe6, 0x10,              // out  0x10, al
            (byte) 0xe5, (byte) 0x82,       // in   ax, 0x82      ; unclaimed: 0xffff
            (byte) 0xe7, 0x12,              // out  0x12, ax
            0x66, (byte) 0xe5, (byte) 0x84, // in   eax, 0x84     ; unclaimed: 0xffffffff
            0x66, (byte) 0xe7, 0x14,        // out  0x14, eax
            (byte) 0xf4,                    // hlt
        };
        try (TestMachine m = TestMachine.create(1 << 20)) {
            RecordingDevice answers = m.port("answers", 0x20, 4, new RecordingDevice((offset, size) ->
                    offset == 0 ? 0x5a : 0x1234));
            RecordingDevice echo = m.port("echo", 0x10, 8, new RecordingDevice());
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuStop exit = Guests.runToEnd(new Vcpu(m.realModeVcpu(0, code), dispatcher));

            assertEquals(ExitReason.HLT, exit.reason(), exit.toString());
            assertEquals(List.of(new Access(false, 0, 1, 0x5a), new Access(false, 2, 2, 0x1234)), answers.accesses());
            assertEquals(List.of(new Access(true, 0, 1, 0x5a), new Access(true, 2, 2, 0x1234),
                    new Access(true, 0, 1, 0xff), new Access(true, 2, 2, 0xffff), new Access(true, 4, 4, 0xffff_ffffL)),
                    echo.accesses());
            ExitStatsSnapshot s = dispatcher.stats().snapshot();
            assertEquals(10, s.exits(ExitReason.IO.code()));
            assertEquals(3, s.unclaimedPio());
            assertEquals(1, s.portExits()[0x80]);
            assertEquals(1, s.portExits()[0x84]);
        }
    }

    @Test
    void stringOutAndInMoveEveryByteInOrder() {
        String message = "jvmm string i/o!!"; // 17 bytes
        byte[] code = {
            (byte) 0xbe, 0x00, 0x11,        // mov si, 0x1100     ; the message
            (byte) 0xb9, 0x11, 0x00,        // mov cx, 17
            (byte) 0xba, 0x10, 0x00,        // mov dx, 0x10
            (byte) 0xfc,                    // cld
            (byte) 0xf3, 0x6e,              // rep outsb          ; port 0x10 <- ds:si, cx times
            (byte) 0xbf, 0x00, 0x12,        // mov di, 0x1200
            (byte) 0xb9, 0x08, 0x00,        // mov cx, 8
            (byte) 0xba, 0x20, 0x00,        // mov dx, 0x20
            (byte) 0xf3, 0x6c,              // rep insb           ; es:di <- port 0x20, cx times
            (byte) 0xf4,                    // hlt
        };
        try (TestMachine m = TestMachine.create(1 << 20)) {
            m.memory.write(0x1100, message.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            RecordingDevice sink = m.port("sink", 0x10, 1, new RecordingDevice());
            int[] next = {0xa0};
            RecordingDevice source = m.port("source", 0x20, 1, new RecordingDevice((offset, size) -> next[0]++));
            ExitDispatcher dispatcher = m.dispatcher(0);
            VcpuStop exit = Guests.runToEnd(new Vcpu(m.realModeVcpu(0, code), dispatcher));

            assertEquals(ExitReason.HLT, exit.reason(), exit.toString());
            StringBuilder got = new StringBuilder();
            sink.writes().forEach(v -> got.append((char) v.longValue()));
            assertEquals(message, got.toString(), "rep outsb: every byte once, in order");
            assertEquals(8, source.count(), "rep insb: one device read per byte");
            byte[] read = new byte[8];
            m.memory.slice(0x1200, 8).asByteBuffer().get(read);
            assertEquals("[-96, -95, -94, -93, -92, -91, -90, -89]", java.util.Arrays.toString(read), "0xa0..0xa7 in memory");
            ExitStatsSnapshot s = dispatcher.stats().snapshot();
            // KVM may batch string I/O (one exit for the lot) or exit per element (PVM does for outsb).
            assertTrue(s.portExits()[0x10] >= 1 && s.portExits()[0x10] <= message.length(), "" + s.portExits()[0x10]);
            assertTrue(s.portExits()[0x20] >= 1 && s.portExits()[0x20] <= 8, "" + s.portExits()[0x20]);
            assertEquals(s.portExits()[0x10] + s.portExits()[0x20], s.exits(ExitReason.IO.code()));
        }
    }
}
