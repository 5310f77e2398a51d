/**
 * QEMU's firmware configuration interface, {@link org.jvmm.devices.fwcfg.FwCfg}: the items guests
 * written for QEMU (kvm-unit-tests among them) read for the machine's RAM size and vCPU count.
 * Depends on vmm-core's bus only.
 */
package org.jvmm.devices.fwcfg;
