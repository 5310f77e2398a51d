/**
 * The raw-payload machine of docs/machine.md: {@link org.jvmm.cli.machine.RawMachine} allocates
 * addresses and GSIs, wires devices with their notify and interrupt paths, loads the payload and
 * runs the vCPUs. Depends on vmm-core and vmm-devices.
 */
package org.jvmm.cli.machine;
