package org.jvmm.gdb.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The framing byte by byte: what each input turns into. */
class PacketDecoderTest {

    /** Records every event as text. */
    private static final class Events implements PacketDecoder.Sink {
        final List<String> seen = new ArrayList<>();

        @Override
        public void packet(String payload) {
            seen.add("packet " + payload);
        }

        @Override
        public void overlong() {
            seen.add("overlong");
        }

        @Override
        public void corrupt(String why) {
            seen.add("corrupt");
        }

        @Override
        public void ack() {
            seen.add("+");
        }

        @Override
        public void nack() {
            seen.add("-");
        }

        @Override
        public void interrupt() {
            seen.add("^C");
        }
    }

    private static List<String> decode(String input, int max) {
        Events events = new Events();
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        new PacketDecoder(events, max).feed(bytes, 0, bytes.length);
        return events.seen;
    }

    private static List<String> decode(String input) {
        return decode(input, 64);
    }

    @Test
    void aPacketWithItsChecksumInEitherCase() {
        assertEquals(List.of("packet g"), decode("$g#67"));
        assertEquals(List.of("packet qC"), decode("$qC#B4"));
        assertEquals(List.of("packet "), decode("$#00"), "an empty packet");
    }

    @Test
    void acknowledgementsAndCtrlCBetweenPackets() {
        assertEquals(List.of("+", "-", "^C", "packet ?", "+"), decode("+-\u0003$?#3f+"));
        assertEquals(List.of("packet a\u0003b"), decode("$a\u0003b#c6"), "0x03 inside a packet is data");
        assertEquals(List.of("packet g"), decode("\r\nnoise$g#67\n"), "noise between packets is ignored");
    }

    @Test
    void corruptPacketsAndRestarts() {
        assertEquals(List.of("corrupt"), decode("$g#68"), "wrong checksum");
        assertEquals(List.of("corrupt"), decode("$g#6x"), "checksum not hex");
        assertEquals(List.of("corrupt", "packet ?"), decode("$g#$?#3f"), "a $ in the checksum starts a packet");
        assertEquals(List.of("packet ?"), decode("$gg$?#3f"), "a $ in the payload starts over");
        assertEquals(List.of(), decode("$g#6"), "truncated: nothing yet");
        assertEquals(List.of(), decode("$abc"), "truncated: nothing yet");
    }

    @Test
    void anOverlongPacketIsToldApartFromACorruptOne() {
        String payload = "x".repeat(65);
        int sum = 65 * 'x' & 0xff;
        assertEquals(List.of("overlong"), decode("$" + payload + "#" + String.format("%02x", sum)));
        assertEquals(List.of("corrupt"), decode("$" + payload + "#" + String.format("%02x", sum ^ 1)));
        assertEquals(List.of("packet " + "x".repeat(64)), decode("$" + "x".repeat(64) + "#" + String.format("%02x", 64 * 'x' & 0xff)));
        assertEquals(List.of("overlong", "packet g"), decode("$" + payload + "#" + String.format("%02x", sum) + "$g#67"),
                "the decoder is in step after it");
    }

    @Test
    void framesDecodeBackToThePayload() {
        StringBuilder all = new StringBuilder();
        for (int c = 0; c < 256; c++) {
            if (c != '$' && c != '#') {
                all.append((char) c);
            }
        }
        byte[] frame = PacketDecoder.frame(all.toString());
        Events events = new Events();
        new PacketDecoder(events, 512).feed(frame, 0, frame.length);
        assertEquals(List.of("packet " + all), events.seen);
        assertEquals("$OK#9a", new String(PacketDecoder.frame("OK"), StandardCharsets.US_ASCII));
    }
}
