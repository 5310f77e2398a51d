package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import org.jvmm.core.memory.GuestMemory;

/**
 * A bzImage: real-mode setup code, which jvmm skips, followed by the protected-mode kernel (the
 * decompressor and its compressed payload), which is loaded at {@link #LOAD_ADDRESS} and entered in
 * 64-bit mode at load address + {@link #ENTRY_64_OFFSET}.
 *
 * @param header the validated setup header
 * @param image  the whole file
 */
public record BzImage(SetupHeader header, MemorySegment image) implements KernelImage {

    /** Where the protected-mode code goes: 1 MiB, the protocol's code32_start for a bzImage. */
    public static final long LOAD_ADDRESS = 0x10_0000;
    /** The 64-bit entry point's offset from the load address (startup_64 of the decompressor). */
    public static final long ENTRY_64_OFFSET = 0x200;

    /**
     * Parses and validates a bzImage.
     *
     * @param image the file's bytes
     * @return the image
     * @throws BootException BAD_MAGIC, TRUNCATED_IMAGE (also when the protected-mode code ends before
     *                       the 64-bit entry), PROTOCOL_TOO_OLD or NOT_64_BIT
     */
    public static BzImage parse(byte[] image) {
        return parse(MemorySegment.ofArray(image));
    }

    /**
     * Parses and validates a bzImage in memory (a mapped file: only its header is read until it is loaded).
     *
     * @param image the file's bytes
     * @return the image, which refers to {@code image} for the kernel's bytes
     * @throws BootException as {@link #parse(byte[])}, and IMAGE_TOO_LARGE
     */
    public static BzImage parse(MemorySegment image) {
        BzImage bz = new BzImage(SetupHeader.parse(image), image);
        if (bz.protectedModeSize() <= ENTRY_64_OFFSET) {
            throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                    "the protected-mode code is %d bytes, its 64-bit entry is at offset 0x%x", bz.protectedModeSize(), ENTRY_64_OFFSET));
        }
        return bz;
    }

    /** {@return the size of the protected-mode code} */
    public long protectedModeSize() {
        return image.byteSize() - header.realModeSize();
    }

    @Override
    public LoadedKernel load(GuestMemory memory) {
        long size = protectedModeSize();
        long needed = Math.max(size, header.initSize());
        long end = Checked.add(LOAD_ADDRESS, needed, "load address + init_size");
        if (!memory.isValid(LOAD_ADDRESS, needed)) {
            throw new BootException(BootError.KERNEL_OUTSIDE_RAM, String.format(
                    "the bzImage needs [0x%x, 0x%x) (init_size 0x%x)", LOAD_ADDRESS, end, header.initSize()));
        }
        memory.write(LOAD_ADDRESS, image.asSlice(header.realModeSize(), size));
        return new LoadedKernel(LOAD_ADDRESS, end, LOAD_ADDRESS + ENTRY_64_OFFSET, java.util.Optional.of(header));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BzImage b && header.equals(b.header) && image.byteSize() == b.image.byteSize() && image.mismatch(b.image) == -1;
    }

    @Override
    public int hashCode() {
        return header.hashCode();
    }

    @Override
    public String toString() {
        return "BzImage[" + image.byteSize() + " bytes, " + header + "]";
    }
}
