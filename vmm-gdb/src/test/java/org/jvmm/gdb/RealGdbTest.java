package org.jvmm.gdb;

import static org.jvmm.gdb.testing.GdbBatch.assertContains;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jvmm.gdb.testing.FakeTarget;
import org.jvmm.gdb.testing.GdbBatch;
import org.junit.jupiter.api.Test;

/**
 * Debian's gdb against the stub and the fake machine, no KVM: proves that gdb takes target.xml
 * without {@code set architecture} and speaks the stub's dialect, from connect to detach.
 */
class RealGdbTest {

    /**
     * The fake's program: vCPU 0 runs two nops, a store of al to 0x300000, two nops and a spin;
     * vCPU 1 spins at 0x200100.
     */
    private static FakeTarget program() {
        return new FakeTarget(2).code(0x90, 0x90, 0xa2, 0x00, 0x00, 0x30, 0, 0, 0, 0, 0, 0x90, 0x90, 0xeb, 0xfe)
                .poke(FakeTarget.CODE + 0x100, 0xeb, 0xfe).rip(1, FakeTarget.CODE + 0x100);
    }

    private static final Path ROOT = Path.of(System.getenv().getOrDefault("JVMM_REPO_ROOT", "..")).toAbsolutePath().normalize();

    private static String gdb(String address, List<String> commands) throws Exception {
        return GdbBatch.run(null, address, commands);
    }

    @Test
    void gdbReadsRegistersAndMemoryStopsAtAWatchpointAndAHardwareBreakpointStepsAndDetaches() throws Exception {
        FakeTarget target = program();
        try (GdbServer server = GdbServer.start(GdbAddress.parse("tcp:127.0.0.1:0", false), target,
                List.of(new CatchCommand(target.catchpoints)))) {
            String address = server.boundAddress().substring("tcp:".length());
            String out = gdb(address, List.of(
                    "show architecture",
                    "info registers rip",
                    "x/3xb 0x200000",
                    "x/2i 0x200001",
                    "p/x $rax",
                    "p/x $cr3",
                    "p/x $fs_base",
                    "info threads",
                    "hbreak *0x20000c",
                    "watch *(char *) 0x300000",
                    "continue",
                    "continue",
                    "info registers rip",
                    "stepi",
                    "info registers rip",
                    "monitor catch io 0x3f8 out",
                    "thread 2",
                    "p/x $rax",
                    "detach"));
            assertContains(out,
                    "The target architecture is set to \"auto\" (currently \"i386:x86-64\")",
                    "rip            0x200000",
                    "0x200000:\t0x90\t0x90\t0xa2",
                    "movabs %al,0x300000",
                    "$1 = 0x1111",
                    "$2 = 0x1000",
                    "$3 = 0x7000",
                    "Thread 1 \"vCPU 0\"",
                    "Thread 2 \"vCPU 1\"",
                    "Hardware assisted breakpoint 1 at 0x20000c",
                    "Hardware watchpoint 2: *(char *) 0x300000",
                    "Thread 1 \"vCPU 0\" hit Hardware watchpoint 2: *(char *) 0x300000",
                    "Old value = 0 '\\000'",
                    "New value = 17 '\\021'",
                    "0x000000000020000b in ?? ()",
                    "Thread 1 \"vCPU 0\" hit Breakpoint 1, 0x000000000020000c in ?? ()",
                    "rip            0x20000c",
                    "rip            0x20000d",
                    "catchpoint 1: io 0x3f8 out",
                    "[Switching to thread 2 (Thread 2)]",
                    "#0  0x0000000000200100 in ?? ()",
                    "$4 = 0x2222",
                    "[Inferior 1 (Remote target) detached]");
            assertTrue(target.calls.contains("detach"), target.calls.toString());
            assertTrue(target.catchpoints.list().isEmpty(), "detach clears the catchpoints");
        }
    }

    @Test
    void gdbInterruptsARunningGuestSetsSoftwareBreakpointsReadWatchpointsAndKills() throws Exception {
        FakeTarget target = program().poke(FakeTarget.CODE + 0x20, 0xa0, 0x00, 0x00, 0x30, 0, 0, 0, 0, 0, 0x90, 0xeb, 0xfe);
        try (GdbServer server = GdbServer.start(GdbAddress.parse("tcp:127.0.0.1:0", false), target, List.of())) {
            String address = server.boundAddress().substring("tcp:".length());
            String out = GdbBatch.run(null, address, List.of(
                    "break *0x20000b",
                    "continue",
                    "info registers rip",
                    "delete",
                    "continue",
                    "info registers rip",
                    "set var $pc = 0x200020",
                    "rwatch *(char *) 0x300000",
                    "continue",
                    "info registers rip",
                    "kill"), () -> target.resumes() >= 2 && target.running());
            assertContains(out,
                    "Breakpoint 1 at 0x20000b",
                    "Thread 1 \"vCPU 0\" hit Breakpoint 1, 0x000000000020000b in ?? ()",
                    "rip            0x20000b",
                    "Thread 1 \"vCPU 0\" received signal SIGINT, Interrupt.",
                    "rip            0x20000d",
                    "Hardware read watchpoint 2: *(char *) 0x300000",
                    "Value = 17 '\\021'",
                    "rip            0x200029",
                    "[Inferior 1 (Remote target) killed]");
            assertTrue(target.calls.contains("kill"), target.calls.toString());
        }
    }

    @Test
    void gdbReadsTheSymbolsOfABuiltInGuestAndFindsItsCodeInGuestMemory() throws Exception {
        Path guests = ROOT.resolve("guests");
        byte[] image = Files.readAllBytes(guests.resolve("bin/hello.bin"));
        FakeTarget target = new FakeTarget(1);
        int[] bytes = new int[image.length];
        for (int i = 0; i < image.length; i++) {
            bytes[i] = image[i] & 0xff;
        }
        target.code(bytes);
        try (GdbServer server = GdbServer.start(GdbAddress.parse("tcp:127.0.0.1:0", false), target, List.of())) {
            String address = server.boundAddress().substring("tcp:".length());
            String out = GdbBatch.run(guests.resolve("bin/hello.elf"), address, List.of(
                    "directory " + guests,
                    "info address guest_main",
                    "hbreak guest_main",
                    "set var $pc = guest_main",
                    "info symbol $pc",
                    "x/8xb guest_main",
                    "frame",
                    "detach"));
            java.util.regex.Matcher at = java.util.regex.Pattern
                    .compile("Symbol \"guest_main\" is a function at address 0x([0-9a-f]+)\\.").matcher(out);
            assertTrue(at.find(), out);
            long main = Long.parseLong(at.group(1), 16);
            int offset = (int) (main - FakeTarget.CODE);
            StringBuilder expected = new StringBuilder("<guest_main>:");
            for (int i = 0; i < 8; i++) {
                expected.append(String.format("\t0x%02x", image[offset + i] & 0xff));
            }
            assertContains(out,
                    "Hardware assisted breakpoint 1 at 0x" + Long.toHexString(main) + ": file src/hello.c, line",
                    "guest_main in section .text",
                    expected.toString(),
                    "guest_main () at src/hello.c:",
                    "[Inferior 1 (Remote target) detached]");
        }
    }
}
