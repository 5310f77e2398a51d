package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When jvmm adds reboot=acpi to the kernel command line (without it, Linux's reboot spins in the guest). */
class LinuxLoaderTest {

    @Test
    void addedWithAcpiWhenTheUserNamesNoRebootMethod() {
        assertTrue(LinuxLoader.needsAcpiReboot(true, "console=ttyS0 earlyprintk=serial panic=-1"));
        assertTrue(LinuxLoader.needsAcpiReboot(true, ""));
        assertTrue(LinuxLoader.needsAcpiReboot(true, "jvmm_check=reboot noreboot=x"), "only a reboot= parameter counts");
    }

    @Test
    void theUsersRebootParameterWins() {
        assertFalse(LinuxLoader.needsAcpiReboot(true, "console=ttyS0 reboot=k"));
        assertFalse(LinuxLoader.needsAcpiReboot(true, "  reboot=bios  panic=-1"));
    }

    @Test
    void notWithoutAcpi() {
        assertFalse(LinuxLoader.needsAcpiReboot(false, "console=ttyS0"));
    }
}
