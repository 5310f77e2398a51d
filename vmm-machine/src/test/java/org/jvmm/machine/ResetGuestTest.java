package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The i8042 reset line under KVM: a guest's 0xfe to port 0x64 stops the VM as a reboot. */
@Tag("kvm")
class ResetGuestTest {

    /** Real mode: {@code mov al, 'A'; mov dx, 0x3f8; out dx, al; mov al, 0xfe; out 0x64, al; jmp $}. */
    static final byte[] RESET_GUEST = {(byte) 0xb0, 'A', (byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xee,
        (byte) 0xb0, (byte) 0xfe, (byte) 0xe6, 0x64, (byte) 0xeb, (byte) 0xfe};

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    @Test
    void aPulseOfTheResetLineStopsTheVmAsAReboot() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Machine machine = TestMachines.raw(RESET_GUEST, CpuMode.REAL, 16L << 20, out).build()) {
            RunResult result = machine.run(Duration.ofSeconds(30));
            assertEquals("reset requested by the guest (i8042)", result.summary());
            assertEquals(0, result.exitStatus(), "a reboot is a clean stop");
            assertFalse(result.error());
            assertEquals(StopCause.Kind.RESET, result.cause().kind());
            assertEquals(0, result.hostFaults());
        }
        assertEquals("A", out.toString(), "the guest ran up to the reset, and no further");
    }
}
