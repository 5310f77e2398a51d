package org.jvmm.core.kvm;

/**
 * One CPUID leaf as KVM reports or takes it ({@code struct kvm_cpuid_entry2}).
 *
 * @param function the leaf (EAX input)
 * @param index    the sub-leaf (ECX input), meaningful when {@code flags} says so
 * @param flags    KVM_CPUID_FLAG_* bits
 * @param eax      output EAX
 * @param ebx      output EBX
 * @param ecx      output ECX
 * @param edx      output EDX
 */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {

    /**
     * A copy with other output registers.
     *
     * @param newEax EAX
     * @param newEbx EBX
     * @param newEcx ECX
     * @param newEdx EDX
     * @return the copy
     */
    public CpuidEntry withRegisters(int newEax, int newEbx, int newEcx, int newEdx) {
        return new CpuidEntry(function, index, flags, newEax, newEbx, newEcx, newEdx);
    }
}
