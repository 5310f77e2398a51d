package org.jvmm.gdb.rsp;

import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.core.kvm.SegmentRegister;
import org.jvmm.core.kvm.SpecialRegisters;
import org.jvmm.core.kvm.SpecialRegisters.Segment;
import org.jvmm.gdb.GdbTarget;

/**
 * gdb's registers over KVM's {@code kvm_regs} and {@code kvm_sregs}: {@code g}, {@code G},
 * {@code p} and {@code P} of one vCPU. A write changes only what it must: a general register goes
 * through KVM_SET_REGS, fs_base, gs_base, the control registers and EFER through KVM_SET_SREGS.
 * A segment selector cannot be changed on its own (the CPU would reload the hidden descriptor
 * with it), so a write of a different selector is refused; writing back the same one, as gdb's
 * {@code G} does, is fine.
 */
final class RegisterAccess {

    /** Characters of a full {@code g} reply. */
    static final int G_LENGTH = gLength();

    private static final Register[] GENERAL = {
        Register.RAX, Register.RBX, Register.RCX, Register.RDX, Register.RSI, Register.RDI, Register.RBP,
        Register.RSP, Register.R8, Register.R9, Register.R10, Register.R11, Register.R12, Register.R13,
        Register.R14, Register.R15, Register.RIP,
    };
    private static final Segment[] SELECTORS = {Segment.CS, Segment.SS, Segment.DS, Segment.ES, Segment.FS, Segment.GS};

    private final GdbTarget target;

    RegisterAccess(GdbTarget target) {
        this.target = target;
    }

    private static int gLength() {
        int length = 0;
        for (GdbRegister r : GdbRegister.values()) {
            length += 2 * r.bytes();
        }
        return length;
    }

    /** {@return the {@code g} reply for a vCPU: every register, 'x' pairs for unavailable ones} */
    String readAll(int vcpu) {
        Registers regs = target.registers(vcpu);
        SpecialRegisters sregs = target.specialRegisters(vcpu);
        StringBuilder out = new StringBuilder(G_LENGTH);
        for (GdbRegister r : GdbRegister.values()) {
            append(out, r, regs, sregs);
        }
        return out.toString();
    }

    /** {@return the {@code p} reply for one register of a vCPU} */
    String read(int vcpu, GdbRegister register) {
        StringBuilder out = new StringBuilder(2 * register.bytes());
        append(out, register, target.registers(vcpu), target.specialRegisters(vcpu));
        return out.toString();
    }

    private static void append(StringBuilder out, GdbRegister r, Registers regs, SpecialRegisters sregs) {
        if (r.available()) {
            Hex.appendLittleEndian(out, value(r, regs, sregs), r.bytes());
        } else {
            out.append("xx".repeat(r.bytes()));
        }
    }

    /**
     * {@code G}: writes every available register from a full {@code g}-format image; the x87
     * fields are skipped whatever they hold.
     *
     * @return false if a value may not be changed (a different selector); then nothing is written
     */
    boolean writeAll(int vcpu, String image) {
        if (image.length() != G_LENGTH) {
            throw new MalformedPacketException("G needs " + G_LENGTH + " hex digits, got " + image.length());
        }
        Registers regs = target.registers(vcpu);
        SpecialRegisters sregs = target.specialRegisters(vcpu);
        boolean special = false;
        int at = 0;
        for (GdbRegister r : GdbRegister.values()) {
            if (r.available()) {
                long value = Hex.parseLittleEndian(image, at, r.bytes());
                long before = value(r, regs, sregs);
                if (!set(r, value, regs, sregs)) {
                    return false;
                }
                special |= isSpecial(r) && value != before;
            }
            at += 2 * r.bytes();
        }
        target.setRegisters(vcpu, regs);
        if (special) {
            target.setSpecialRegisters(vcpu, sregs);
        }
        return true;
    }

    /**
     * {@code P}: writes one register.
     *
     * @return false if the register cannot be written (unavailable, or a different selector)
     */
    boolean write(int vcpu, GdbRegister register, String hexValue) {
        if (hexValue.length() != 2 * register.bytes()) {
            throw new MalformedPacketException(register.gdbName() + " needs " + 2 * register.bytes() + " hex digits");
        }
        if (!register.available()) {
            return false;
        }
        long value = Hex.parseLittleEndian(hexValue, 0, register.bytes());
        Registers regs = target.registers(vcpu);
        SpecialRegisters sregs = target.specialRegisters(vcpu);
        if (!set(register, value, regs, sregs)) {
            return false;
        }
        if (isSpecial(register)) {
            target.setSpecialRegisters(vcpu, sregs);
        } else {
            target.setRegisters(vcpu, regs);
        }
        return true;
    }

    private static boolean isSpecial(GdbRegister r) {
        return r.ordinal() >= GdbRegister.CS.ordinal();
    }

    private static long value(GdbRegister r, Registers regs, SpecialRegisters sregs) {
        return switch (r) {
            case EFLAGS -> regs.get(Register.RFLAGS) & 0xffff_ffffL;
            case CS, SS, DS, ES, FS, GS -> sregs.segment(SELECTORS[r.ordinal() - GdbRegister.CS.ordinal()]).selector();
            case FS_BASE -> sregs.segment(Segment.FS).base();
            case GS_BASE -> sregs.segment(Segment.GS).base();
            case CR0 -> sregs.cr0();
            case CR2 -> sregs.cr2();
            case CR3 -> sregs.cr3();
            case CR4 -> sregs.cr4();
            case CR8 -> sregs.cr8();
            case EFER -> sregs.efer();
            default -> regs.get(GENERAL[r.ordinal()]);
        };
    }

    /** Applies one value to the copies; false if it may not be changed. */
    private static boolean set(GdbRegister r, long value, Registers regs, SpecialRegisters sregs) {
        switch (r) {
            case EFLAGS -> regs.set(Register.RFLAGS, (regs.get(Register.RFLAGS) & ~0xffff_ffffL) | value);
            case CS, SS, DS, ES, FS, GS -> {
                return sregs.segment(SELECTORS[r.ordinal() - GdbRegister.CS.ordinal()]).selector() == value;
            }
            case FS_BASE -> sregs.segment(Segment.FS, withBase(sregs.segment(Segment.FS), value));
            case GS_BASE -> sregs.segment(Segment.GS, withBase(sregs.segment(Segment.GS), value));
            case CR0 -> sregs.cr0(value);
            case CR2 -> sregs.cr2(value);
            case CR3 -> sregs.cr3(value);
            case CR4 -> sregs.cr4(value);
            case CR8 -> sregs.cr8(value);
            case EFER -> sregs.efer(value);
            default -> {
                if (!r.available()) {
                    return false;
                }
                regs.set(GENERAL[r.ordinal()], value);
            }
        }
        return true;
    }

    private static SegmentRegister withBase(SegmentRegister s, long base) {
        return new SegmentRegister(base, s.limit(), s.selector(), s.type(), s.present(), s.dpl(), s.db(), s.s(),
                s.l(), s.g(), s.avl(), s.unusable());
    }
}
