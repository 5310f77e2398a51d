package org.jvmm.gdb.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.SpecialRegisters.Segment;
import org.jvmm.gdb.CatchCommand;
import org.jvmm.gdb.MonitorCommand;
import org.jvmm.gdb.testing.FakeTarget;
import org.jvmm.gdb.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every packet the stub serves, over the wire as gdb sends it, against the fake machine: framing and
 * acknowledgements, registers, memory, threads, breakpoints and watchpoints, resuming and every kind
 * of stop, monitor commands, detach and kill, and what malformed packets get.
 */
class SessionTest {

    private FakeTarget target;
    private Wire wire;

    private Wire start(FakeTarget fake) throws Exception {
        return start(fake, List.of(new CatchCommand(fake.catchpoints)));
    }

    private Wire start(FakeTarget fake, List<MonitorCommand> commands) throws Exception {
        target = fake;
        wire = new Wire(fake, commands);
        return wire;
    }

    @AfterEach
    void closeWire() throws Exception {
        if (wire != null) {
            wire.close();
        }
    }

    private static String hex(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    private static String le(long value, int bytes) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < bytes; i++) {
            out.append(String.format("%02x", (value >>> (8 * i)) & 0xff));
        }
        return out.toString();
    }

    // ---- connection and queries ----

    @Test
    void qSupportedAdvertisesWhatTheStubServes() throws Exception {
        String reply = start(new FakeTarget(1)).request("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
        assertEquals("PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;vContSupported+;"
                + "swbreak+;hwbreak+", reply);
        assertEquals("vCont;c;C;s;S", wire.request("vCont?"));
        assertEquals("1", wire.request("qAttached"));
        assertEquals("1", wire.request("qAttached:a410"));
    }

    @Test
    void theFirstStopNamesThreadOneAndUnknownPacketsGetTheEmptyReply() throws Exception {
        start(new FakeTarget(1));
        assertEquals("T05thread:1;", wire.request("?"));
        for (String unknown : List.of("vMustReplyEmpty", "qTStatus", "qOffsets", "qSymbol::", "!", "vFile:setfs:0",
                "QNonStop:0", "QThreadEvents:1", "qL1200000000000000000", "bc", "i", "vRun;", "vStopped", "Z9,0,1")) {
            assertEquals("", wire.request(unknown), unknown);
        }
        assertEquals("", wire.request(""), "an empty packet");
        assertEquals(List.of("attach"), target.calls);
    }

    @Test
    void targetXmlComesInPiecesAndDescribesX86_64() throws Exception {
        start(new FakeTarget(1));
        StringBuilder xml = new StringBuilder();
        String reply;
        do {
            reply = wire.request("qXfer:features:read:target.xml:" + Integer.toHexString(xml.length()) + ",100");
            assertTrue(reply.startsWith("m") || reply.startsWith("l"), reply);
            assertTrue(reply.length() <= 0x101, "a chunk of at most 0x100 bytes, got " + reply.length());
            xml.append(reply.substring(1));
        } while (reply.startsWith("m"));
        assertEquals(new String(TargetDescription.xml(), StandardCharsets.US_ASCII), xml.toString());
        String text = xml.toString();
        assertTrue(text.contains("<architecture>i386:x86-64</architecture>"), text);
        for (String name : List.of("rax", "rip", "eflags", "cs", "gs", "st0", "fop", "fs_base", "gs_base", "cr3", "efer")) {
            assertTrue(text.contains("name=\"" + name + "\""), name);
        }
        assertTrue(text.indexOf("name=\"rbx\"") < text.indexOf("name=\"rcx\""), "gdb's order");
        assertEquals("l", wire.request("qXfer:features:read:target.xml:" + Integer.toHexString(text.length()) + ",100"));
        assertEquals("E01", wire.request("qXfer:features:read:target.xml:" + Integer.toHexString(text.length() + 1) + ",100"));
        assertEquals("E00", wire.request("qXfer:features:read:other.xml:0,100"));
        assertEquals("", wire.request("qXfer:libraries:read::0,100"));
        assertEquals("", wire.request("qXfer:features:write:target.xml:0,100"));
        assertEquals("E01", wire.request("qXfer:features:read:target.xml:0"));
        assertEquals("E01", wire.request("qXfer:features:read:target.xml:zz,10"));
    }

    // ---- registers ----

    @Test
    void gReportsEveryRegisterInGdbOrderAndX87AsUnavailable() throws Exception {
        FakeTarget fake = new FakeTarget(1);
        start(fake);
        String g = wire.request("g");
        assertEquals(RegisterAccess.G_LENGTH, g.length());
        assertEquals(16 * 16 + 16 + 8 + 6 * 8 + 8 * 20 + 8 * 8 + 2 * 16 + 6 * 16, g.length());
        assertEquals(le(0x1111, 8), g.substring(0, 16), "rax");
        assertEquals(le(0x1f_f000, 8), g.substring(7 * 16, 8 * 16), "rsp is gdb's register 7");
        assertEquals(le(FakeTarget.CODE, 8), g.substring(16 * 16, 17 * 16), "rip");
        assertEquals(le(2, 4), g.substring(17 * 16, 17 * 16 + 8), "eflags");
        assertEquals(le(8, 4), g.substring(17 * 16 + 8, 17 * 16 + 16), "cs");
        int x87 = 17 * 16 + 8 + 6 * 8;
        assertEquals("x".repeat(8 * 20 + 8 * 8), g.substring(x87, x87 + 8 * 20 + 8 * 8));
        int fsBase = x87 + 8 * 20 + 8 * 8;
        assertEquals(le(0x7000, 8), g.substring(fsBase, fsBase + 16), "fs_base");
        assertEquals(le(0x1000, 8), g.substring(fsBase + 2 * 16 + 2 * 16, fsBase + 5 * 16), "cr3");
        assertEquals(le(FakeTarget.CODE, 8), wire.request("p10"));
        assertEquals(le(0x10, 4), wire.request("p13"), "ss");
        assertEquals("x".repeat(20), wire.request("p18"), "st0");
        assertEquals("E01", wire.request("p30"), "past the last register");
        assertEquals("E01", wire.request("p"), "no number");
        assertEquals("E01", wire.request("gg"));
    }

    @Test
    void pAndPWriteOneRegisterThroughTheRightIoctl() throws Exception {
        FakeTarget fake = new FakeTarget(1);
        start(fake);
        assertEquals("OK", wire.request("P1=" + le(0xdead_beefL, 8)));
        assertEquals(0xdead_beefL, fake.register(0, Register.RBX));
        assertEquals(List.of("attach", "setRegisters 0"), fake.calls);
        assertEquals("OK", wire.request("P11=" + le(0x246, 4)), "eflags");
        assertEquals(0x246, fake.register(0, Register.RFLAGS));
        assertEquals("OK", wire.request("P28=" + le(0x1234_5000L, 8)), "fs_base");
        assertEquals(0x1234_5000L, fake.sregs(0).segment(Segment.FS).base());
        assertEquals(0x10, fake.sregs(0).segment(Segment.FS).selector(), "the selector stays");
        assertEquals("OK", wire.request("P2c=" + le(0x2000, 8)), "cr3");
        assertEquals(0x2000, fake.sregs(0).cr3());
        assertEquals("OK", wire.request("P12=" + le(8, 4)), "cs written back unchanged");
        assertEquals("E0e", wire.request("P12=" + le(0x18, 4)), "cs changed alone");
        assertEquals("E0e", wire.request("P18=" + "00".repeat(10)), "st0 is unavailable");
        assertEquals("E01", wire.request("P0=1234"), "too short for rax");
        assertEquals("E01", wire.request("P0" + le(1, 8)), "no =");
        assertEquals("E01", wire.request("P0=" + "zz".repeat(8)), "bad hex");
        assertEquals("E01", wire.request("P40=" + le(1, 8)), "no such register");
    }

    @Test
    void gWrittenBackWithGChangesOnlyWhatDiffers() throws Exception {
        FakeTarget fake = new FakeTarget(1);
        start(fake);
        String g = wire.request("g");
        assertEquals("OK", wire.request("G" + g));
        assertEquals(List.of("attach", "setRegisters 0"), fake.calls, "no KVM_SET_SREGS when nothing special changed");
        String changed = le(0x42, 8) + g.substring(16);
        assertEquals("OK", wire.request("G" + changed));
        assertEquals(0x42, fake.register(0, Register.RAX));
        int cr0 = 17 * 16 + 8 + 6 * 8 + 8 * 20 + 8 * 8 + 2 * 16;
        String cr0Changed = g.substring(0, cr0) + le(0x8000_0031L, 8) + g.substring(cr0 + 16);
        assertEquals("OK", wire.request("G" + cr0Changed));
        assertEquals(0x8000_0031L, fake.sregs(0).cr0());
        assertEquals("E01", wire.request("G" + g.substring(2)), "one byte short");
        String csChanged = g.substring(0, 17 * 16 + 8) + le(0x18, 4) + g.substring(17 * 16 + 16);
        assertEquals("E0e", wire.request("G" + csChanged));
    }

    // ---- memory ----

    @Test
    void memoryIsReadAndWrittenAtVirtualAddressesThroughThePageTables() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0x48, 0x31, 0xc0);
        start(fake);
        assertEquals("904831c0", wire.request("m200000,4"));
        assertEquals("904831c0", wire.request("m" + Long.toHexString(FakeTarget.HIGH + FakeTarget.CODE) + ",4"), "high alias");
        assertEquals("E0e", wire.request("m" + Long.toHexString(FakeTarget.UNMAPPED) + ",4"));
        assertEquals("0000", wire.request("m3ffffe,4"), "stops at the unmapped page after RAM");
        assertEquals("OK", wire.request("M300000,3:0a0b0c"));
        assertEquals((byte) 0x0b, fake.memory().readByte(0x30_0001));
        // X: binary, with #, $, } and * escaped as } and the byte XOR 0x20.
        assertEquals("OK", wire.request("X" + Long.toHexString(FakeTarget.HIGH + 0x30_0010) + ",5:\u0001}\u0003}\u0004}]}\n"));
        assertEquals("0123247d2a", wire.request("m300010,5"));
        assertEquals("OK", wire.request("X300000,0:"), "gdb's probe for X");
        assertEquals("E0e", wire.request("M" + Long.toHexString(FakeTarget.UNMAPPED) + ",1:00"));
        assertEquals("E01", wire.request("M300000,2:0a"), "fewer bytes than the length");
        assertEquals("E01", wire.request("M300000,1:0g"), "bad hex");
        assertEquals("E01", wire.request("M300000,1"), "no data");
        assertEquals("E01", wire.request("X300000,2:}"), "escape at the end");
        assertEquals("E01", wire.request("m300000"), "no length");
        assertEquals("E01", wire.request("m,4"), "no address");
        assertEquals("E01", wire.request("mx00000,4"), "bad hex address");
        assertEquals("E01", wire.request("m10000000000000000,1"), "wider than 64 bits");
        assertEquals("", wire.request("m300000,0"));
        String big = wire.request("m0,ffffffffffffffff");
        assertEquals(2 * Dispatcher.MAX_READ, big.length(), "a huge length is cut to what fits a packet");
    }

    // ---- threads ----

    @Test
    void vcpusAreThreadsNamedAfterThem() throws Exception {
        FakeTarget fake = new FakeTarget(2);
        start(fake);
        assertEquals("m1,2", wire.request("qfThreadInfo"));
        assertEquals("l", wire.request("qsThreadInfo"));
        assertEquals("QC1", wire.request("qC"));
        assertEquals(hex("vCPU 1"), wire.request("qThreadExtraInfo,2"));
        assertEquals("E02", wire.request("qThreadExtraInfo,3"));
        String threads = wire.request("qXfer:threads:read::0,fff");
        assertTrue(threads.startsWith("l<?xml"), threads);
        assertTrue(threads.contains("<thread id=\"1\" name=\"vCPU 0\"/>") && threads.contains("<thread id=\"2\" name=\"vCPU 1\"/>"),
                threads);
        assertEquals("OK", wire.request("T2"));
        assertEquals("E02", wire.request("T3"));
        assertEquals("E02", wire.request("T0"));
        assertEquals("OK", wire.request("Hg2"));
        assertEquals("QC2", wire.request("qC"));
        assertEquals(le(0x2222, 8), wire.request("p0"), "rax of vCPU 1");
        assertEquals("OK", wire.request("Hg0"), "any thread keeps the current one");
        assertEquals(le(0x2222, 8), wire.request("p0"));
        assertEquals("E02", wire.request("Hg3"));
        assertEquals("OK", wire.request("Hc-1"));
        assertEquals("E01", wire.request("Hx1"));
        assertEquals("E01", wire.request("Hg"));
        assertEquals("E01", wire.request("Hgzz"));
    }

    // ---- breakpoints and watchpoints ----

    @Test
    void hardwareBreakpointsFillFourDebugRegistersAndAFifthIsAnError() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0xeb, 0xfe);
        start(fake);
        for (int i = 0; i < 4; i++) {
            assertEquals("OK", wire.request("Z1," + Long.toHexString(0x20_0000 + 0x10 * i) + ",1"));
        }
        assertEquals("OK", wire.request("Z1,200000,1"), "inserting it again is a no-op");
        assertEquals("E10", wire.request("Z1,200100,1"), "a fifth");
        assertEquals("OK", wire.request("z1,200030,1"));
        assertEquals("OK", wire.request("z1,200030,1"), "removing it again is a no-op");
        assertEquals("OK", wire.request("Z1,200040,1"), "the freed slot");
        assertEquals("T05thread:1;hwbreak:;", wire.request("vCont;c"), "rip is at the first breakpoint");
        GuestDebug debug = fake.debugState(0);
        assertEquals(GuestDebug.ENABLE | GuestDebug.USE_HW_BP, debug.control());
        assertEquals(0x20_0000, debug.debugRegister(0));
        assertEquals(0x20_0040, debug.debugRegister(3));
        assertEquals(0x600 | 0xaa, debug.debugRegister(7), "G0-G3, instruction breakpoints of length 1");
        assertEquals("E01", wire.request("Z1,200000"), "no kind");
        assertEquals("E01", wire.request("Z1,zz,1"));
        assertEquals("E01", wire.request("Z12,0,1"));
        assertEquals("", wire.request("Z5,200000,1"), "an unknown type");
    }

    @Test
    void watchpointsTakeOneSlotPerAlignedPiece() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0xeb, 0xfe);
        start(fake);
        assertEquals("", wire.request("Z3,300000,4"), "x86 has no read watchpoints: gdb falls back to Z4");
        assertEquals("", wire.request("z3,300000,4"));
        assertEquals("OK", wire.request("Z2,300002,4"), "unaligned: 2 bytes at 0x300002 and 2 at 0x300004");
        assertEquals("OK", wire.request("Z4,300008,8"));
        assertEquals("E10", wire.request("Z2,300011,4"), "1 + 2 + 1 bytes need three slots, one is left");
        assertEquals("OK", wire.request("Z2,300010,1"));
        wire.send("vCont;c");
        assertEquals('+', wire.ack());
        wire.raw("\u0003");
        assertEquals("T02thread:1;", wire.packet());
        long dr7 = fake.debugState(0).debugRegister(7);
        // slot 0: write, 2 bytes (RW 01, LEN 01); slot 1: write, 2 bytes; slot 2: access, 8 bytes (RW 11,
        // LEN 10); slot 3: write, 1 byte (RW 01, LEN 00).
        assertEquals(0x600L | 0xaa | 0b0101L << 16 | 0b0101L << 20 | 0b1011L << 24 | 0b0001L << 28, dr7);
        assertEquals(0x30_0002, fake.debugState(0).debugRegister(0));
        assertEquals(0x30_0004, fake.debugState(0).debugRegister(1));
        assertEquals("OK", wire.request("z2,300002,4"), "removes both pieces");
        assertEquals("OK", wire.request("Z2,300020,8"));
        assertEquals("OK", wire.request("Z2,300028,2"));
        assertEquals("E10", wire.request("Z2,300000,0"), "length 0");
        assertEquals("E10", wire.request("Z4,300000,21"), "longer than four slots of 8 bytes");
        assertEquals("E10", wire.request("Z2,ffffffffffffffff,2"), "wraps past 2^64");
    }

    @Test
    void aWriteWatchpointStopsAfterTheWritingInstruction() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0xa2, 0x00, 0x00, 0x30, 0, 0, 0, 0, 0, 0xeb, 0xfe);
        start(fake);
        assertEquals("OK", wire.request("Z2,300000,1"));
        assertEquals("T05thread:1;watch:300000;", wire.request("vCont;c"));
        assertEquals(0x11, fake.memory().readByte(0x30_0000));
        assertEquals(FakeTarget.CODE + 10, fake.register(0, Register.RIP));
    }

    @Test
    void anAccessWatchpointStopsOnARead() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0xa0, 0x04, 0x00, 0x30, 0, 0, 0, 0, 0, 0xeb, 0xfe);
        start(fake);
        assertEquals("OK", wire.request("Z4,300000,8"));
        assertEquals("T05thread:1;awatch:300000;", wire.request("vCont;c"));
    }

    @Test
    void softwareBreakpointsAreInt3BytesPutBackOnRemoval() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0x90, 0x90, 0x90, 0xeb, 0xfe);
        start(fake);
        assertEquals("OK", wire.request("Z0,200003,1"));
        assertEquals("cc", wire.request("m200003,1"));
        assertEquals("T05thread:1;swbreak:;", wire.request("vCont;c"));
        assertEquals(FakeTarget.CODE + 3, fake.register(0, Register.RIP), "KVM reports the int3's own address");
        assertEquals(GuestDebug.ENABLE | GuestDebug.USE_SW_BP, fake.debugState(0).control());
        assertEquals("OK", wire.request("z0,200003,1"));
        assertEquals("90", wire.request("m200003,1"));
        assertEquals("E10", wire.request("Z0," + Long.toHexString(FakeTarget.UNMAPPED) + ",1"));
        // Two linear addresses of one byte: the int3 stays until both are removed.
        assertEquals("OK", wire.request("Z0,200002,1"));
        assertEquals("OK", wire.request("Z0," + Long.toHexString(FakeTarget.HIGH + FakeTarget.CODE + 2) + ",1"));
        assertEquals("OK", wire.request("z0,200002,1"));
        assertEquals("cc", wire.request("m200002,1"));
        assertEquals("OK", wire.request("z0," + Long.toHexString(FakeTarget.HIGH + FakeTarget.CODE + 2) + ",1"));
        assertEquals("90", wire.request("m200002,1"));
        // A byte the guest rewrote while it ran is the guest's.
        assertEquals("OK", wire.request("Z0,200001,1"));
        fake.poke(FakeTarget.CODE + 1, 0x55);
        assertEquals("OK", wire.request("z0,200001,1"));
        assertEquals("55", wire.request("m200001,1"));
    }

    @Test
    void withoutInt3InterceptionZ0TakesADebugRegister() throws Exception {
        FakeTarget fake = new FakeTarget(1).support(GuestDebug.BASELINE_FLAGS & ~GuestDebug.USE_SW_BP)
                .code(0x90, 0x90, 0x90, 0xeb, 0xfe);
        start(fake);
        assertEquals("OK", wire.request("Z0,200002,1"));
        assertEquals("90", wire.request("m200002,1"), "no int3 in memory");
        assertEquals("T05thread:1;swbreak:;", wire.request("vCont;c"));
        assertEquals(GuestDebug.ENABLE | GuestDebug.USE_HW_BP, fake.debugState(0).control());
        assertEquals(FakeTarget.CODE + 2, fake.register(0, Register.RIP));
    }

    @Test
    void theGuestsOwnInt3IsHandedBackToIt() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0xcc, 0x90, 0x90, 0xeb, 0xfe);
        start(fake);
        assertEquals("OK", wire.request("Z0,200003,1"));
        assertEquals("T05thread:1;swbreak:;", wire.request("vCont;c"), "the guest's int3 at +1 is not a stop");
        assertEquals(1, fake.guestBreakpointsHandled());
        assertTrue(fake.calls.stream().anyMatch(c -> c.startsWith("setGuestDebug 0 GuestDebug[control=0x90001")),
                fake.calls.toString());
        assertEquals(FakeTarget.CODE + 3, fake.register(0, Register.RIP));
    }

    // ---- resuming ----

    @Test
    void stepMovesOneInstructionAndOnlyTheSteppedVcpuSingleSteps() throws Exception {
        FakeTarget fake = new FakeTarget(2).code(0x90, 0x90, 0x90, 0x90, 0xeb, 0xfe);
        start(fake);
        assertEquals("T05thread:1;", wire.request("vCont;s:1"));
        assertEquals(FakeTarget.CODE + 1, fake.register(0, Register.RIP));
        assertEquals(FakeTarget.CODE, fake.register(1, Register.RIP), "vCPU 1 stayed stopped");
        assertTrue(fake.calls.contains("resume {0}"), fake.calls.toString());
        assertEquals(GuestDebug.ENABLE | GuestDebug.SINGLESTEP | GuestDebug.BLOCKIRQ, fake.debugState(0).control());
        assertEquals("T05thread:2;", wire.request("vCont;s:2;c"));
        assertTrue(fake.calls.contains("resume {0, 1}"), fake.calls.toString());
        assertEquals(GuestDebug.OFF, fake.debugState(0), "vCPU 0 continued without stepping");
        assertEquals(GuestDebug.ENABLE | GuestDebug.SINGLESTEP | GuestDebug.BLOCKIRQ, fake.debugState(1).control());
        assertEquals("QC2", wire.request("qC"), "the stopped thread is the current one");
        assertEquals("T05thread:2;", wire.request("s"), "legacy s steps the current thread");
        assertEquals(FakeTarget.CODE + 2, fake.register(1, Register.RIP));
        assertEquals("OK", wire.request("Hc1"));
        assertEquals("T05thread:1;", wire.request("S05;200003"), "S with a signal and an address");
        assertEquals(FakeTarget.CODE + 4, fake.register(0, Register.RIP));
    }

    @Test
    void withoutBlockIrqAStepIsPlain() throws Exception {
        FakeTarget fake = new FakeTarget(1).support(GuestDebug.BASELINE_FLAGS).code(0x90, 0xeb, 0xfe);
        start(fake);
        assertEquals("T05thread:1;", wire.request("vCont;s:1"));
        assertEquals(GuestDebug.ENABLE | GuestDebug.SINGLESTEP, fake.debugState(0).control());
    }

    @Test
    void ctrlCStopsASpinningGuest() throws Exception {
        FakeTarget fake = new FakeTarget(2).code(0xeb, 0xfe);
        start(fake);
        wire.send("vCont;c");
        assertEquals('+', wire.ack());
        assertNull(wire.packetWithin(200), "still running");
        wire.raw("\u0003");
        assertEquals("T02thread:1;", wire.packet());
        assertTrue(fake.calls.contains("resume {0, 1}") && fake.calls.contains("interrupt"), fake.calls.toString());
        wire.send("c");
        assertEquals('+', wire.ack());
        wire.raw("\u0003\u0003");
        assertEquals("T02thread:1;", wire.packet());
        assertEquals(2, fake.calls.stream().filter("interrupt"::equals).count(), "one interrupt per run");
        assertEquals("T02thread:1;", wire.request("?"));
    }

    @Test
    void badResumePacketsAreErrors() throws Exception {
        start(new FakeTarget(2).code(0xeb, 0xfe));
        assertEquals("E01", wire.request("vCont;"));
        assertEquals("E01", wire.request("vCont;t"), "no stop action in all-stop mode");
        assertEquals("E01", wire.request("vCont;r200000,200010"), "no range stepping");
        assertEquals("E01", wire.request("vCont;C"), "a signal is needed");
        assertEquals("E01", wire.request("vCont;cx"));
        assertEquals("E02", wire.request("vCont;c:3"));
        assertEquals("E01", wire.request("vCont;s:1;;c"));
        assertEquals("E01", wire.request("vCont;:1"), "a thread without an action (found by RspFuzzTest)");
        assertEquals("E01", wire.request("Cxy"));
        assertEquals("E01", wire.request("czz"));
        assertEquals("T05thread:1;", wire.request("?"), "nothing ran");
    }

    // ---- monitor and catchpoints ----

    private String monitor(String line) {
        wire.send("qRcmd," + hex(line));
        assertEquals('+', wire.ack());
        StringBuilder out = new StringBuilder();
        String packet;
        while ((packet = wire.packet()).startsWith("O") && !packet.equals("OK")) {
            for (int i = 1; i < packet.length(); i += 2) {
                out.append((char) Integer.parseInt(packet.substring(i, i + 2), 16));
            }
        }
        assertEquals("OK", packet);
        return out.toString();
    }

    @Test
    void anIoCatchpointStopsAtTheOutAndContinuingCompletesIt() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0xe6, 0x80, 0xe6, FakeTarget.EXIT_PORT);
        start(fake);
        assertEquals("catchpoint 1: io 0x80 out\n", monitor("catch io 0x80 out"));
        assertEquals("1: io 0x80 out\n", monitor("catch list"));
        wire.send("vCont;c");
        assertEquals('+', wire.ack());
        String console = wire.packet();
        assertTrue(console.startsWith("O"), console);
        assertEquals(hex("catchpoint io 0x80 out: io out 0x80 size 1 value 0x11\n"), console.substring(1));
        assertEquals("T05thread:1;", wire.packet());
        assertEquals(FakeTarget.CODE + 1, fake.register(0, Register.RIP), "at the out");
        assertEquals("W11", wire.request("vCont;c"), "the out completes, the next ends the guest with al");
        assertEquals("W11", wire.request("?"));
        assertEquals("E01", wire.request("g"), "no registers after the end");
        assertEquals("E01", wire.request("vCont;c"));
    }

    @Test
    void monitorCommandsReportErrorsAsOneLine() throws Exception {
        FakeTarget fake = new FakeTarget(1);
        MonitorCommand echo = new MonitorCommand() {
            @Override
            public String name() {
                return "echo";
            }

            @Override
            public String help() {
                return "echo TEXT: says it back";
            }

            @Override
            public String run(String arguments) {
                return arguments.repeat(3000);
            }
        };
        start(fake, List.of(new CatchCommand(fake.catchpoints), echo));
        assertEquals("monitor commands:\n  " + new CatchCommand(fake.catchpoints).help() + "\n  echo TEXT: says it back\n"
                + "  help: this list\n", monitor("help"));
        assertEquals("unknown monitor command 'frob' (monitor help lists them)\n", monitor("frob 1"));
        assertEquals("catch: bad port '0x10000' (decimal, or hexadecimal with 0x, at most 0xffff)\n",
                monitor("catch io 0x10000"));
        assertEquals("catchpoint 1: hlt\n", monitor("catch hlt"));
        assertEquals("catchpoint 2: mmio 0xd0000000-0xd0000fff write\n", monitor("  catch   mmio 0xd0000000-0xd0000fff write "));
        assertEquals("every catchpoint removed\n", monitor("catch clear"));
        assertEquals("no catchpoints\n", monitor("catch list"));
        assertEquals("abc".repeat(3000) + "\n", monitor("echo abc"), "long output comes in several O packets");
        assertEquals("E01", wire.request("qRcmd,6g"));
    }

    @Test
    void aHltCatchpointStopsPastTheHlt() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0xf4);
        start(fake);
        monitor("catch hlt");
        wire.send("vCont;c");
        assertEquals('+', wire.ack());
        assertEquals("O" + hex("catchpoint hlt: hlt\n"), wire.packet());
        assertEquals("T05thread:1;", wire.packet());
        assertEquals(FakeTarget.CODE + 2, fake.register(0, Register.RIP));
    }

    @Test
    void aVcpuThatCannotGoOnIsReportedAsSigsegvWithTheReason() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0x0f, 0x0b);
        start(fake);
        wire.send("vCont;c");
        assertEquals('+', wire.ack());
        assertEquals("O" + hex("emulation failure: opcode 0xf\n"), wire.packet());
        assertEquals("T0bthread:1;", wire.packet());
        assertEquals("T0bthread:1;", wire.request("?"));
    }

    // ---- detach, disconnect, kill ----

    @Test
    void detachRemovesEveryBreakpointAndCatchpointAndLetsTheGuestRun() throws Exception {
        FakeTarget fake = new FakeTarget(2).code(0x90, 0x90, 0x90, 0xeb, 0xfe);
        start(fake);
        assertEquals("OK", wire.request("Z0,200002,1"));
        assertEquals("OK", wire.request("Z1,200001,1"));
        monitor("catch io 0x3f8");
        assertEquals("T05thread:1;hwbreak:;", wire.request("vCont;c"));
        assertEquals("OK", wire.request("D;1"));
        assertTrue(wire.awaitEnd(), "the session ends");
        assertEquals((byte) 0x90, fake.memory().readByte(FakeTarget.CODE + 2));
        assertEquals(GuestDebug.OFF, fake.debugState(0));
        assertEquals(GuestDebug.OFF, fake.debugState(1));
        assertEquals("detach", fake.calls.get(fake.calls.size() - 1));
        assertTrue(fake.catchpoints.list().isEmpty());
    }

    @Test
    void aClientThatGoesAwayWhileTheGuestRunsIsDetachedAfterAStop() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0x90, 0xeb, 0xfe);
        start(fake);
        assertEquals("OK", wire.request("Z0,200000,1"));
        assertEquals("OK", wire.request("z0,200000,1"));
        assertEquals("OK", wire.request("Z1,200004,1"));
        wire.send("vCont;c");
        assertEquals('+', wire.ack());
        assertNull(wire.packetWithin(100));
        wire.disconnect();
        assertTrue(wire.awaitEnd());
        List<String> calls = fake.calls;
        int interrupt = calls.indexOf("interrupt");
        assertTrue(interrupt > 0, calls.toString());
        assertEquals("setGuestDebug 0 " + GuestDebug.OFF, calls.get(interrupt + 1));
        assertEquals("detach", calls.get(interrupt + 2));
    }

    @Test
    void kKillsWithoutAReplyAndVKillRepliesFirst() throws Exception {
        FakeTarget fake = new FakeTarget(1);
        start(fake);
        wire.send("k");
        assertEquals('+', wire.ack());
        assertTrue(wire.awaitEnd());
        assertEquals(List.of("attach", "kill"), fake.calls);
        assertTrue(wire.idle(), "no reply to k");
        wire.close();

        FakeTarget other = new FakeTarget(1);
        start(other);
        assertEquals("OK", wire.request("vKill;a410"));
        assertTrue(wire.awaitEnd());
        assertEquals(List.of("attach", "kill"), other.calls);
    }

    @Test
    void aGuestThatEndedBeforeAttachIsReportedAsExited() throws Exception {
        FakeTarget fake = new FakeTarget(1).code(0xe6, FakeTarget.EXIT_PORT);
        start(fake);
        assertEquals("W11", wire.request("vCont;c"));
        wire.close();
        start(fake);
        assertEquals("W11", wire.request("?"));
        assertEquals("OK", wire.request("D"));
        assertTrue(wire.awaitEnd());
    }

    // ---- framing ----

    @Test
    void corruptPacketsAreNackedAndTheRetransmissionIsServed() throws Exception {
        start(new FakeTarget(1));
        wire.raw("$?#00");
        assertEquals('-', wire.ack(), "bad checksum");
        wire.raw("$?#zz");
        assertEquals('-', wire.ack(), "checksum not hex");
        wire.raw("junk before the packet");
        assertEquals("T05thread:1;", wire.request("?"));
        wire.raw("$g#6$?#3f");
        assertEquals('-', wire.ack(), "a $ in the checksum: the first packet is corrupt");
        assertEquals('+', wire.ack(), "and the second one is read");
        assertEquals("T05thread:1;", wire.packet());
        wire.raw("$qC$?#3f");
        assertEquals('+', wire.ack(), "a $ inside a packet starts it over");
        assertEquals("T05thread:1;", wire.packet());
        assertTrue(wire.idle());
    }

    @Test
    void anOverlongPacketIsAcknowledgedAndRefused() throws Exception {
        start(new FakeTarget(1));
        assertEquals("E01", wire.request("M300000,2001:" + "00".repeat(0x2001)));
        assertEquals("T05thread:1;", wire.request("?"), "the stream is still in step");
    }

    @Test
    void theStubRetransmitsAReplyTheClientRejects() throws Exception {
        start(new FakeTarget(1));
        wire.rejectNext(2);
        wire.send("?");
        assertEquals('+', wire.ack());
        assertEquals("T05thread:1;", wire.packet());
        assertEquals("T05thread:1;", wire.packet());
        assertEquals("T05thread:1;", wire.packet(), "sent again after each -");
        assertEquals("QC1", wire.request("qC"));
    }

    @Test
    void noAckModeStopsAcknowledgementsBothWays() throws Exception {
        start(new FakeTarget(1));
        assertEquals("OK", wire.request("QStartNoAckMode"));
        wire.noAck();
        assertEquals("T05thread:1;", wire.request("?"));
        assertEquals("QC1", wire.request("qC"));
        wire.raw("$?#00");
        assertNull(wire.packetWithin(200), "a corrupt packet is dropped without a reply");
        assertTrue(wire.idle(), "no + or - in no-ack mode");
        assertEquals("T05thread:1;", wire.request("?"));
    }
}
