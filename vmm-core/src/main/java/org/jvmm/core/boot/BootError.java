package org.jvmm.core.boot;

/** What went wrong while preparing a Linux or Multiboot boot; each carries a message that says what to do. */
public enum BootError {
    /** The image ends before a structure it declares. */
    TRUNCATED_IMAGE("the kernel image is truncated"),
    /** Neither a bzImage ("HdrS" at 0x202, 0xAA55 at 0x1FE) nor an ELF file. */
    BAD_MAGIC("not a kernel jvmm boots: no bzImage 'HdrS' header, no Multiboot header and no ELF magic"),
    /** The bzImage speaks a boot protocol older than 2.12. */
    PROTOCOL_TOO_OLD("the bzImage's boot protocol is older than 2.12 (jvmm needs the 64-bit entry)"),
    /** The bzImage has no 64-bit entry point (XLF_KERNEL_64 clear). */
    NOT_64_BIT("the bzImage has no 64-bit entry point (XLF_KERNEL_64 is clear): use an x86_64 kernel"),
    /** An ELF file that is not a little-endian x86-64 ELF64 executable. */
    BAD_ELF("not an x86-64 ELF64 executable"),
    /** An ELF file without PT_LOAD segments. */
    NO_LOADABLE_SEGMENTS("the ELF kernel has no PT_LOAD segment"),
    /** The kernel does not fit in guest RAM where it must be loaded. */
    KERNEL_OUTSIDE_RAM("the kernel does not fit in guest RAM: give the VM more memory"),
    /** The command line is longer than the kernel accepts. */
    CMDLINE_TOO_LONG("the kernel command line is too long"),
    /** The command line holds a NUL or a non-printable character. */
    CMDLINE_BAD_CHARACTER("the kernel command line holds a NUL or non-printable character"),
    /** No room for the initrd between the kernel and initrd_addr_max / the end of RAM. */
    INITRD_DOES_NOT_FIT("the initrd does not fit between the kernel and the highest address the kernel accepts"),
    /** More e820 entries than the zero page holds. */
    E820_TABLE_FULL("more than 128 e820 entries"),
    /** The e820 entries overlap or are empty. */
    E820_BAD_ENTRY("an e820 entry is empty, wraps around or overlaps another"),
    /** More vCPUs than the MADT can describe with 8-bit APIC ids. */
    TOO_MANY_VCPUS("too many vCPUs for xAPIC ids (at most 254)"),
    /** The ACPI tables do not fit in the area reserved for them. */
    ACPI_TABLES_TOO_LARGE("the ACPI tables do not fit below 1 MiB"),
    /** A kernel file of 2 GiB or more: no kernel is that large, and its headers are read through a ByteBuffer. */
    IMAGE_TOO_LARGE("the kernel image is 2 GiB or larger: not a kernel"),
    /** A size or an address computation overflowed. */
    OVERFLOW("a size or address in the kernel image overflows"),
    /** A Multiboot magic in the first 8192 bytes whose flags and checksum do not add up to 0 (mod 2^32). */
    MULTIBOOT_BAD_CHECKSUM("the multiboot header's checksum is wrong: magic + flags + checksum must be 0 (mod 2^32)"),
    /** The Multiboot header requires something jvmm cannot give: a video mode (flag 2) or an undefined flag (3-15). */
    MULTIBOOT_UNSUPPORTED_FLAGS("the multiboot kernel requires a feature jvmm does not provide (a video mode, or an undefined "
            + "required flag)"),
    /** The Multiboot header's address fields (flag 16) contradict each other or the file. */
    MULTIBOOT_BAD_ADDRESSES("the multiboot header's address fields (flag 16) are inconsistent"),
    /** A Multiboot kernel without address fields that is not a 32-bit x86 ELF executable. */
    MULTIBOOT_BAD_ELF("a multiboot kernel without address fields (flag 16) must be a 32-bit x86 ELF executable"),
    /** No free RAM below 4 GiB holds a Multiboot module (the initrd). */
    MODULE_DOES_NOT_FIT("the module (initrd) does not fit in free RAM below 4 GiB next to the kernel: give the VM more memory"),
    /** No free RAM below 4 GiB holds the Multiboot information structure. */
    MULTIBOOT_INFO_DOES_NOT_FIT("the multiboot information structure does not fit in free RAM below 4 GiB");

    private final String description;

    BootError(String description) {
        this.description = description;
    }

    /** {@return a sentence describing the error} */
    public String description() {
        return description;
    }
}
