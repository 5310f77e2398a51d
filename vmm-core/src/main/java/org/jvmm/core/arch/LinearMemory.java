package org.jvmm.core.arch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.function.LongFunction;
import org.jvmm.core.kvm.Translation;
import org.jvmm.core.memory.GuestMemory;

/**
 * Guest memory at linear (virtual) addresses as one vCPU sees them: each 4 KiB page is translated
 * on its own ({@code KVM_TRANSLATE} or {@link PageWalker}), so a range may cross pages that map
 * anywhere. An access stops at the first page that is unmapped or not RAM (an MMIO hole), and says
 * how far it got; it never touches memory outside the guest's RAM.
 *
 * <p>A debugger's view: writes go to read-only pages too (a breakpoint in code), since they do not
 * go through the guest's MMU. Exceptions of the translator (a failed {@code KVM_TRANSLATE})
 * propagate.
 */
public final class LinearMemory {

    private static final long PAGE = 4096;

    private final GuestMemory memory;
    private final LongFunction<Translation> translator;

    /**
     * Creates the view.
     *
     * @param memory     guest-physical memory
     * @param translator linear to physical for the vCPU, e.g. {@code vcpu::translate}
     */
    public LinearMemory(GuestMemory memory, LongFunction<Translation> translator) {
        this.memory = memory;
        this.translator = translator;
    }

    /**
     * Copies guest bytes into {@code into}.
     *
     * @param address linear address of the first byte
     * @param into    the destination
     * @param offset  where in {@code into} to start
     * @param length  bytes wanted
     * @return bytes copied: {@code length}, or fewer when a page is unmapped or not RAM
     */
    public int read(long address, byte[] into, int offset, int length) {
        return access(address, into, offset, length, false);
    }

    /**
     * Copies bytes into guest memory.
     *
     * @param address linear address of the first byte
     * @param from    the source
     * @param offset  where in {@code from} to start
     * @param length  bytes to write
     * @return bytes written: {@code length}, or fewer when a page is unmapped or not RAM
     */
    public int write(long address, byte[] from, int offset, int length) {
        return access(address, from, offset, length, true);
    }

    private int access(long address, byte[] buffer, int offset, int length, boolean write) {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        int done = 0;
        while (done < length) {
            long linear = address + done;
            if (done > 0 && linear == 0) {
                break; // wrapped past the top of the address space
            }
            int chunk = (int) Math.min(length - done, PAGE - (linear & (PAGE - 1)));
            Translation t = translator.apply(linear);
            if (!t.valid() || !memory.isValid(t.physicalAddress(), chunk)) {
                break;
            }
            MemorySegment guest = memory.slice(t.physicalAddress(), chunk);
            if (write) {
                MemorySegment.copy(buffer, offset + done, guest, ValueLayout.JAVA_BYTE, 0, chunk);
            } else {
                MemorySegment.copy(guest, ValueLayout.JAVA_BYTE, 0, buffer, offset + done, chunk);
            }
            done += chunk;
        }
        return done;
    }
}
