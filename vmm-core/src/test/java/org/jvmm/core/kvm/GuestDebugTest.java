package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.kvm.abi.KvmLayouts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guest-debug state, the debug-exit decode, and their constants against {@code <linux/kvm.h>}. */
class GuestDebugTest {

    @Test
    void slotsAreCopiedAndPaddedToEight() {
        long[] dr = {0x1000, 0x2000};
        GuestDebug debug = new GuestDebug(GuestDebug.ENABLE | GuestDebug.USE_HW_BP, dr);
        dr[0] = 0;
        assertEquals(0x1000, debug.debugRegister(0));
        assertArrayEquals(new long[] {0x1000, 0x2000, 0, 0, 0, 0, 0, 0}, debug.debugRegisters());
        assertEquals(new GuestDebug(0x20001, new long[] {0x1000, 0x2000}), debug);
        assertNotEquals(debug, debug.withControl(GuestDebug.ENABLE));
        assertEquals(debug.debugRegister(1), debug.withControl(GuestDebug.ENABLE).debugRegister(1));
        assertThrows(IllegalArgumentException.class, () -> new GuestDebug(0, new long[9]));
        assertEquals(0, GuestDebug.OFF.control());
    }

    @Test
    void aDebugExitSaysWhichSlotOrStepCausedIt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(KvmLayouts.RUN);
            long arch = KvmLayouts.RUN.byteOffset(MemoryLayout.PathElement.groupElement("exit"));
            page.set(ValueLayout.JAVA_INT, arch, 1);
            page.set(ValueLayout.JAVA_LONG, arch + 8, 0x20_1000L);
            page.set(ValueLayout.JAVA_LONG, arch + 16, 0xffff_4ff2L); // BS + B1, active-low ones set
            page.set(ValueLayout.JAVA_LONG, arch + 24, 0x400L | 0b1100);
            DebugExit exit = DebugExit.of(new KvmRun(page));
            assertEquals(new DebugExit(1, 0x20_1000L, 0xffff_4ff2L, 0x40cL), exit);
            assertEquals(0b0010, exit.breakpointsHit());
            assertTrue(exit.singleStep());
            assertFalse(exit.softwareBreakpoint());
        }
        DebugExit int3 = new DebugExit(DebugExit.BP_VECTOR, 0x20_0000L, 0xffff_0ff3L, 0x400);
        assertTrue(int3.softwareBreakpoint());
        assertEquals(0, int3.breakpointsHit(), "DR6 means nothing for a #BP");
        assertFalse(int3.singleStep());
    }

    @Test
    void flagsAndCapabilityMatchTheHeaders(@TempDir Path dir) throws Exception {
        boolean haveGcc = Files.isExecutable(Path.of("/usr/bin/gcc")) && Files.exists(Path.of("/usr/include/linux/kvm.h"));
        if ("true".equals(System.getenv("CI")) && !haveGcc) {
            throw new IllegalStateException("CI=true but gcc or <linux/kvm.h> is missing");
        }
        assumeTrue(haveGcc, "gcc and <linux/kvm.h> are needed");
        Path source = dir.resolve("flags.c");
        Files.writeString(source, """
                #include <stdio.h>
                #include <linux/kvm.h>
                int main(void) {
                    printf("%d %d %d %d %d %d %d %d\\n", KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP,
                        KVM_GUESTDBG_USE_SW_BP, KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_INJECT_DB,
                        KVM_GUESTDBG_INJECT_BP, KVM_GUESTDBG_BLOCKIRQ, KVM_CAP_SET_GUEST_DEBUG2);
                    return 0;
                }
                """);
        String output = run(List.of("gcc", "-o", dir.resolve("flags").toString(), source.toString()))
                + run(List.of(dir.resolve("flags").toString()));
        assertEquals(String.join(" ", String.valueOf(GuestDebug.ENABLE), String.valueOf(GuestDebug.SINGLESTEP),
                String.valueOf(GuestDebug.USE_SW_BP), String.valueOf(GuestDebug.USE_HW_BP),
                String.valueOf(GuestDebug.INJECT_DB), String.valueOf(GuestDebug.INJECT_BP),
                String.valueOf(GuestDebug.BLOCKIRQ), String.valueOf(Capability.SET_GUEST_DEBUG2.code())),
                output.strip());
        assertEquals(VcpuFd.GUESTDBG_ENABLE | VcpuFd.GUESTDBG_SINGLESTEP | VcpuFd.GUESTDBG_USE_HW_BP,
                GuestDebug.ENABLE | GuestDebug.SINGLESTEP | GuestDebug.USE_HW_BP);
    }

    private static String run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(command.get(0) + " failed:\n" + output);
        }
        return output;
    }
}
