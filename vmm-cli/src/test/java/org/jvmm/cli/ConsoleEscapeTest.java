package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Ctrl-A escape of the console, without a terminal: what reaches the guest and what quits. */
class ConsoleEscapeTest {

    private final AtomicInteger quits = new AtomicInteger();
    private final ByteArrayOutputStream messages = new ByteArrayOutputStream();

    private ConsoleEscape escape(InputStream in) {
        return new ConsoleEscape(in, quits::incrementAndGet, new PrintStream(messages, true, StandardCharsets.UTF_8));
    }

    /** Everything the guest would get, reading with a buffer of the given size. */
    private byte[] guestSees(InputStream source, int chunk) throws IOException {
        ConsoleEscape in = escape(source);
        ByteArrayOutputStream guest = new ByteArrayOutputStream();
        byte[] buffer = new byte[chunk];
        int n;
        while ((n = in.read(buffer, 0, chunk)) >= 0) {
            assertTrue(n > 0, "a read returns at least one byte or the end");
            guest.write(buffer, 0, n);
        }
        return guest.toByteArray();
    }

    private byte[] guestSees(byte[] typed, int chunk) throws IOException {
        return guestSees(new ByteArrayInputStream(typed), chunk);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void ordinaryKeysPassUnchangedControlCIncluded() throws IOException {
        byte[] typed = bytes('l', 's', '\r', 0x03, 0x1a, 0x00, 0xff, 0x1b, '[', 'A');
        assertArrayEquals(typed, guestSees(typed, 64));
        assertEquals(0, quits.get());
    }

    @Test
    void ctrlAxQuitsAndEndsTheStreamAfterTheKeysBeforeIt() throws IOException {
        byte[] typed = bytes('a', 'b', 0x01, 'x', 'c', 'd');
        assertArrayEquals(bytes('a', 'b'), guestSees(typed, 64));
        assertEquals(1, quits.get());
    }

    @Test
    void capitalXQuitsToo() throws IOException {
        assertArrayEquals(new byte[0], guestSees(bytes(0x01, 'X'), 64));
        assertEquals(1, quits.get());
    }

    @Test
    void escapeSplitAcrossReadsIsCompletedByTheNextRead() throws IOException {
        // One byte a read, as a terminal in raw mode delivers keystrokes.
        byte[] typed = bytes('q', 0x01, 0x01, 'w', 0x01, 'x', 'z');
        assertArrayEquals(bytes('q', 0x01, 'w'), guestSees(typed, 1));
        assertEquals(1, quits.get());
    }

    @Test
    void ctrlATwiceSendsOneCtrlA() throws IOException {
        assertArrayEquals(bytes(0x01, 0x01, 'k'), guestSees(bytes(0x01, 0x01, 0x01, 0x01, 'k'), 64));
        assertEquals(0, quits.get());
    }

    @Test
    void helpIsPrintedAndNothingReachesTheGuest() throws IOException {
        assertArrayEquals(bytes('a', 'b'), guestSees(bytes('a', 0x01, 'h', 0x01, '?', 'b'), 64));
        String text = messages.toString(StandardCharsets.UTF_8);
        assertEquals(("jvmm: " + ConsoleEscape.HELP + System.lineSeparator()).repeat(2), text);
        assertEquals(0, quits.get());
    }

    @Test
    void unknownEscapesAreDroppedAsQemuDoes() throws IOException {
        assertArrayEquals(bytes('1', '2'), guestSees(bytes('1', 0x01, 'c', 0x01, 's', '2'), 64));
        assertEquals(0, quits.get());
    }

    @Test
    void aReadOfOnlyAnEscapeWaitsForMoreInsteadOfReturningZero() throws IOException {
        // The first read yields only the escape prefix: read() must not return 0 bytes.
        InputStream source = new InputStream() {
            private final byte[][] reads = {bytes(0x01), bytes(0x01), bytes('y')};
            private int next;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (next == reads.length) {
                    return -1;
                }
                byte[] r = reads[next++];
                System.arraycopy(r, 0, b, off, r.length);
                return r.length;
            }
        };
        assertArrayEquals(bytes(0x01, 'y'), guestSees(source, 16));
    }

    @Test
    void singleByteReadFiltersToo() throws IOException {
        ConsoleEscape in = escape(new ByteArrayInputStream(bytes('a', 0x01, 0x01, 0x01, 'x', 'b')));
        assertEquals('a', in.read());
        assertEquals(0x01, in.read());
        assertEquals(-1, in.read());
        assertEquals(-1, in.read(), "stays ended");
        assertEquals(1, quits.get());
        assertTrue(in.quitRequested());
    }

    @Test
    void endOfInputWithoutQuitIsJustTheEnd() throws IOException {
        ConsoleEscape in = escape(new ByteArrayInputStream(bytes('a', 0x01)));
        assertEquals('a', in.read());
        assertEquals(-1, in.read());
        assertFalse(in.quitRequested());
        assertEquals(0, quits.get());
    }
}
