/**
 * The vCPU run loop: {@link org.jvmm.core.vcpu.Vcpu} runs {@code KVM_RUN} on a thread of its own and
 * hands each exit to {@link org.jvmm.core.vcpu.ExitDispatcher}, a plain function over the
 * {@code kvm_run} page that routes port I/O and MMIO to the buses and accounts for the exit. Pause,
 * resume and stop kick the thread out of {@code KVM_RUN} with a blocked real-time signal and
 * {@code immediate_exit}; no Java code ever runs in a signal handler. Depends on kvm, bus and stats.
 */
package org.jvmm.core.vcpu;
