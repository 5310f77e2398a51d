package org.jvmm.gdb.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jvmm.gdb.CatchCommand;
import org.jvmm.gdb.testing.FakeTarget;

/**
 * Fuzzes the packet parser and the dispatcher: raw bytes through {@link PacketDecoder} (every packet
 * it accepts goes to the dispatcher), and packets that start like real ones (memory, registers,
 * breakpoints, vCont, qXfer, qRcmd, thread selection) with any tail. The dispatcher never throws for
 * any packet; every reply fits a packet, carries no unescaped framing byte, and frames and decodes
 * back to itself; removing every breakpoint at the end leaves no {@code int3} the packets did not
 * write themselves. The fake machine is put back to its first state before each input.
 */
class RspFuzzTest {

    private static final FakeTarget TARGET = new FakeTarget(2).code(0x90, 0x90, 0x90, 0xeb, 0xfe);
    private static final FakeTarget.State PRISTINE = TARGET.save();
    private static final String[] HEADS = {
        "m", "M", "X", "g", "G", "p", "P", "Z0,", "Z1,", "Z2,", "Z3,", "Z4,", "z0,", "z1,", "z2,", "z4,", "vCont;",
        "vCont?", "vKill;", "c", "C", "s", "S", "H", "Hg", "Hc", "T", "?", "D", "k", "qC", "qSupported:",
        "qfThreadInfo", "qsThreadInfo", "qThreadExtraInfo,", "qXfer:features:read:target.xml:", "qXfer:threads:read::",
        "qXfer:", "qRcmd,", "qAttached", "QStartNoAckMode", "m200000,", "Z0,20000", "Z2,30000", "P10=", "P2c=",
        "M200000,1:", "X200001,1:",
    };

    @FuzzTest(maxDuration = "30s")
    void packets(FuzzedDataProvider data) {
        TARGET.restore(PRISTINE);
        Breakpoints breakpoints = new Breakpoints(TARGET);
        Dispatcher dispatcher = new Dispatcher(TARGET, breakpoints,
                new Monitor(List.of(new CatchCommand(TARGET.catchpoints))));
        List<String> packets = new ArrayList<>();
        while (data.remainingBytes() > 0) {
            if (data.consumeBoolean()) {
                packets.add(HEADS[data.consumeInt(0, HEADS.length - 1)] + data.consumeAsciiString(64));
            } else {
                byte[] raw = data.consumeBytes(data.consumeInt(0, 300));
                new PacketDecoder(new Collect(packets), 128).feed(raw, 0, raw.length);
            }
        }
        boolean wroteMemory = false;
        for (String packet : packets) {
            wroteMemory |= packet.startsWith("M") || packet.startsWith("X");
            Dispatcher.Reply reply = dispatcher.handle(packet);
            if (reply instanceof Dispatcher.Reply.Send send) {
                for (String payload : send.packets()) {
                    checkFraming(payload);
                }
            }
        }
        breakpoints.clear();
        if (!wroteMemory) {
            assertEquals(-1L, TARGET.memory().slice(0, FakeTarget.RAM)
                    .mismatch(PRISTINE.memory()), "guest memory differs after every breakpoint was removed");
        }
    }

    private static void checkFraming(String payload) {
        assertTrue(payload.length() <= Dispatcher.PACKET_SIZE, "reply of " + payload.length());
        for (int i = 0; i < payload.length(); i++) {
            char c = payload.charAt(i);
            assertTrue(c < 256, "one byte per char");
            assertTrue(c != '$' && c != '#' && c != '*', "unescaped framing byte in " + payload);
            if (c == '}') {
                assertTrue(i + 1 < payload.length(), "escape at the end");
                i++;
            }
        }
        List<String> decoded = new ArrayList<>();
        byte[] frame = PacketDecoder.frame(payload);
        new PacketDecoder(new Collect(decoded), Dispatcher.PACKET_SIZE).feed(frame, 0, frame.length);
        assertEquals(List.of(payload), decoded);
        assertEquals(payload, new String(frame, 1, payload.length(), StandardCharsets.ISO_8859_1));
    }

    /** Collects the packets a decoder accepts; the rest it ignores. */
    private record Collect(List<String> packets) implements PacketDecoder.Sink {
        @Override
        public void packet(String payload) {
            packets.add(payload);
        }

        @Override
        public void overlong() {
        }

        @Override
        public void corrupt(String why) {
        }

        @Override
        public void ack() {
        }

        @Override
        public void nack() {
        }

        @Override
        public void interrupt() {
        }
    }
}
