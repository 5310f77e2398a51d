/**
 * ACPI fixed hardware jvmm emulates in user space: the power-management timer,
 * {@link org.jvmm.devices.acpi.PmTimer}, whose port the FADT names. Depends on vmm-core's bus only.
 */
package org.jvmm.devices.acpi;
