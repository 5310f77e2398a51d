package org.jvmm.cli.machine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When jvmm adds reboot=acpi to the kernel command line (without it, Linux's reboot spins in the guest). */
class LinuxGuestTest {

    @Test
    void addedWithAcpiWhenTheUserNamesNoRebootMethod() {
        assertTrue(LinuxGuest.needsAcpiReboot(true, "console=ttyS0 earlyprintk=serial panic=-1"));
        assertTrue(LinuxGuest.needsAcpiReboot(true, ""));
        assertTrue(LinuxGuest.needsAcpiReboot(true, "jvmm_check=reboot noreboot=x"), "only a reboot= parameter counts");
    }

    @Test
    void theUsersRebootParameterWins() {
        assertFalse(LinuxGuest.needsAcpiReboot(true, "console=ttyS0 reboot=k"));
        assertFalse(LinuxGuest.needsAcpiReboot(true, "  reboot=bios  panic=-1"));
    }

    @Test
    void notWithoutAcpi() {
        assertFalse(LinuxGuest.needsAcpiReboot(false, "console=ttyS0"));
    }
}
