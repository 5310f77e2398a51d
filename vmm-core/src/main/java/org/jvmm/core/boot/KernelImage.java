package org.jvmm.core.boot;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jvmm.core.memory.GuestMemory;

/**
 * A parsed, validated Linux kernel image: a {@link BzImage} or an uncompressed {@link ElfKernel}.
 * Parsing checks everything that can be checked without guest memory; {@link #load} then copies the
 * image into guest RAM and says where it went.
 */
public sealed interface KernelImage permits BzImage, ElfKernel {

    /**
     * Loads the image into guest memory.
     *
     * @param memory guest RAM
     * @return where the kernel went and where to enter it
     * @throws BootException KERNEL_OUTSIDE_RAM if guest RAM is too small
     */
    LoadedKernel load(GuestMemory memory);

    /**
     * Parses a kernel image, telling a bzImage from an ELF file by its magic.
     *
     * @param image the file's bytes
     * @return the parsed image
     * @throws BootException a named error if the image is neither, or is malformed or truncated
     */
    static KernelImage parse(byte[] image) {
        return parse(MemorySegment.ofArray(image));
    }

    /**
     * Parses a kernel image in memory, a heap copy or a file mapped with {@link BootFile#map}.
     *
     * @param image the file's bytes
     * @return the parsed image, which refers to {@code image} until it is loaded
     * @throws BootException a named error if the image is neither, or is malformed or truncated
     */
    static KernelImage parse(MemorySegment image) {
        return ImageBytes.isElf(image) ? ElfKernel.parse(image) : BzImage.parse(image);
    }


    /**
     * Reads and parses a kernel image file.
     *
     * @param file the bzImage or vmlinux
     * @return the parsed image
     * @throws IOException   if the file cannot be read
     * @throws BootException if it is not a usable kernel
     */
    static KernelImage read(Path file) throws IOException {
        return parse(Files.readAllBytes(file));
    }
}
