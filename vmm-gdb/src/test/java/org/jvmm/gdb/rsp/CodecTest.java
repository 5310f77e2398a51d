package org.jvmm.gdb.rsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The protocol's hex numbers, hex bytes, little-endian register values and escaped binary data. */
class CodecTest {

    @Test
    void numbersAreStrictHex() {
        assertEquals(0x200000, Hex.parse("m200000,4", 1, 7));
        assertEquals(-1L, Hex.parse("ffffffffffffffff", 0, 16));
        assertEquals(0xABCL, Hex.parse("ABC", 0, 3));
        assertEquals(1, Hex.parse("00000000000000000001", 0, 20), "leading zeros do not count");
        assertThrows(MalformedPacketException.class, () -> Hex.parse("10000000000000000", 0, 17));
        assertThrows(MalformedPacketException.class, () -> Hex.parse("", 0, 0));
        assertThrows(MalformedPacketException.class, () -> Hex.parse("12g", 0, 3));
        assertThrows(MalformedPacketException.class, () -> Hex.parse("-1", 0, 2));
        assertEquals(0x7fffffff, Hex.parseInt("7fffffff"));
        assertThrows(MalformedPacketException.class, () -> Hex.parseInt("80000000"));
    }

    @Test
    void bytesAndLittleEndianValues() {
        assertArrayEquals(new byte[] {0x12, (byte) 0xab}, Hex.decode("x12abx", 1, 5));
        assertThrows(MalformedPacketException.class, () -> Hex.decode("123", 0, 3));
        assertThrows(MalformedPacketException.class, () -> Hex.decode("1x", 0, 2));
        assertEquals("0001ff", Hex.encode(new byte[] {0, 1, -1}));
        StringBuilder out = new StringBuilder();
        Hex.appendLittleEndian(out, 0x1122334455667788L, 8);
        Hex.appendLittleEndian(out, 0x246, 4);
        assertEquals("887766554433221146020000", out.toString());
        assertEquals(0x1122334455667788L, Hex.parseLittleEndian(out.toString(), 0, 8));
        assertEquals(0x246, Hex.parseLittleEndian(out.toString(), 16, 4));
        assertThrows(MalformedPacketException.class, () -> Hex.parseLittleEndian("1122", 0, 4));
    }

    @Test
    void binaryDataEscapesTheFramingBytes() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        StringBuilder out = new StringBuilder();
        Binary.append(out, all, 0, all.length);
        assertEquals(256 + 4, out.length(), "four bytes escaped");
        for (char c : new char[] {'#', '$', '*'}) {
            assertEquals(-1, out.indexOf(String.valueOf(c)), "no raw " + c);
        }
        assertArrayEquals(all, Binary.decode("X" + out, 1));
        assertEquals(2, Binary.escapedSize((byte) '}'));
        assertEquals(1, Binary.escapedSize((byte) 'a'));
        assertThrows(MalformedPacketException.class, () -> Binary.decode("ab}", 0));
    }

    @Test
    void qXferPiecesCountEscapedBytesAgainstTheLength() {
        byte[] data = {'a', '#', 'b', '}', 'c'};
        assertEquals("ma}\u0003", Dispatcher.xferChunk(data, 0, 3), "a and an escaped # fill 3 characters");
        assertEquals("mb", Dispatcher.xferChunk(data, 2, 2), "} needs two more and does not fit");
        assertEquals("lb}]c", Dispatcher.xferChunk(data, 2, 100));
        assertEquals("l", Dispatcher.xferChunk(data, 5, 100));
        assertEquals("E01", Dispatcher.xferChunk(data, 6, 100));
        assertEquals(Dispatcher.PACKET_SIZE, Dispatcher.xferChunk(new byte[100_000], 0, -1L).length(),
                "a huge length is cut to a packet");
    }
}
