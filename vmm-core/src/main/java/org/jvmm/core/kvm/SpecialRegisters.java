package org.jvmm.core.kvm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A copy of a vCPU's special registers ({@code struct kvm_sregs}): segments, descriptor tables,
 * control registers, EFER and the APIC base. Edit, then set it back.
 */
public final class SpecialRegisters {

    /** The segment registers, in the struct's order. */
    public enum Segment {
        /** CS. */ CS,
        /** DS. */ DS,
        /** ES. */ ES,
        /** FS. */ FS,
        /** GS. */ GS,
        /** SS. */ SS,
        /** TR. */ TR,
        /** LDT. */ LDT
    }

    private static final long SEGMENT_SIZE = 24;
    private static final long GDT = 8 * SEGMENT_SIZE;
    private static final long IDT = GDT + 16;
    private static final long CR0 = IDT + 16;

    private final SegmentRegister[] segments = new SegmentRegister[Segment.values().length];
    private long gdtBase;
    private int gdtLimit;
    private long idtBase;
    private int idtLimit;
    private final long[] control = new long[7]; // cr0 cr2 cr3 cr4 cr8 efer apic_base
    private final long[] interruptBitmap = new long[4];

    private SpecialRegisters() {}

    /**
     * A state with every field zero and every segment register null (selector 0, unusable): the
     * starting point for a state built from scratch, such as a test's.
     *
     * @return the state
     */
    public static SpecialRegisters zeroed() {
        SpecialRegisters r = new SpecialRegisters();
        Arrays.fill(r.segments, new SegmentRegister(0, 0, 0, 0, false, 0, false, false, false, false, false, true));
        return r;
    }

