package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;

/**
 * Which boot protocol a kernel file speaks, told from its bytes in QEMU's order: a bzImage's "HdrS"
 * header first, then a Multiboot header, then an ELF file (a Linux vmlinux). A machine parses a
 * {@link #LINUX} file with {@link KernelImage#parse} and boots it with {@link LinuxBoot}, a
 * {@link #MULTIBOOT} one with {@link MultibootKernel#parse} and {@link MultibootBoot}.
 */
public enum KernelFormat {
    /** A bzImage or an ELF64 vmlinux: the Linux x86 boot protocol. */
    LINUX,
    /** A kernel with a Multiboot (version 1) header. */
    MULTIBOOT;

    private static final int HDRS_OFFSET = 0x202;

    /**
     * Tells the format.
     *
     * @param image the file's bytes
     * @return the format
     * @throws BootException BAD_MAGIC if the file is none of them; MULTIBOOT_BAD_CHECKSUM, TRUNCATED_IMAGE
     *                       or MULTIBOOT_BAD_ADDRESSES if it has a broken Multiboot header and is not an ELF64 file
     */
    public static KernelFormat detect(byte[] image) {
        return detect(MemorySegment.ofArray(image));
    }

    /**
     * Tells the format of a file in memory (a mapped file: only its head is read).
     *
     * @param image the file's bytes
     * @return the format
     * @throws BootException as {@link #detect(byte[])}, and IMAGE_TOO_LARGE
     */
    public static KernelFormat detect(MemorySegment image) {
        if (image.byteSize() >= HDRS_OFFSET + 4
                && ImageBytes.littleEndian(image).getInt(HDRS_OFFSET) == SetupHeader.MAGIC) {
            return LINUX;
        }
        boolean elf = ImageBytes.isElf(image);
        try {
            if (MultibootHeader.find(image).isPresent()) {
                return MULTIBOOT;
            }
        } catch (BootException brokenHeader) {
            // A vmlinux may hold the magic by chance; a 32-bit file can only have meant it.
            boolean elf64 = elf && image.byteSize() > 4 && ImageBytes.at(image, 4) == 2;
            if (!elf64) {
                throw brokenHeader;
            }
        }
        if (elf) {
            return LINUX;
        }
        throw new BootException(BootError.BAD_MAGIC, image.byteSize() >= HDRS_OFFSET + 4
                ? String.format("magic 0x%08x at 0x202",
                        ImageBytes.littleEndian(image).getInt(HDRS_OFFSET))
                : "a file of " + image.byteSize() + " bytes");
    }
}
