package org.jvmm.core.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.jvmm.core.memory.GuestMemory;

/**
 * The zero page ({@code struct boot_params}): the kernel's setup header, as the image carries it,
 * plus what the loader fills in. Built in a 4 KiB buffer, then written to guest memory in one step.
 */
public final class ZeroPage {

    /** Size of {@code struct boot_params}. */
    public static final int SIZE = 4096;
    /** {@code acpi_rsdp_addr}, u64. */
    public static final int ACPI_RSDP_ADDR = 0x070;
    /** {@code ext_ramdisk_image}, u32: bits 32-63 of ramdisk_image. */
    public static final int EXT_RAMDISK_IMAGE = 0x0c0;
    /** {@code ext_ramdisk_size}, u32. */
    public static final int EXT_RAMDISK_SIZE = 0x0c4;
    /** {@code ext_cmd_line_ptr}, u32. */
    public static final int EXT_CMD_LINE_PTR = 0x0c8;
    /** {@code e820_entries}, u8. */
    public static final int E820_ENTRIES = 0x1e8;
    /** {@code hdr.vid_mode}, u16. */
    public static final int VID_MODE = 0x1fa;
    /** {@code hdr.boot_flag}, u16. */
    public static final int BOOT_FLAG = 0x1fe;
    /** {@code hdr.header}, u32 "HdrS". */
    public static final int HEADER = 0x202;
    /** {@code hdr.type_of_loader}, u8. */
    public static final int TYPE_OF_LOADER = 0x210;
    /** {@code hdr.loadflags}, u8. */
    public static final int LOADFLAGS = 0x211;
    /** {@code hdr.ramdisk_image}, u32. */
    public static final int RAMDISK_IMAGE = 0x218;
    /** {@code hdr.ramdisk_size}, u32. */
    public static final int RAMDISK_SIZE = 0x21c;
    /** {@code hdr.cmd_line_ptr}, u32. */
    public static final int CMD_LINE_PTR = 0x228;
    /** {@code e820_table}: 128 entries of 20 bytes (u64 address, u64 size, u32 type). */
    public static final int E820_TABLE = 0x2d0;
    /** Size of one e820 entry. */
    public static final int E820_ENTRY_SIZE = 20;
    /** type_of_loader 0xff: "undefined" loader, what VMMs use. */
    public static final int LOADER_UNDEFINED = 0xff;
    /** vid_mode 0xffff: "normal" text mode. */
    public static final int VID_MODE_NORMAL = 0xffff;
    /** loadflags bit 0: the protected-mode code is loaded at 1 MiB. */
    public static final int LOADED_HIGH = 0x01;

    private final ByteBuffer page = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);

    /**
     * A zero page for a kernel: its setup header copied in (if it has one), then the loader's fields:
     * type_of_loader 0xff, boot_flag, the "HdrS" magic, vid_mode normal, loadflags LOADED_HIGH.
     *
     * @param header the bzImage's header, or empty for an ELF vmlinux
     */
    public ZeroPage(Optional<SetupHeader> header) {
        header.ifPresent(h -> page.put(SetupHeader.OFFSET, h.raw()));
        page.putShort(BOOT_FLAG, (short) SetupHeader.BOOT_FLAG);
        page.putInt(HEADER, SetupHeader.MAGIC);
        page.put(TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        page.putShort(VID_MODE, (short) VID_MODE_NORMAL);
        page.put(LOADFLAGS, (byte) (page.get(LOADFLAGS) | LOADED_HIGH));
    }

    /**
     * Sets cmd_line_ptr (and ext_cmd_line_ptr for an address above 4 GiB).
     *
     * @param address guest-physical address of the NUL-terminated line
     * @return this
     */
    public ZeroPage commandLine(long address) {
        page.putInt(CMD_LINE_PTR, (int) address);
        page.putInt(EXT_CMD_LINE_PTR, (int) (address >>> 32));
        return this;
    }

    /**
     * Sets the ramdisk fields (and their ext_ halves).
     *
     * @param initrd where the initrd is
     * @return this
     */
    public ZeroPage ramdisk(Initrd initrd) {
        page.putInt(RAMDISK_IMAGE, (int) initrd.address());
        page.putInt(EXT_RAMDISK_IMAGE, (int) (initrd.address() >>> 32));
        page.putInt(RAMDISK_SIZE, (int) initrd.size());
        page.putInt(EXT_RAMDISK_SIZE, (int) (initrd.size() >>> 32));
        return this;
    }

    /**
     * Writes the e820 table.
     *
     * @param map the memory map
     * @return this
     */
    public ZeroPage e820(E820Map map) {
        int i = 0;
        for (E820Map.Entry e : map.entries()) {
            int at = E820_TABLE + i * E820_ENTRY_SIZE;
            page.putLong(at, e.address());
            page.putLong(at + 8, e.size());
            page.putInt(at + 16, e.type());
            i++;
        }
        page.put(E820_ENTRIES, (byte) i);
        return this;
    }

    /**
     * Sets acpi_rsdp_addr, so the kernel need not scan the BIOS area for the RSDP.
     *
     * @param rsdp guest-physical address of the RSDP
     * @return this
     */
    public ZeroPage acpiRsdp(long rsdp) {
        page.putLong(ACPI_RSDP_ADDR, rsdp);
        return this;
    }

    /**
     * Sets vid_mode.
     *
     * @param mode the video mode (0xffff normal, 0xfffe extended, 0xfffd ask)
     * @return this
     */
    public ZeroPage vidMode(int mode) {
        page.putShort(VID_MODE, (short) mode);
        return this;
    }

    /** {@return a copy of the page} */
    public byte[] toBytes() {
        return page.array().clone();
    }

    /**
     * Writes the page into guest memory.
     *
     * @param memory  guest RAM
     * @param address where, 4 KiB aligned
     */
    public void writeTo(GuestMemory memory, long address) {
        memory.write(address, page.array());
    }
}
