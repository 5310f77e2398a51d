package org.jvmm.devices.rtc;

/**
 * The proleptic Gregorian date of a day counted from 1970-01-01, packed into one {@code long} so that
 * the RTC's exit path allocates nothing: year in the high bits, then month (1-12) and day (1-31). The
 * arithmetic counts in 400-year eras that start on 1 March, so that the leap day ends a year (the
 * method of Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms").
 */
final class CivilDate {

    /** Days from 0000-03-01 to 1970-01-01. */
    private static final long EPOCH_SHIFT = 719_468;
    private static final long DAYS_PER_ERA = 146_097;

    private CivilDate() {
    }

    /**
     * The date of a day.
     *
     * @param epochDay days since 1970-01-01, negative before it
     * @return the packed date, for {@link #year}, {@link #month} and {@link #day}
     */
    static long of(long epochDay) {
        long z = epochDay + EPOCH_SHIFT;
        long era = Math.floorDiv(z, DAYS_PER_ERA);
        long dayOfEra = z - era * DAYS_PER_ERA; // 0 to 146096
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100); // from 1 March
        long monthFromMarch = (5 * dayOfYear + 2) / 153;
        long day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
        long month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        return year << 9 | month << 5 | day;
    }

    /** {@return the year of a packed date} */
    static long year(long date) {
        return date >> 9;
    }

    /** {@return the month, 1 to 12, of a packed date} */
    static int month(long date) {
        return (int) (date >> 5) & 0xf;
    }

    /** {@return the day of the month, 1 to 31, of a packed date} */
    static int day(long date) {
        return (int) date & 0x1f;
    }
}
