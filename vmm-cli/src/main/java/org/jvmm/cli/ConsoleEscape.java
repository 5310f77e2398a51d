package org.jvmm.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * The console's escape key, as QEMU's {@code -nographic} has it: keystrokes pass to the guest
 * unchanged except after Ctrl-A, where {@code x} quits, Ctrl-A sends one Ctrl-A to the guest,
 * {@code h} or {@code ?} prints the help, and any other key is dropped. A raw-mode terminal sends
 * Ctrl-C to the guest, so without this there would be no key that stops jvmm.
 *
 * <p>After {@code x} the stream ends (reads return -1), so the reader stops feeding the guest.
 */
final class ConsoleEscape extends FilterInputStream {

    /** Ctrl-A. */
    static final int ESCAPE = 0x01;
    /** The keys, as the help and jvmm's first line on a terminal say. */
    static final String HELP = "Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A h prints this help";

    private final Runnable quit;
    private final PrintStream messages;
    private boolean escaped;
    private boolean quitting;

    /**
     * Filters a stream.
     *
     * @param in       the keyboard (stdin in raw mode)
     * @param quit     what Ctrl-A x does; runs once, on the reading thread
     * @param messages where the help goes
     */
    ConsoleEscape(InputStream in, Runnable quit, PrintStream messages) {
        super(in);
        this.quit = quit;
        this.messages = messages;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (!quitting) {
            int n = in.read(buffer, offset, length);
            if (n < 0) {
                return n;
            }
            int kept = filter(buffer, offset, n);
            if (kept > 0) {
                return kept;
            }
        }
        return -1;
    }

    /**
     * Removes escape sequences from {@code buffer[offset, offset + length)} in place, acting on
     * them; an escape split across two reads is completed by the next one.
     *
     * @return how many bytes at {@code offset} are for the guest
     */
    int filter(byte[] buffer, int offset, int length) {
        int kept = offset;
        for (int i = offset; i < offset + length && !quitting; i++) {
            int b = buffer[i] & 0xff;
            if (!escaped) {
                if (b == ESCAPE) {
                    escaped = true;
                } else {
                    buffer[kept++] = (byte) b;
                }
                continue;
            }
            escaped = false;
            switch (b) {
                case ESCAPE -> buffer[kept++] = (byte) ESCAPE;
                case 'x', 'X' -> {
                    quitting = true;
                    quit.run();
                }
                case 'h', 'H', '?' -> messages.println("jvmm: " + HELP);
                default -> { } // QEMU drops unknown escapes too
            }
        }
        return kept - offset;
    }

    /** {@return whether Ctrl-A x was typed} */
    boolean quitRequested() {
        return quitting;
    }
}
