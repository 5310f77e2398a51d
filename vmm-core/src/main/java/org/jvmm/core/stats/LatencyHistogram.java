package org.jvmm.core.stats;

/**
 * A log-linear histogram of nanosecond durations: each power of two is split into eight buckets,
 * so a percentile is known to within 12.5%. Recording is a few shifts and one array increment, no
 * allocation; one thread records, others may read a slightly stale copy.
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 3;
    private static final int SUB_BUCKETS = 1 << SUB_BITS;
    /** Number of buckets: 64 powers of two times eight. */
    public static final int BUCKETS = 64 * SUB_BUCKETS;

    private final long[] counts;

    /** An empty histogram. */
    public LatencyHistogram() {
        this.counts = new long[BUCKETS];
    }

    private LatencyHistogram(long[] counts) {
        this.counts = counts;
    }

    /**
     * The bucket a duration falls in.
     *
     * @param nanos the duration, negative treated as 0
     * @return the bucket index
     */
    static int bucketOf(long nanos) {
        if (nanos < SUB_BUCKETS) {
            return (int) Math.max(nanos, 0);
        }
        int exponent = 63 - Long.numberOfLeadingZeros(nanos);
        int mantissa = (int) (nanos >>> (exponent - SUB_BITS)) & (SUB_BUCKETS - 1);
        return ((exponent - SUB_BITS + 1) << SUB_BITS) | mantissa;
    }

    /**
     * The largest duration in a bucket.
     *
     * @param bucket the index
     * @return its upper bound in nanoseconds
     */
    static long upperBound(int bucket) {
        if (bucket < SUB_BUCKETS) {
            return bucket;
        }
        int exponent = (bucket >>> SUB_BITS) + SUB_BITS - 1;
        long mantissa = bucket & (SUB_BUCKETS - 1);
        long lower = (SUB_BUCKETS | mantissa) << (exponent - SUB_BITS);
        return lower + (1L << (exponent - SUB_BITS)) - 1;
    }

    /**
     * Counts one duration.
     *
     * @param nanos the duration
     */
    public void record(long nanos) {
        counts[bucketOf(nanos)]++;
    }

    /** {@return the number of durations recorded} */
    public long count() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    /**
     * The duration below which {@code fraction} of the recorded ones fall.
     *
     * @param fraction between 0 and 1, e.g. 0.99
     * @return the bucket's upper bound in nanoseconds, 0 when empty
     */
    public long percentile(double fraction) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(fraction * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= Math.max(rank, 1)) {
                return upperBound(i);
            }
        }
        return upperBound(BUCKETS - 1);
    }

    /** {@return an independent copy} */
    public LatencyHistogram copy() {
        return new LatencyHistogram(counts.clone());
    }

    /**
     * Adds another histogram's counts to this one.
     *
     * @param other the other histogram
     */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
    }

    /** Forgets everything recorded. */
    public void clear() {
        java.util.Arrays.fill(counts, 0);
    }
}
