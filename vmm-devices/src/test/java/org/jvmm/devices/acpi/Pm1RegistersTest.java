package org.jvmm.devices.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.jvmm.core.bus.AddressRange;
import org.jvmm.core.bus.Bus;

class Pm1RegistersTest {

    private static final int EVT = 0x620;
    private static final int CNT = 0x624;

    private final List<Integer> sleeps = new ArrayList<>();
    private final Pm1Registers pm1 = new Pm1Registers(sleeps::add);
    private final Bus bus = new Bus("pio");

    Pm1RegistersTest() {
        bus.register("pm1-event", new AddressRange(EVT, Pm1Registers.EVENT_LENGTH), pm1.eventBlock());
        bus.register("pm1-control", new AddressRange(CNT, Pm1Registers.CONTROL_LENGTH), pm1.controlBlock());
    }

    @Test
    void afterResetNothingIsSetButSciEn() {
        assertEquals(0, bus.read(EVT, 4));
        assertEquals(Pm1Registers.SCI_EN, bus.read(CNT, 2));
    }

    @Test
    void enableKeepsTheBitsThereAreSourcesFor() {
        bus.write(EVT + 2, 2, 0x400);
        assertEquals(Pm1Registers.RTC, pm1.enable());
        assertEquals(0x400L << 16, bus.read(EVT, 4));
        bus.write(EVT + 2, 2, 0xffff);
        assertEquals(Pm1Registers.ENABLE_BITS, bus.read(EVT + 2, 2));
        bus.write(EVT + 3, 1, 0);
        assertEquals(Pm1Registers.TMR, bus.read(EVT + 2, 2), "a byte write changes its byte only");
    }

    @Test
    void statusBitsAreClearedByWritingOne() {
        pm1.wake(Pm1Registers.RTC);
        assertEquals(Pm1Registers.WAK_STS | Pm1Registers.RTC, bus.read(EVT, 2));
        bus.write(EVT, 2, Pm1Registers.RTC);
        assertEquals(Pm1Registers.WAK_STS, bus.read(EVT, 2));
        bus.write(EVT, 4, 0);
        assertEquals(Pm1Registers.WAK_STS, pm1.status(), "writing 0 keeps it");
        bus.write(EVT + 1, 1, 0x80);
        assertEquals(0, pm1.status());
    }

    @Test
    void slpEnHandsSlpTypToTheListenerAndReadsZero() {
        bus.write(CNT, 2, 0x2400);
        assertEquals(List.of(1), sleeps, "kvm-unit-tests' s3 writes SLP_TYP 1 | SLP_EN");
        assertEquals(0x0400 | Pm1Registers.SCI_EN, bus.read(CNT, 2));
        bus.write(CNT, 2, 5 << Pm1Registers.SLP_TYP_SHIFT);
        assertEquals(List.of(1), sleeps, "SLP_TYP without SLP_EN only sets the type");
        bus.write(CNT + 1, 1, 0x20 | 0x14);
        assertEquals(List.of(1, 5), sleeps, "SLP_EN in a byte write to the high byte");
    }

    @Test
    void bytesPastABlockReadAllOnesAndAnyAccessIsAccepted() {
        assertEquals(0xffff_0000L | Pm1Registers.SCI_EN, pm1.controlBlock().read(0, 4));
        Random random = new Random(16);
        for (int i = 0; i < 20_000; i++) {
            long offset = random.nextInt(6) - 1 + (random.nextInt(50) == 0 ? random.nextLong() : 0);
            int size = 1 << random.nextInt(4);
            long value = random.nextLong();
            if (random.nextBoolean()) {
                pm1.eventBlock().write(offset, size, value);
                pm1.controlBlock().write(offset, size, value);
            } else {
                pm1.eventBlock().read(offset, size);
                pm1.controlBlock().read(offset, size);
            }
        }
        assertEquals(0, pm1.enable() & ~Pm1Registers.ENABLE_BITS);
        assertEquals(0, sleeps.stream().filter(t -> t < 0 || t > Pm1Registers.SLP_TYP_MASK).count());
    }
}
