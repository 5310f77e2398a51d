/**
 * The GDB Remote Serial Protocol, internal to the stub: {@link org.jvmm.gdb.rsp.PacketDecoder}
 * (framing, checksums, acknowledgements, Ctrl-C), {@link org.jvmm.gdb.rsp.Connection} (one client's
 * byte stream), {@link org.jvmm.gdb.rsp.Dispatcher} (one packet to one reply),
 * {@link org.jvmm.gdb.rsp.Session} (the all-stop state machine: attach, resume, stop, detach),
 * {@link org.jvmm.gdb.rsp.GdbRegister} and {@link org.jvmm.gdb.rsp.TargetDescription} (x86-64
 * registers and target.xml), {@link org.jvmm.gdb.rsp.Breakpoints} (debug registers, DR7,
 * {@code int3}). Depends on the stub's API package and vmm-core's kvm, arch and memory packages.
 */
package org.jvmm.gdb.rsp;
