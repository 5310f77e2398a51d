package org.jvmm.core.kvm;

/**
 * A segment register as KVM describes it ({@code struct kvm_segment}): the hidden descriptor
 * cache, not just the selector.
 *
 * @param base     linear base
 * @param limit    limit in bytes (already scaled by granularity)
 * @param selector the selector
 * @param type     descriptor type bits
 * @param present  P bit
 * @param dpl      privilege level
 * @param db       D/B bit (32-bit default size)
 * @param s        S bit (code/data rather than system)
 * @param l        L bit (64-bit code)
 * @param g        G bit (4 KiB granularity)
 * @param avl      AVL bit
 * @param unusable KVM's unusable flag (a null selector)
 */
public record SegmentRegister(long base, int limit, int selector, int type, boolean present, int dpl, boolean db,
                              boolean s, boolean l, boolean g, boolean avl, boolean unusable) {

    /**
     * A flat code or data segment over the whole address space.
     *
     * @param selector the selector
     * @param type     descriptor type (0xb: code execute/read accessed, 0x3: data read/write accessed)
     * @param dpl      privilege level
     * @param longMode true for a 64-bit code segment
     * @return the segment
     */
    public static SegmentRegister flat(int selector, int type, int dpl, boolean longMode) {
        boolean code = (type & 0x8) != 0;
        return new SegmentRegister(0, 0xffff_ffff, selector, type, true, dpl, !(code && longMode), true,
                code && longMode, true, false, false);
    }

    /**
     * A real-mode segment: base = selector * 16, 64 KiB limit.
     *
     * @param selector the selector
     * @param code     true for CS
     * @return the segment
     */
    public static SegmentRegister realMode(int selector, boolean code) {
        return new SegmentRegister((long) selector << 4, 0xffff, selector, code ? 0xb : 0x3, true, 0, false, true,
                false, false, false, false);
    }

    /**
     * The GDT descriptor encoding of this segment (for writing a GDT into guest memory).
     *
     * @return the 8-byte descriptor
     */
    public long toDescriptor() {
        long limitField = g ? (Integer.toUnsignedLong(limit) >>> 12) : Integer.toUnsignedLong(limit);
        long d = limitField & 0xffff;
        d |= (base & 0xff_ffffL) << 16;
        d |= (long) (type & 0xf) << 40;
        d |= (s ? 1L : 0) << 44;
        d |= (long) (dpl & 3) << 45;
        d |= (present ? 1L : 0) << 47;
        d |= ((limitField >>> 16) & 0xf) << 48;
        d |= (avl ? 1L : 0) << 52;
        d |= (l ? 1L : 0) << 53;
        d |= (db ? 1L : 0) << 54;
        d |= (g ? 1L : 0) << 55;
        d |= ((base >>> 24) & 0xff) << 56;
        return d;
    }
}
