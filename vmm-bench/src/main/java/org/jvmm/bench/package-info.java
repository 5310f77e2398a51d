/**
 * The JMH suite of exit-handling cost. Every benchmark has its baseline in the same class, named
 * {@code baseline*}, {@code raw*} or {@code c*}, so a ratio is always taken within one run:
 * {@link org.jvmm.bench.DispatchBenchmark} (exit dispatch of synthetic {@code kvm_run} images against
 * a bare switch), {@link org.jvmm.bench.ClockBenchmark}, {@link org.jvmm.bench.FfmCallBenchmark},
 * {@link org.jvmm.bench.GuestMemoryBenchmark}, {@link org.jvmm.bench.VirtqueueBenchmark}, and with KVM
 * {@link org.jvmm.bench.KvmRoundTripBenchmark} and {@link org.jvmm.bench.KvmLifecycleBenchmark}
 * against C loops ({@link org.jvmm.bench.CReference}, built by gcc and called through FFM).
 * {@code vmm-bench/run.sh} (or {@code ./jvmm bench}) runs them and writes the results table.
 */
package org.jvmm.bench;