    static SpecialRegisters decode(MemorySegment s) {
        SpecialRegisters r = new SpecialRegisters();
        for (int i = 0; i < r.segments.length; i++) {
            long at = i * SEGMENT_SIZE;
            r.segments[i] = new SegmentRegister(s.get(ValueLayout.JAVA_LONG, at), s.get(ValueLayout.JAVA_INT, at + 8),
                    Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT, at + 12)), s.get(ValueLayout.JAVA_BYTE, at + 14),
                    s.get(ValueLayout.JAVA_BYTE, at + 15) != 0, s.get(ValueLayout.JAVA_BYTE, at + 16),
                    s.get(ValueLayout.JAVA_BYTE, at + 17) != 0, s.get(ValueLayout.JAVA_BYTE, at + 18) != 0,
                    s.get(ValueLayout.JAVA_BYTE, at + 19) != 0, s.get(ValueLayout.JAVA_BYTE, at + 20) != 0,
                    s.get(ValueLayout.JAVA_BYTE, at + 21) != 0, s.get(ValueLayout.JAVA_BYTE, at + 22) != 0);
        }
        r.gdtBase = s.get(ValueLayout.JAVA_LONG, GDT);
        r.gdtLimit = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT, GDT + 8));
        r.idtBase = s.get(ValueLayout.JAVA_LONG, IDT);
        r.idtLimit = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT, IDT + 8));
        for (int i = 0; i < r.control.length; i++) {
            r.control[i] = s.get(ValueLayout.JAVA_LONG, CR0 + 8L * i);
        }
        for (int i = 0; i < 4; i++) {
            r.interruptBitmap[i] = s.get(ValueLayout.JAVA_LONG, CR0 + 56 + 8L * i);
        }
        return r;
    }

    void encode(MemorySegment s) {
        s.fill((byte) 0);
        for (int i = 0; i < segments.length; i++) {
            long at = i * SEGMENT_SIZE;
            SegmentRegister g = segments[i];
            s.set(ValueLayout.JAVA_LONG, at, g.base());
            s.set(ValueLayout.JAVA_INT, at + 8, g.limit());
            s.set(ValueLayout.JAVA_SHORT, at + 12, (short) g.selector());
            s.set(ValueLayout.JAVA_BYTE, at + 14, (byte) g.type());
            s.set(ValueLayout.JAVA_BYTE, at + 15, bit(g.present()));
            s.set(ValueLayout.JAVA_BYTE, at + 16, (byte) g.dpl());
            s.set(ValueLayout.JAVA_BYTE, at + 17, bit(g.db()));
            s.set(ValueLayout.JAVA_BYTE, at + 18, bit(g.s()));
            s.set(ValueLayout.JAVA_BYTE, at + 19, bit(g.l()));
            s.set(ValueLayout.JAVA_BYTE, at + 20, bit(g.g()));
            s.set(ValueLayout.JAVA_BYTE, at + 21, bit(g.avl()));
            s.set(ValueLayout.JAVA_BYTE, at + 22, bit(g.unusable()));
        }
        s.set(ValueLayout.JAVA_LONG, GDT, gdtBase);
        s.set(ValueLayout.JAVA_SHORT, GDT + 8, (short) gdtLimit);
        s.set(ValueLayout.JAVA_LONG, IDT, idtBase);
        s.set(ValueLayout.JAVA_SHORT, IDT + 8, (short) idtLimit);
        for (int i = 0; i < control.length; i++) {
            s.set(ValueLayout.JAVA_LONG, CR0 + 8L * i, control[i]);
        }
        for (int i = 0; i < 4; i++) {
            s.set(ValueLayout.JAVA_LONG, CR0 + 56 + 8L * i, interruptBitmap[i]);
        }
    }

    private static byte bit(boolean value) {
        return (byte) (value ? 1 : 0);
    }

    /**
     * Reads a segment register.
     *
     * @param segment which
     * @return its descriptor cache
     */
    public SegmentRegister segment(Segment segment) {
        return segments[segment.ordinal()];
    }

    /**
     * Sets a segment register.
     *
     * @param segment which
     * @param value   the descriptor cache
     * @return this
     */
    public SpecialRegisters segment(Segment segment, SegmentRegister value) {
        segments[segment.ordinal()] = value;
        return this;
    }

    /**
     * Sets the GDT register.
     *
     * @param base  linear base
     * @param limit limit in bytes
     * @return this
     */
    public SpecialRegisters gdt(long base, int limit) {
        gdtBase = base;
        gdtLimit = limit;
        return this;
    }

    /**
     * Sets the IDT register.
     *
     * @param base  linear base
     * @param limit limit in bytes
     * @return this
     */
    public SpecialRegisters idt(long base, int limit) {
        idtBase = base;
        idtLimit = limit;
        return this;
    }

    /** {@return the GDT base} */
    public long gdtBase() {
        return gdtBase;
    }

    /** {@return the GDT limit} */
    public int gdtLimit() {
        return gdtLimit;
    }

    /** {@return the IDT base} */
    public long idtBase() {
        return idtBase;
    }

    /** {@return the IDT limit} */
    public int idtLimit() {
        return idtLimit;
    }

    /** {@return CR0} */
    public long cr0() {
        return control[0];
    }

    /**
     * Sets CR0.
     *
     * @param value the value
     * @return this
     */
    public SpecialRegisters cr0(long value) {
        control[0] = value;
        return this;
    }

    /** {@return CR2} */
    public long cr2() {
        return control[1];
    }

    /**
     * Sets CR2.
     *
     * @param value the value
     * @return this
     */
    public SpecialRegisters cr2(long value) {
        control[1] = value;
        return this;
    }

    /** {@return CR3} */
    public long cr3() {
        return control[2];
    }

    /**
     * Sets CR3.
     *
     * @param value the value
     * @return this
     */
    public SpecialRegisters cr3(long value) {
        control[2] = value;
        return this;
    }

    /** {@return CR4} */
    public long cr4() {
        return control[3];
    }

    /**
     * Sets CR4.
     *
     * @param value the value
     * @return this
     */
    public SpecialRegisters cr4(long value) {
        control[3] = value;
        return this;
    }

    /** {@return CR8} */
    public long cr8() {
        return control[4];
    }

    /**
     * Sets CR8 (the task priority).
     *
     * @param value the value
     * @return this
     */
    public SpecialRegisters cr8(long value) {
        control[4] = value;
        return this;
    }

    /** {@return EFER} */
    public long efer() {
        return control[5];
    }

    /**
     * Sets EFER.
     *
     * @param value the value
     * @return this
     */
    public SpecialRegisters efer(long value) {
        control[5] = value;
        return this;
    }

    /** {@return the APIC base MSR} */
    public long apicBase() {
        return control[6];
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Segment segment : Segment.values()) {
            SegmentRegister g = segments[segment.ordinal()];
            text.append(String.format("%-3s =%04x %016x %08x type %x dpl %d%s%s%s%n", segment.name(), g.selector(),
                    g.base(), g.limit(), g.type(), g.dpl(), g.present() ? " P" : "", g.l() ? " L" : "",
                    g.db() ? " DB" : ""));
        }
        text.append(String.format("GDT=     %016x %08x%nIDT=     %016x %08x%n", gdtBase, gdtLimit, idtBase, idtLimit));
        text.append(String.format("CR0=%016x CR2=%016x CR3=%016x CR4=%016x%nEFER=%016x APIC_BASE=%016x",
                control[0], control[1], control[2], control[3], control[5], control[6]));
        return text.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecialRegisters other && Arrays.equals(segments, other.segments)
                && gdtBase == other.gdtBase && gdtLimit == other.gdtLimit && idtBase == other.idtBase
                && idtLimit == other.idtLimit && Arrays.equals(control, other.control)
                && Arrays.equals(interruptBitmap, other.interruptBitmap);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(control) * 31 + Arrays.hashCode(segments);
    }
}
