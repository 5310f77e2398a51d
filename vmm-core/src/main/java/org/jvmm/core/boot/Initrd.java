package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import org.jvmm.core.memory.GuestMemory;

/**
 * Where an initrd sits in guest memory: as high as the kernel allows (below its {@code initrd_addr_max},
 * and inside usable RAM), page aligned, above the kernel. High placement keeps low memory free for
 * the kernel's own early allocations, as GRUB and QEMU do.
 *
 * @param address guest-physical start, page aligned
 * @param size    length in bytes
 */
public record Initrd(long address, long size) {

    /** initrd_addr_max for kernels that do not say (an ELF vmlinux): 2 GiB - 1, what 2.03+ bzImages declare. */
    public static final long DEFAULT_ADDR_MAX = 0x7fff_ffffL;
    private static final long PAGE = 4096;

    /**
     * Picks the address.
     *
     * @param size   the initrd's length
     * @param kernel the loaded kernel (its end and its initrd_addr_max)
     * @param map    the guest's memory map
     * @return the placement
     * @throws BootException INITRD_DOES_NOT_FIT if no usable RAM between the kernel and the limit holds it
     */
    public static Initrd place(long size, LoadedKernel kernel, E820Map map) {
        if (size <= 0) {
            throw new IllegalArgumentException("initrd size " + size);
        }
        long addrMax = kernel.header().map(SetupHeader::initrdAddrMax).filter(a -> a > 0).orElse(DEFAULT_ADDR_MAX);
        long limit = Checked.add(addrMax, 1, "initrd_addr_max + 1");
        long best = -1;
        for (E820Map.Entry e : map.entries()) {
            if (e.type() != E820Map.RAM) {
                continue;
            }
            long top = Math.min(Checked.add(e.address(), e.size(), "e820 end"), limit);
            if (top < size) {
                continue;
            }
            long start = Checked.alignDown(top - size, PAGE);
            if (start >= e.address() && start >= kernel.end() && start > best) {
                best = start;
            }
        }
        if (best < 0) {
            throw new BootException(BootError.INITRD_DOES_NOT_FIT, String.format(
                    "%d bytes, kernel ends at 0x%x, initrd_addr_max 0x%x, RAM below 4 GiB ends at 0x%x",
                    size, kernel.end(), addrMax, map.ramEndBelow4G()));
        }
        return new Initrd(best, size);
    }

    /**
     * Places the initrd and copies it into guest memory.
     *
     * @param memory guest RAM
     * @param data   the initrd
     * @param kernel the loaded kernel
     * @param map    the guest's memory map
     * @return where it went
     * @throws BootException INITRD_DOES_NOT_FIT
     */
    public static Initrd load(GuestMemory memory, byte[] data, LoadedKernel kernel, E820Map map) {
        return load(memory, MemorySegment.ofArray(data), kernel, map);
    }

    /**
     * Places the initrd as high as allowed and copies it there, from memory (a mapped file).
     *
     * @param memory guest RAM
     * @param data   the initrd
     * @param kernel the loaded kernel
     * @param map    the e820 map
     * @return where it went
     * @throws BootException INITRD_DOES_NOT_FIT
     */
    public static Initrd load(GuestMemory memory, MemorySegment data, LoadedKernel kernel, E820Map map) {
        Initrd initrd = place(data.byteSize(), kernel, map);
        memory.write(initrd.address(), data);
        return initrd;
    }
}
