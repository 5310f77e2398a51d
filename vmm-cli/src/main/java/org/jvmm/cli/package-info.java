/**
 * The {@code jvmm} command line (picocli): {@code run}, {@code compare}, {@code bench}. The machine
 * wiring lives in {@code org.jvmm.cli.machine}; here are only options, output and error messages.
 */
package org.jvmm.cli;
