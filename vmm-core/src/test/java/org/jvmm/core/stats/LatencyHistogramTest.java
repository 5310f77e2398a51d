package org.jvmm.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void smallValuesHaveABucketEach() {
        for (int n = 0; n < 16; n++) {
            assertEquals(n, LatencyHistogram.bucketOf(n));
            assertEquals(n, LatencyHistogram.upperBound(n));
        }
        assertEquals(0, LatencyHistogram.bucketOf(-5), "negative durations count as 0");
    }

    @Test
    void everyValueLiesInItsBucketAndAboveThePreviousOne() {
        Random random = new Random(1);
        long[] samples = new long[10_000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = random.nextLong() >>> random.nextInt(64);
        }
        samples[0] = Long.MAX_VALUE;
        samples[1] = 1L << 62;
        for (long n : samples) {
            int bucket = LatencyHistogram.bucketOf(n);
            assertTrue(bucket >= 0 && bucket < LatencyHistogram.BUCKETS, "bucket " + bucket);
            assertTrue(n <= LatencyHistogram.upperBound(bucket), n + " above its bucket " + bucket);
            assertTrue(bucket == 0 || LatencyHistogram.upperBound(bucket - 1) < n, n + " fits an earlier bucket");
        }
        assertEquals(Long.MAX_VALUE, LatencyHistogram.upperBound(LatencyHistogram.bucketOf(Long.MAX_VALUE)));
    }

    @Test
    void bucketsAreAtMostAnEighthWide() {
        for (int bucket = 16; bucket < LatencyHistogram.bucketOf(Long.MAX_VALUE); bucket++) {
            long lower = LatencyHistogram.upperBound(bucket - 1) + 1;
            long upper = LatencyHistogram.upperBound(bucket);
            assertTrue((double) (upper - lower + 1) / lower <= 0.125 + 1e-9, "bucket " + bucket);
        }
    }

    @Test
    void percentilesAreWithinOneEighthOfTheExactValue() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.percentile(0.5), "empty");
        for (int n = 1; n <= 1000; n++) {
            h.record(n * 1000L);
        }
        assertEquals(1000, h.count());
        for (double p : new double[] {0.01, 0.5, 0.9, 0.99, 1.0}) {
            long exact = (long) Math.ceil(p * 1000) * 1000L;
            long got = h.percentile(p);
            assertTrue(got >= exact && got <= exact * 1.125, "p" + p + ": " + got + " vs " + exact);
        }
        assertEquals(LatencyHistogram.upperBound(LatencyHistogram.bucketOf(1000)), h.percentile(0));
    }

    @Test
    void singleOutlierDecidesOnlyTheTopPercentile() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < 99; i++) {
            h.record(100);
        }
        h.record(1_000_000);
        assertEquals(LatencyHistogram.upperBound(LatencyHistogram.bucketOf(100)), h.percentile(0.99));
        assertTrue(h.percentile(1.0) >= 1_000_000);
    }

    @Test
    void copyAddAndClearAreIndependent() {
        LatencyHistogram a = new LatencyHistogram();
        a.record(10);
        LatencyHistogram copy = a.copy();
        a.record(20);
        assertEquals(1, copy.count());
        copy.add(a);
        assertEquals(3, copy.count());
        assertEquals(2, a.count());
        a.clear();
        assertEquals(0, a.count());
        assertEquals(3, copy.count());
    }
}
