/**
 * JFR events of jvmm ({@code jvmm run --jfr FILE}): one event type per exit class (port I/O, MMIO,
 * other) and one for virtio device activity. Read them with {@code jfr print --events
 * org.jvmm.PioExit FILE} or JDK Mission Control.
 */
package org.jvmm.cli.trace;
