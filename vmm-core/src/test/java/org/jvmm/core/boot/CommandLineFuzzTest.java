package org.jvmm.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import org.jvmm.core.memory.GuestRegion;
import org.jvmm.core.memory.RegionGuestMemory;

/**
 * Fuzzes the command line builder: a limit from a bzImage's cmdline_size (any value) or given
 * directly, then any sequence of appends of any text, as parameters or key=value pairs. After every
 * step the line is printable ASCII within its limit; an append either adds exactly the stripped text
 * (after one space) or fails with the error its input calls for and leaves the line unchanged. The
 * finished line is written by {@link LinuxBoot#writeBootParams} to guest memory, NUL-terminated and
 * pointed to by the zero page, or refused as too long for jvmm's command line area. Writing the
 * boot parameters changes no guest byte outside the line (with its NUL) and the zero page, and a
 * refused line changes none: RAM starts every run filled with a marker byte, checked afterwards.
 */
class CommandLineFuzzTest {

    /** RAM from 0 to the end of the command line area: the zero page at 0x7000, the line at 0x20000. */
    private static final long RAM = TestLayout.CMDLINE + TestLayout.CMDLINE_AREA;
    /** What RAM holds where nothing was written: a run restores it where it wrote. */
    private static final byte FILL = (byte) 0xA5;
    private static final MemorySegment RAM_SEGMENT = Arena.global().allocate(RAM, 4096).fill(FILL);
    private static final MemorySegment FILLED = Arena.global().allocate(RAM).fill(FILL);
    private static final RegionGuestMemory MEMORY = new RegionGuestMemory(List.of(new GuestRegion(0, RAM_SEGMENT)));

    @FuzzTest(maxDuration = "30s")
    void build(FuzzedDataProvider data) {
        LoadedKernel kernel = kernel(data);
        CommandLine line;
        if (data.consumeBoolean()) {
            line = CommandLine.forKernel(kernel);
            long declared = kernel.header().map(SetupHeader::cmdlineSize).orElse(0L);
            assertEquals(declared > 0 ? declared : CommandLine.DEFAULT_MAX_LENGTH, line.maxLength());
        } else {
            long limit = data.consumeBoolean() ? data.consumeLong(-1, 300) : data.consumeLong();
            try {
                line = new CommandLine(limit);
            } catch (IllegalArgumentException e) {
                assertTrue(limit <= 0, "limit " + limit + " refused");
                return;
            }
        }
        int steps = data.consumeInt(0, 24);
        for (int i = 0; i < steps; i++) {
            String before = line.toString();
            String text = text(data);
            if (data.consumeBoolean()) {
                appendKeyValue(line, data.consumeString(8), text, before);
            } else {
                append(line, text, before);
            }
            checkInvariants(line);
        }
        checkWritten(kernel, line);
    }

    /** A kernel without a header (ELF), or a bzImage's header with any cmdline_size. */
    private static LoadedKernel kernel(FuzzedDataProvider data) {
        Optional<SetupHeader> header = Optional.empty();
        if (data.consumeBoolean()) {
            byte[] image = TestImages.bzImage();
            ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(0x238, data.consumeBoolean() ? data.consumeInt(0, 300) : data.consumeInt());
            header = Optional.of(SetupHeader.parse(image));
        }
        return new LoadedKernel(BzImage.LOAD_ADDRESS, 2 * BzImage.LOAD_ADDRESS, BzImage.LOAD_ADDRESS + 0x200, header);
    }

