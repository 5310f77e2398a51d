/**
 * The debug-exit port: {@link org.jvmm.devices.debug.DebugExit}, QEMU's isa-debug-exit at port
 * 0xf4, which lets a test guest stop the VM with an exit status. Depends on vmm-core's bus and on
 * {@link org.jvmm.devices.control}.
 */
package org.jvmm.devices.debug;
