/**
 * A minimal i8042 keyboard controller, {@link org.jvmm.devices.i8042.I8042}: just enough for a
 * guest to reboot the machine through it. Depends on vmm-core's bus and on
 * {@link org.jvmm.devices.control}.
 */
package org.jvmm.devices.i8042;
