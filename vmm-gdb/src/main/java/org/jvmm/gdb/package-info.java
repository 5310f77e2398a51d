/**
 * The stub's public face. A machine implements {@link org.jvmm.gdb.GdbTarget} (vCPU registers,
 * guest memory and translation, guest-debug state, stop and resume of every vCPU) and reports each
 * stop as a {@link org.jvmm.gdb.StopEvent}; a front end parses a {@link org.jvmm.gdb.GdbAddress}
 * and starts a {@link org.jvmm.gdb.GdbServer} with its {@link org.jvmm.gdb.MonitorCommand}s.
 * {@link org.jvmm.gdb.Catchpoints} is the set of exit catchpoints {@code monitor catch} edits and
 * the machine's exit path consults, without allocating or locking. The protocol itself lives in
 * the internal {@code org.jvmm.gdb.rsp} package.
 */
package org.jvmm.gdb;
