package org.jvmm.gdb;

import java.util.List;
import java.util.Locale;

/**
 * {@code monitor catch}: edits the exit {@link Catchpoints}.
 * <pre>
 * catch io PORT[-PORT] [in|out]       a port I/O exit on those ports
 * catch mmio ADDR[-ADDR] [read|write] an MMIO exit touching those guest-physical addresses
 * catch hlt                           a HLT exit
 * catch list                          the catchpoints, numbered
 * catch clear                         remove them all
 * </pre>
 * Numbers are hexadecimal with {@code 0x}, decimal without. Detaching clears every catchpoint.
 */
public final class CatchCommand implements MonitorCommand {

    private static final String USAGE =
            "io PORT[-PORT] [in|out] | mmio ADDR[-ADDR] [read|write] | hlt | list | clear";

    private final Catchpoints catchpoints;

    /**
     * Creates the command.
     *
     * @param catchpoints the set the machine's exit path consults
     */
    public CatchCommand(Catchpoints catchpoints) {
        this.catchpoints = catchpoints;
    }

    @Override
    public String name() {
        return "catch";
    }

    @Override
    public String help() {
        return "catch " + USAGE + ": stop every vCPU on such a VM exit";
    }

    @Override
    public String run(String arguments) {
        String[] words = arguments.isBlank() ? new String[0] : arguments.trim().split("\\s+");
        if (words.length == 0) {
            throw new IllegalArgumentException("catch: expected " + USAGE);
        }
        String what = words[0].toLowerCase(Locale.ROOT);
        switch (what) {
            case "list" -> {
                expectWords(words, 1, 1);
                return list();
            }
            case "clear" -> {
                expectWords(words, 1, 1);
                catchpoints.clear();
                return "every catchpoint removed\n";
            }
            case "hlt" -> {
                expectWords(words, 1, 1);
                return added(new Catchpoint.Hlt());
            }
            case "io" -> {
                expectWords(words, 2, 3);
                long[] range = range(words[1], 0xffff, "port");
                Catchpoint.Direction direction = Catchpoint.Direction.ANY;
                if (words.length == 3) {
                    direction = switch (words[2].toLowerCase(Locale.ROOT)) {
                        case "in" -> Catchpoint.Direction.IN;
                        case "out" -> Catchpoint.Direction.OUT;
                        default -> throw new IllegalArgumentException(
                                "catch io: expected 'in' or 'out' after the ports, got '" + words[2] + "'");
                    };
                }
                return added(new Catchpoint.Io((int) range[0], (int) range[1], direction));
            }
            case "mmio" -> {
                expectWords(words, 2, 3);
                long[] range = range(words[1], -1L, "address");
                Catchpoint.Access access = Catchpoint.Access.ANY;
                if (words.length == 3) {
                    access = switch (words[2].toLowerCase(Locale.ROOT)) {
                        case "read" -> Catchpoint.Access.READ;
                        case "write" -> Catchpoint.Access.WRITE;
                        default -> throw new IllegalArgumentException(
                                "catch mmio: expected 'read' or 'write' after the addresses, got '" + words[2] + "'");
                    };
                }
                return added(new Catchpoint.Mmio(range[0], range[1], access));
            }
            default -> throw new IllegalArgumentException("catch: unknown kind '" + words[0] + "', expected " + USAGE);
        }
    }

    @Override
    public void detached() {
        catchpoints.clear();
    }

    private String added(Catchpoint catchpoint) {
        return "catchpoint " + catchpoints.add(catchpoint) + ": " + catchpoint + "\n";
    }

    private String list() {
        List<Catchpoint> all = catchpoints.list();
        if (all.isEmpty()) {
            return "no catchpoints\n";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < all.size(); i++) {
            out.append(i + 1).append(": ").append(all.get(i)).append('\n');
        }
        return out.toString();
    }

    private static void expectWords(String[] words, int min, int max) {
        if (words.length < min || words.length > max) {
            throw new IllegalArgumentException("catch " + words[0] + ": expected " + switch (words[0].toLowerCase(Locale.ROOT)) {
                case "io" -> "PORT[-PORT] [in|out]";
                case "mmio" -> "ADDR[-ADDR] [read|write]";
                default -> "no arguments";
            });
        }
    }

    /** Parses {@code N} or {@code N-M} with both ends at most {@code max} (unsigned). */
    private static long[] range(String text, long max, String what) {
        int dash = text.indexOf('-');
        long first = number(dash < 0 ? text : text.substring(0, dash), max, what);
        long last = dash < 0 ? first : number(text.substring(dash + 1), max, what);
        if (Long.compareUnsigned(first, last) > 0) {
            throw new IllegalArgumentException("catch: " + what + " range '" + text + "' ends before it starts");
        }
        return new long[] {first, last};
    }

    private static long number(String text, long max, String what) {
        try {
            long value = text.startsWith("0x") || text.startsWith("0X")
                    ? Long.parseUnsignedLong(text.substring(2), 16) : Long.parseUnsignedLong(text);
            if (Long.compareUnsigned(value, max) > 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("catch: bad " + what + " '" + text + "' (decimal, or hexadecimal with 0x"
                    + (max == -1L ? "" : ", at most 0x" + Long.toHexString(max)) + ")");
        }
    }
}
