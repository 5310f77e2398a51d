package org.jvmm.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class LapicTest {

    @Test
    void lintsBecomeExtIntAndNmiKeepingOtherBits() {
        byte[] lapic = new byte[1024];
        ByteBuffer b = ByteBuffer.wrap(lapic).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x350, 0x0001_0000 | 0x0500 | 0x20);
        b.putInt(0x360, 0x0001_0000);
        b.putInt(0x370, 0x1234);
        ByteBuffer out = ByteBuffer.wrap(Lapic.withLegacyLints(lapic)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x0001_0700 | 0x20, out.getInt(0x350), "LVT0: ExtINT, mask and vector kept");
        assertEquals(0x0001_0400, out.getInt(0x360), "LVT1: NMI");
        assertEquals(0x1234, out.getInt(0x370), "LVT error untouched");
        assertEquals(0x0001_0520, b.getInt(0x350), "input unchanged");
    }

}
