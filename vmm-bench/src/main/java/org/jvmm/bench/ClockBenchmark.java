package org.jvmm.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@link System#nanoTime()}: the vCPU loop reads the clock once per exit and the exit
 * accounting once more, so on a host with a slow clock (a VM whose clock source is not the TSC)
 * this, not the dispatch itself, is most of what DispatchBenchmark measures with stats on.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClockBenchmark {

    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }
}
