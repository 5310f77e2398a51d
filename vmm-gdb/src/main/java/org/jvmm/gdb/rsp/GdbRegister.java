package org.jvmm.gdb.rsp;

/**
 * The registers the stub describes in target.xml, in gdb's numbering (the order of the
 * description): the {@code org.gnu.gdb.i386.core} feature gdb requires for {@code i386:x86-64}
 * (general registers, rip, eflags, segment selectors and the x87 registers), the
 * {@code org.gnu.gdb.i386.segments} feature (fs_base, gs_base), and jvmm's own
 * {@code org.jvmm.x86.control} feature (control registers and EFER, in gdb's "system" group).
 *
 * <p>The x87 registers are there because gdb rejects an x86-64 description without them; the stub
 * reports them unavailable.
 */
public enum GdbRegister {
    /** rax. */ RAX(64, "int64"),
    /** rbx. */ RBX(64, "int64"),
    /** rcx. */ RCX(64, "int64"),
    /** rdx. */ RDX(64, "int64"),
    /** rsi. */ RSI(64, "int64"),
    /** rdi. */ RDI(64, "int64"),
    /** rbp. */ RBP(64, "data_ptr"),
    /** rsp. */ RSP(64, "data_ptr"),
    /** r8. */ R8(64, "int64"),
    /** r9. */ R9(64, "int64"),
    /** r10. */ R10(64, "int64"),
    /** r11. */ R11(64, "int64"),
    /** r12. */ R12(64, "int64"),
    /** r13. */ R13(64, "int64"),
    /** r14. */ R14(64, "int64"),
    /** r15. */ R15(64, "int64"),
    /** rip. */ RIP(64, "code_ptr"),
    /** eflags: the low 32 bits of RFLAGS (the rest is reserved). */ EFLAGS(32, "i386_eflags"),
    /** cs selector. */ CS(32, "int32"),
    /** ss selector. */ SS(32, "int32"),
    /** ds selector. */ DS(32, "int32"),
    /** es selector. */ ES(32, "int32"),
    /** fs selector. */ FS(32, "int32"),
    /** gs selector. */ GS(32, "int32"),
    /** st0. */ ST0(80, "i387_ext"),
    /** st1. */ ST1(80, "i387_ext"),
    /** st2. */ ST2(80, "i387_ext"),
    /** st3. */ ST3(80, "i387_ext"),
    /** st4. */ ST4(80, "i387_ext"),
    /** st5. */ ST5(80, "i387_ext"),
    /** st6. */ ST6(80, "i387_ext"),
    /** st7. */ ST7(80, "i387_ext"),
    /** x87 control word. */ FCTRL(32, "int"),
    /** x87 status word. */ FSTAT(32, "int"),
    /** x87 tag word. */ FTAG(32, "int"),
    /** x87 last instruction segment. */ FISEG(32, "int"),
    /** x87 last instruction offset. */ FIOFF(32, "int"),
    /** x87 last operand segment. */ FOSEG(32, "int"),
    /** x87 last operand offset. */ FOOFF(32, "int"),
    /** x87 last opcode. */ FOP(32, "int"),
    /** FS base. */ FS_BASE(64, "int"),
    /** GS base. */ GS_BASE(64, "int"),
    /** CR0. */ CR0(64, "int"),
    /** CR2. */ CR2(64, "int"),
    /** CR3. */ CR3(64, "int"),
    /** CR4. */ CR4(64, "int"),
    /** CR8. */ CR8(64, "int"),
    /** EFER. */ EFER(64, "int");

    /** The feature holding the general, segment and x87 registers. */
    static final String CORE = "org.gnu.gdb.i386.core";
    /** The feature holding fs_base and gs_base. */
    static final String SEGMENTS = "org.gnu.gdb.i386.segments";
    /** jvmm's feature for the control registers. */
    static final String CONTROL = "org.jvmm.x86.control";

    private static final GdbRegister[] ALL = values();

    private final int bits;
    private final String type;

    GdbRegister(int bits, String type) {
        this.bits = bits;
        this.type = type;
    }

    /** {@return gdb's number for it} */
    public int number() {
        return ordinal();
    }

    /** {@return its name in target.xml} */
    public String gdbName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** {@return its width in bits} */
    public int bits() {
        return bits;
    }

    /** {@return its width in bytes} */
    public int bytes() {
        return bits / 8;
    }

    /** {@return its target.xml type} */
    public String type() {
        return type;
    }

    /** {@return whether the stub has a value for it (the x87 registers are unavailable)} */
    public boolean available() {
        return ordinal() < ST0.ordinal() || ordinal() > FOP.ordinal();
    }

    /** {@return the target.xml feature it belongs to} */
    public String feature() {
        if (ordinal() < FS_BASE.ordinal()) {
            return CORE;
        }
        return ordinal() < CR0.ordinal() ? SEGMENTS : CONTROL;
    }

    /** {@return its target.xml group, or null for the default} */
    public String group() {
        if (ordinal() >= FCTRL.ordinal() && ordinal() <= FOP.ordinal()) {
            return "float";
        }
        return feature().equals(CONTROL) ? "system" : null;
    }

    /**
     * The register with a gdb number.
     *
     * @param number gdb's number
     * @return the register, or null if there is none
     */
    public static GdbRegister of(long number) {
        return number >= 0 && number < ALL.length ? ALL[(int) number] : null;
    }
}
