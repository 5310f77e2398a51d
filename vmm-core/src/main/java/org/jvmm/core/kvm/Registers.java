package org.jvmm.core.kvm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A copy of a vCPU's general-purpose registers ({@code struct kvm_regs}); edit, then set it back. */
public final class Registers {
    private final long[] values = new long[Register.values().length];

    /** All registers zero, except RFLAGS bit 1, which is always set on x86. */
    public Registers() {
        values[Register.RFLAGS.ordinal()] = 0x2;
    }

    static Registers decode(MemorySegment regs) {
        Registers r = new Registers();
        for (int i = 0; i < r.values.length; i++) {
            r.values[i] = regs.getAtIndex(ValueLayout.JAVA_LONG, i);
        }
        return r;
    }

    void encode(MemorySegment regs) {
        for (int i = 0; i < values.length; i++) {
            regs.setAtIndex(ValueLayout.JAVA_LONG, i, values[i]);
        }
    }

    /**
     * Reads a register.
     *
     * @param register which
     * @return its value
     */
    public long get(Register register) {
        return values[register.ordinal()];
    }

    /**
     * Sets a register.
     *
     * @param register which
     * @param value    the value
     * @return this, for chaining
     */
    public Registers set(Register register, long value) {
        values[register.ordinal()] = value;
        return this;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Register register : Register.values()) {
            if (!text.isEmpty()) {
                text.append(register.ordinal() % 4 == 0 ? "\n" : " ");
            }
            text.append(String.format("%-6s=%016x", register.name(), values[register.ordinal()]));
        }
        return text.toString();
    }
}
