package org.jvmm.core.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SegmentRegisterTest {

    @Test
    void flatSixtyFourBitSegmentsEncodeLikeLinuxsGdt() {
        // Linux's GDT_ENTRY_KERNEL_CS (0xa09b) and __KERNEL_DS (0xc093), 4 GiB limit.
        assertEquals(0x00af_9b00_0000_ffffL, SegmentRegister.flat(0x08, 0xb, 0, true).toDescriptor());
        assertEquals(0x00cf_9300_0000_ffffL, SegmentRegister.flat(0x10, 0x3, 0, true).toDescriptor());
        // Ring-3 versions: DPL 3 sets bits 45-46.
        assertEquals(0x00af_fb00_0000_ffffL, SegmentRegister.flat(0x1b, 0xb, 3, true).toDescriptor());
        assertEquals(0x00cf_f300_0000_ffffL, SegmentRegister.flat(0x23, 0x3, 3, true).toDescriptor());
    }

    @Test
    void flatThirtyTwoBitCodeHasDbNotL() {
        assertEquals(0x00cf_9b00_0000_ffffL, SegmentRegister.flat(0x08, 0xb, 0, false).toDescriptor());
    }

    @Test
    void baseAndByteGranularLimitAreSplitAcrossTheDescriptor() {
        SegmentRegister s = new SegmentRegister(0x1234_5678L, 0xa_bcde, 0, 0x3, true, 0, false, true, false, false,
                true, false);
        long d = s.toDescriptor();
        assertEquals(0xbcde, d & 0xffff, "limit 15:0");
        assertEquals(0x34_5678, (d >>> 16) & 0xff_ffff, "base 23:0");
        assertEquals(0xa, (d >>> 48) & 0xf, "limit 19:16");
        assertEquals(0x12, d >>> 56, "base 31:24");
        assertEquals(1, (d >>> 52) & 1, "avl");
        assertEquals(0, (d >>> 55) & 1, "byte granularity");
        assertEquals(0x93, (d >>> 40) & 0xff, "present, s, type 3");
    }

    @Test
    void realModeSegmentsStartAtSelectorTimesSixteen() {
        SegmentRegister cs = SegmentRegister.realMode(0x07c0, true);
        assertEquals(0x7c00, cs.base());
        assertEquals(0xffff, cs.limit());
        assertEquals(0xb, cs.type());
    }
}
