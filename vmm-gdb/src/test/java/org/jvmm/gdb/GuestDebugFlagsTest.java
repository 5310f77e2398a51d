package org.jvmm.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvmm.core.kvm.GuestDebug;

/** Which guest-debug flags MachineTarget offers the stub, by what KVM says and which KVM it is. */
class GuestDebugFlagsTest {

    @TempDir
    Path sysModule;

    @Test
    void theCapabilitysMaskIsTakenAsItIs() throws Exception {
        Files.createDirectory(sysModule.resolve("kvm_amd"));
        int mask = GuestDebug.ENABLE | GuestDebug.SINGLESTEP | GuestDebug.USE_SW_BP;
        assertEquals(mask, MachineTarget.guestDebugFlags(mask, sysModule));
    }

    @Test
    void withoutTheCapabilityTheBaselineIsAssumed() {
        assertEquals(GuestDebug.BASELINE_FLAGS, MachineTarget.guestDebugFlags(0, sysModule));
    }

    @Test
    void aPvmHostGetsNoSoftwareBreakpoints() throws Exception {
        Files.createDirectory(sysModule.resolve("kvm_pvm"));
        assertEquals(GuestDebug.BASELINE_FLAGS & ~GuestDebug.USE_SW_BP, MachineTarget.guestDebugFlags(0, sysModule));
        assertEquals(GuestDebug.ENABLE | GuestDebug.USE_HW_BP, MachineTarget.guestDebugFlags(
                GuestDebug.ENABLE | GuestDebug.USE_HW_BP | GuestDebug.USE_SW_BP, sysModule));
    }
}
