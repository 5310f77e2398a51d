package org.jvmm.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code monitor catch}'s grammar, and which exits each catchpoint matches. */
class CatchCommandTest {

    private final Catchpoints catchpoints = new Catchpoints();
    private final CatchCommand command = new CatchCommand(catchpoints);

    private String error(String arguments) {
        return assertThrows(IllegalArgumentException.class, () -> command.run(arguments)).getMessage();
    }

    @Test
    void everyFormParses() {
        assertEquals("catchpoint 1: io 0x3f8-0x3ff\n", command.run("io 0x3f8-0x3ff"));
        assertEquals("catchpoint 2: io 0x80 in\n", command.run("io 128 IN"));
        assertEquals("catchpoint 3: mmio 0xd0000000-0xd0000fff read\n", command.run("mmio 0xd0000000-0xd0000fff read"));
        assertEquals("catchpoint 4: mmio 0xffffffffffffffff write\n", command.run("mmio 0xffffffffffffffff write"));
        assertEquals("catchpoint 5: hlt\n", command.run("hlt"));
        assertEquals("catchpoint 1: io 0x3f8-0x3ff\n", command.run("io 1016-1023"), "the same one again");
        assertEquals("1: io 0x3f8-0x3ff\n2: io 0x80 in\n3: mmio 0xd0000000-0xd0000fff read\n"
                + "4: mmio 0xffffffffffffffff write\n5: hlt\n", command.run("list"));
        assertEquals(List.of(new Catchpoint.Io(0x3f8, 0x3ff, Catchpoint.Direction.ANY),
                new Catchpoint.Io(0x80, 0x80, Catchpoint.Direction.IN),
                new Catchpoint.Mmio(0xd000_0000L, 0xd000_0fffL, Catchpoint.Access.READ),
                new Catchpoint.Mmio(-1L, -1L, Catchpoint.Access.WRITE), new Catchpoint.Hlt()), catchpoints.list());
        assertEquals("every catchpoint removed\n", command.run("clear"));
        assertEquals("no catchpoints\n", command.run("list"));
        command.run("hlt");
        command.detached();
        assertEquals(List.of(), catchpoints.list(), "detaching clears them");
    }

    @Test
    void badArgumentsSayWhatIsExpected() {
        assertEquals("catch: expected io PORT[-PORT] [in|out] | mmio ADDR[-ADDR] [read|write] | hlt | list | clear",
                error(""));
        assertEquals("catch: unknown kind 'irq', expected io PORT[-PORT] [in|out] | mmio ADDR[-ADDR] [read|write] | hlt "
                + "| list | clear", error("irq 4"));
        assertEquals("catch io: expected PORT[-PORT] [in|out]", error("io"));
        assertEquals("catch io: expected PORT[-PORT] [in|out]", error("io 1 in out"));
        assertEquals("catch: bad port '0x10000' (decimal, or hexadecimal with 0x, at most 0xffff)", error("io 0x10000"));
        assertEquals("catch: bad port 'com1' (decimal, or hexadecimal with 0x, at most 0xffff)", error("io com1"));
        assertEquals("catch: bad port '' (decimal, or hexadecimal with 0x, at most 0xffff)", error("io 0x3f8-"));
        assertEquals("catch: port range '0x3ff-0x3f8' ends before it starts", error("io 0x3ff-0x3f8"));
        assertEquals("catch io: expected 'in' or 'out' after the ports, got 'write'", error("io 1 write"));
        assertEquals("catch mmio: expected 'read' or 'write' after the addresses, got 'out'", error("mmio 0x1000 out"));
        assertEquals("catch: bad address '0x10000000000000000' (decimal, or hexadecimal with 0x)",
                error("mmio 0x10000000000000000"));
        assertEquals("catch hlt: expected no arguments", error("hlt now"));
        assertEquals("catch list: expected no arguments", error("list all"));
        assertEquals(List.of(), catchpoints.list(), "nothing was added");
    }

    @Test
    void ioCatchpointsMatchPortAndDirection() {
        Catchpoint out = new Catchpoint.Io(0x3f8, 0x3ff, Catchpoint.Direction.OUT);
        Catchpoint any = new Catchpoint.Io(0x80, 0x80, Catchpoint.Direction.ANY);
        catchpoints.add(out);
        catchpoints.add(any);
        assertSame(out, catchpoints.matchIo(0x3f8, true));
        assertSame(out, catchpoints.matchIo(0x3ff, true));
        assertNull(catchpoints.matchIo(0x3f8, false), "an in");
        assertNull(catchpoints.matchIo(0x3f7, true));
        assertNull(catchpoints.matchIo(0x400, true));
        assertSame(any, catchpoints.matchIo(0x80, false));
        assertSame(any, catchpoints.matchIo(0x80, true));
        assertNull(catchpoints.matchMmio(0x3f8, 1, true), "ports are not addresses");
        assertNull(catchpoints.matchHlt());
        assertThrows(IllegalArgumentException.class, () -> new Catchpoint.Io(0, 0x10000, Catchpoint.Direction.IN));
        assertThrows(IllegalArgumentException.class, () -> new Catchpoint.Io(2, 1, Catchpoint.Direction.IN));
    }

    @Test
    void mmioCatchpointsMatchAnyByteOfTheAccess() {
        Catchpoint write = new Catchpoint.Mmio(0x1000, 0x1fff, Catchpoint.Access.WRITE);
        Catchpoint top = new Catchpoint.Mmio(-16L, -1L, Catchpoint.Access.ANY);
        catchpoints.add(write);
        catchpoints.add(top);
        assertSame(write, catchpoints.matchMmio(0xffe, 4, true), "the last two bytes reach in");
        assertNull(catchpoints.matchMmio(0xff8, 8, true), "ends at 0xfff");
        assertSame(write, catchpoints.matchMmio(0x1fff, 8, true));
        assertNull(catchpoints.matchMmio(0x2000, 1, true));
        assertNull(catchpoints.matchMmio(0x1800, 4, false), "a read");
        assertSame(top, catchpoints.matchMmio(-4L, 8, false), "an access that wraps past 2^64");
        assertSame(top, catchpoints.matchMmio(-20L, 8, true));
        assertNull(catchpoints.matchMmio(-30L, 8, true));
        Catchpoint hlt = new Catchpoint.Hlt();
        catchpoints.add(hlt);
        assertSame(hlt, catchpoints.matchHlt());
        assertThrows(IllegalArgumentException.class, () -> new Catchpoint.Mmio(2, 1, Catchpoint.Access.ANY));
    }
}
