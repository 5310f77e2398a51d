package org.jvmm.core.kvm;

/** The general-purpose registers of {@code struct kvm_regs}, in the struct's order. */
public enum Register {
    /** RAX. */ RAX,
    /** RBX. */ RBX,
    /** RCX. */ RCX,
    /** RDX. */ RDX,
    /** RSI. */ RSI,
    /** RDI. */ RDI,
    /** RSP. */ RSP,
    /** RBP. */ RBP,
    /** R8. */ R8,
    /** R9. */ R9,
    /** R10. */ R10,
    /** R11. */ R11,
    /** R12. */ R12,
    /** R13. */ R13,
    /** R14. */ R14,
    /** R15. */ R15,
    /** RIP. */ RIP,
    /** RFLAGS. */ RFLAGS
}
