/**
 * The libc layer, internal to vmm-core: downcall handles for open, close, ioctl (variadic), mmap,
 * eventfd, signals and threads ({@link org.jvmm.core.sys.Libc}), errno captured per calling thread
 * and turned into one exception type, {@link org.jvmm.core.kvm.SystemCallException} ({@link org.jvmm.core.kvm.KvmException} for KVM calls), naming the call, the
 * errno and its strerror text ({@link org.jvmm.core.sys.CallState}), symbolic errno values
 * ({@link org.jvmm.core.sys.Errno}), {@code mmap} flags ({@link org.jvmm.core.sys.Mmap}), and the {@code _IO/_IOR/_IOW/_IOWR}
 * encoding of ioctl numbers ({@link org.jvmm.core.sys.Ioctl}). Not exported: the {@code kvm} package
 * is the API built on it.
 */
package org.jvmm.core.sys;
