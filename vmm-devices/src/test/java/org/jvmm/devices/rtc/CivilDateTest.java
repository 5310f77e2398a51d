package org.jvmm.devices.rtc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link CivilDate} against java.time, which the RTC cannot use on its allocation-free path. */
class CivilDateTest {

    private static void check(long epochDay) {
        LocalDate expected = LocalDate.ofEpochDay(epochDay);
        long date = CivilDate.of(epochDay);
        assertEquals(expected.getYear(), CivilDate.year(date), () -> "year of day " + epochDay);
        assertEquals(expected.getMonthValue(), CivilDate.month(date), () -> "month of day " + epochDay);
        assertEquals(expected.getDayOfMonth(), CivilDate.day(date), () -> "day of day " + epochDay);
    }

    @Test
    void everyDayFrom1900To2200() {
        for (long day = LocalDate.of(1900, 1, 1).toEpochDay(); day <= LocalDate.of(2200, 12, 31).toEpochDay(); day++) {
            check(day);
        }
    }

    @Test
    void randomDaysOverTenThousandYearsEitherSideOfTheEpoch() {
        SplittableRandom random = new SplittableRandom(16);
        for (int i = 0; i < 100_000; i++) {
            check(random.nextLong(-3_652_500, 3_652_500));
        }
    }
}
