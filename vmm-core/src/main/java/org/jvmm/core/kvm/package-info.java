/**
 * KVM's fd hierarchy as owning Java types: {@link org.jvmm.core.kvm.Kvm} (the system fd) creates
 * {@link org.jvmm.core.kvm.VmFd}, which creates {@link org.jvmm.core.kvm.VcpuFd}. Each owns its fd
 * and closes it once. {@link org.jvmm.core.kvm.KvmRun} decodes exits from the mapped {@code kvm_run}
 * without allocating; {@link org.jvmm.core.kvm.BinaryStats} reads KVM's own counters. Every failed
 * call raises {@link org.jvmm.core.kvm.KvmException} naming the ioctl and errno. Struct layouts and
 * ioctl numbers live in the internal {@code kvm.abi} package.
 */
package org.jvmm.core.kvm;
