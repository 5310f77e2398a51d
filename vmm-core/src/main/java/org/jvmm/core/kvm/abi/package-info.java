/**
 * KVM's binary interface from {@code <linux/kvm.h>}, internal to vmm-core: the memory layouts of
 * every struct jvmm passes to or reads from KVM ({@link org.jvmm.core.kvm.abi.KvmLayouts}) and the
 * ioctl numbers, computed from those layouts' sizes ({@link org.jvmm.core.kvm.abi.KvmIoctls}), in
 * one table each. {@code KvmAbiTest} compiles a C program against the host's header and compares
 * every size, offset and ioctl number.
 */
package org.jvmm.core.kvm.abi;
