/**
 * Guest-physical memory. {@link org.jvmm.core.memory.GuestMemory} is the consumer API devices and
 * loaders use; {@link org.jvmm.core.memory.RegionGuestMemory} implements it over segments, and
 * {@link org.jvmm.core.memory.GuestRam} maps the anonymous mmap'ed RAM registered with KVM, with
 * the hole below 4 GiB where MMIO devices live. Depends on java.base and the internal sys package.
 */
package org.jvmm.core.memory;
