package org.jvmm.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * mmap results as segments of the right size, each unmapped when its arena closes. After that, an
 * access throws {@link IllegalStateException} instead of touching unmapped memory.
 */
@SuppressWarnings("restricted")
public final class Mmap {
    private static final long MAP_FAILED = -1L;

    private Mmap() {}

    /**
     * Maps anonymous, private, zero-filled memory that reserves no swap: pages are taken on first
     * touch, so a VM with 4 GiB of RAM costs only what the guest uses.
     *
     * @param arena owner; closing it unmaps
     * @param size  bytes, a multiple of the page size
     * @return the mapping
     * @throws org.jvmm.core.kvm.SystemCallException if mmap fails
     */
    public static MemorySegment anonymous(Arena arena, long size) {
        return map(arena, size, Libc.PROT_READ | Libc.PROT_WRITE,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, "mmap(anonymous " + size + " bytes)");
    }

    /**
     * Maps a file descriptor shared, read and write (the vCPU's {@code kvm_run}).
     *
     * @param arena     owner; closing it unmaps
     * @param fd        the fd
     * @param size      bytes
     * @param operation name for the error message
     * @return the mapping
     * @throws org.jvmm.core.kvm.SystemCallException if mmap fails
     */
    public static MemorySegment shared(Arena arena, int fd, long size, String operation) {
        return map(arena, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, operation);
    }

    private static MemorySegment map(Arena arena, long size, int prot, int flags, int fd, String operation) {
        CallState state = CallState.current();
        MemorySegment address = Libc.mmap(state, size, prot, flags, fd, 0);
        if (address.address() == MAP_FAILED) {
            state.checkSystem(-1, operation);
        }
        return address.reinterpret(size, arena, segment -> Libc.munmap(CallState.current(), segment, size));
    }
}