    private static String text(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 7)) {
            case 0 -> data.consumeString(data.consumeInt(0, 64)); // any UTF-16, surrogates included
            case 1 -> " ".repeat(data.consumeInt(0, 3)) + "x".repeat(data.consumeInt(0, 0x11000)) + " ";
            default -> data.consumeAsciiString(data.consumeInt(0, 64));
        };
    }

    private static void append(CommandLine line, String text, String before) {
        String stripped = text.strip();
        try {
            line.append(text);
        } catch (BootException e) {
            assertEquals(before, line.toString(), "a failed append changed the line");
            switch (e.error()) {
                case CMDLINE_BAD_CHARACTER -> assertTrue(!printable(stripped), "printable text refused: " + e.getMessage());
                case CMDLINE_TOO_LONG -> assertTrue(printable(stripped)
                        && before.length() + stripped.length() + (before.isEmpty() ? 0 : 1) > line.maxLength(),
                        "text that fits refused: " + e.getMessage());
                default -> fail("unexpected error " + e.getMessage());
            }
            return;
        }
        assertTrue(printable(stripped), "non-printable text accepted");
        String expected = stripped.isEmpty() ? before : before.isEmpty() ? stripped : before + " " + stripped;
        assertEquals(expected, line.toString());
    }

    private static void appendKeyValue(CommandLine line, String key, String value, String before) {
        if (key.isEmpty() || key.contains(" ") || key.contains("=")) {
            try {
                line.append(key, value);
                fail("parameter name '" + key + "' accepted");
            } catch (IllegalArgumentException expected) {
                assertEquals(before, line.toString(), "a refused parameter changed the line");
            }
            return;
        }
        append(line, key + "=" + value, before);
    }

    private static void checkInvariants(CommandLine line) {
        String text = line.toString();
        assertEquals(text.length(), line.length());
        assertTrue(line.length() <= line.maxLength(), line.length() + " bytes over the limit " + line.maxLength());
        assertTrue(printable(text) && text.equals(text.strip()), "line '" + text + "'");
        byte[] bytes = line.toBytes();
        assertEquals(line.length() + 1, bytes.length);
        assertEquals(0, bytes[bytes.length - 1], "NUL-terminated");
    }

    private static void checkWritten(LoadedKernel kernel, CommandLine line) {
        byte[] bytes = line.toBytes();
        ZeroPage page;
        try {
            page = new LinuxBoot(MEMORY, 1, TestLayout.LINUX).writeBootParams(kernel, line, Optional.empty(), 0);
        } catch (BootException e) {
            assertEquals(BootError.CMDLINE_TOO_LONG, e.error(), e.getMessage());
            assertTrue(bytes.length > TestLayout.CMDLINE_AREA, "a line that fits jvmm's area refused: " + e.getMessage());
            assertFilled(0, RAM, "a refused line");
            return;
        }
        try {
            checkPlaced(page, bytes);
        } finally {
            MEMORY.slice(TestLayout.CMDLINE, bytes.length).fill(FILL);
            MEMORY.slice(TestLayout.ZERO_PAGE, ZeroPage.SIZE).fill(FILL);
        }
    }

    private static void checkPlaced(ZeroPage page, byte[] bytes) {
        long zeroPageEnd = TestLayout.ZERO_PAGE + ZeroPage.SIZE;
        long lineEnd = TestLayout.CMDLINE + bytes.length;
        assertFilled(0, TestLayout.ZERO_PAGE, "writing the boot parameters");
        assertFilled(zeroPageEnd, TestLayout.CMDLINE, "writing the boot parameters");
        assertFilled(lineEnd, RAM, "writing the boot parameters");
        MemorySegment written = MEMORY.slice(TestLayout.CMDLINE, bytes.length);
        assertEquals(-1, written.mismatch(MemorySegment.ofArray(bytes)), "command line in guest memory");
        ByteBuffer zeroPage = ByteBuffer.wrap(page.toBytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(TestLayout.CMDLINE, Integer.toUnsignedLong(zeroPage.getInt(ZeroPage.CMD_LINE_PTR)));
        assertEquals(0, zeroPage.getInt(ZeroPage.EXT_CMD_LINE_PTR));
        assertEquals(-1, MEMORY.slice(TestLayout.ZERO_PAGE, ZeroPage.SIZE).mismatch(MemorySegment.ofArray(page.toBytes())),
                "zero page in guest memory");
    }

    /** Guest bytes [from, to) still hold {@link #FILL}; nothing to check when the range is empty. */
    private static void assertFilled(long from, long to, String what) {
        if (from >= to) {
            return; // a line of the area's full length ends at the end of RAM: no slice there
        }
        long at = MEMORY.slice(from, to - from).mismatch(FILLED.asSlice(0, to - from));
        if (at >= 0) {
            throw new AssertionError(String.format("%s changed guest byte 0x%x (0x%02x), outside the command line and"
                    + " the zero page", what, from + at, MEMORY.readByte(from + at)));
        }
    }

    private static boolean printable(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c <= 0x7e);
    }
}
