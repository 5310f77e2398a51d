/**
 * ACPI fixed hardware jvmm emulates in user space: the power-management timer,
 * {@link org.jvmm.devices.acpi.PmTimer}, and the PM1 event and control registers,
 * {@link org.jvmm.devices.acpi.Pm1Registers}, at the ports the FADT names. Depends on vmm-core's bus only.
 */
package org.jvmm.devices.acpi;
