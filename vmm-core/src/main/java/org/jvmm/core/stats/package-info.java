/**
 * Exit accounting. {@link org.jvmm.core.stats.ExitStats} counts and times the exits that reach user
 * space, per reason, port and MMIO device, on the vCPU thread without allocating;
 * {@link org.jvmm.core.stats.KvmCounters} samples KVM's own counters (the binary stats fd), named by
 * their descriptors; {@link org.jvmm.core.stats.PhaseAccounting} splits both by the phases a guest
 * marks, compactly and within a fixed bound; {@link org.jvmm.core.stats.ExitReport} prints them the
 * way {@code perf kvm stat report} does. Depends on kvm and bus.
 */
package org.jvmm.core.stats;
