package org.jvmm.core.boot;

import java.util.Optional;

/**
 * A kernel in guest memory.
 *
 * @param start   lowest guest-physical address the kernel occupies
 * @param end     first address after what the kernel needs (for a bzImage: load address + init_size,
 *                the room it decompresses in), where the initrd may begin
 * @param entry64 guest-physical 64-bit entry point
 * @param header  the bzImage's setup header, copied into the zero page; empty for an ELF kernel
 */
public record LoadedKernel(long start, long end, long entry64, Optional<SetupHeader> header) {}
