package org.jvmm.core.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.jvmm.core.kvm.abi.KvmLayouts;

/**
 * A set of CPUID leaves: what {@code KVM_GET_SUPPORTED_CPUID} returns and what
 * {@code KVM_SET_CPUID2} takes. Immutable; edits return a new set.
 *
 * @param entries the leaves
 */
public record Cpuid(List<CpuidEntry> entries) {

    /** CPUID.1:ECX bit 31, set by hypervisors. */
    public static final int ECX_HYPERVISOR = 1 << 31;

    /**
     * Copies the list.
     *
     * @param entries the leaves
     */
    public Cpuid {
        entries = List.copyOf(entries);
    }

    static Cpuid decode(MemorySegment buffer) {
        int count = buffer.get(ValueLayout.JAVA_INT, 0);
        long header = KvmLayouts.CPUID2.byteSize();
        long size = KvmLayouts.CPUID_ENTRY2.byteSize();
        List<CpuidEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long base = header + i * size;
            entries.add(new CpuidEntry(
                    buffer.get(ValueLayout.JAVA_INT, base), buffer.get(ValueLayout.JAVA_INT, base + 4),
                    buffer.get(ValueLayout.JAVA_INT, base + 8), buffer.get(ValueLayout.JAVA_INT, base + 12),
                    buffer.get(ValueLayout.JAVA_INT, base + 16), buffer.get(ValueLayout.JAVA_INT, base + 20),
                    buffer.get(ValueLayout.JAVA_INT, base + 24)));
        }
        return new Cpuid(entries);
    }

    MemorySegment encode(Arena arena) {
        long header = KvmLayouts.CPUID2.byteSize();
        long size = KvmLayouts.CPUID_ENTRY2.byteSize();
        MemorySegment buffer = arena.allocate(header + entries.size() * size, 8);
        buffer.set(ValueLayout.JAVA_INT, 0, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            CpuidEntry e = entries.get(i);
            long base = header + i * size;
            buffer.set(ValueLayout.JAVA_INT, base, e.function());
            buffer.set(ValueLayout.JAVA_INT, base + 4, e.index());
            buffer.set(ValueLayout.JAVA_INT, base + 8, e.flags());
            buffer.set(ValueLayout.JAVA_INT, base + 12, e.eax());
            buffer.set(ValueLayout.JAVA_INT, base + 16, e.ebx());
            buffer.set(ValueLayout.JAVA_INT, base + 20, e.ecx());
            buffer.set(ValueLayout.JAVA_INT, base + 24, e.edx());
        }
        return buffer;
    }

    /**
     * Applies {@code edit} to every entry of leaf {@code function}.
     *
     * @param function the leaf
     * @param edit     the change
     * @return the new set
     */
    public Cpuid edit(int function, UnaryOperator<CpuidEntry> edit) {
        List<CpuidEntry> edited = new ArrayList<>(entries.size());
        for (CpuidEntry entry : entries) {
            edited.add(entry.function() == function ? edit.apply(entry) : entry);
        }
        return new Cpuid(edited);
    }

    /**
     * Finds a leaf.
     *
     * @param function the leaf
     * @param index    the sub-leaf
     * @return the entry, or null
     */
    public CpuidEntry find(int function, int index) {
        for (CpuidEntry entry : entries) {
            if (entry.function() == function && entry.index() == index) {
                return entry;
            }
        }
        return null;
    }
}
