/**
 * The seam through which a device asks the machine to stop: {@link org.jvmm.devices.control.VmControl}.
 * The i8042 (reset) and the debug-exit port (exit with a status) use it; the machine builder
 * implements it. Depends on java.base only.
 */
package org.jvmm.devices.control;
