/**
 * The {@code jvmm} command line (picocli): {@code run}, {@code compare}, {@code bench}. Options become
 * vmm-machine builder calls ({@code DeviceOption} is the only class that knows a device's option
 * words) and results become reports; no class here constructs a device or a transport.
 */
package org.jvmm.cli;
