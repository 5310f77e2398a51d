package org.jvmm.core.boot;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The bzImage setup header ({@code struct setup_header}, at 0x1F1 of the image and of the zero page),
 * validated: "HdrS" magic, boot flag 0xAA55, protocol 2.12 or newer, a 64-bit entry point, and a
 * protected-mode part that is all there.
 *
 * @param setupSects     512-byte sectors of real-mode setup code after the boot sector (0 means 4)
 * @param version        boot protocol version, e.g. 0x020f for 2.15
 * @param loadflags      LOADED_HIGH and friends, as the image has them
 * @param xloadflags     XLF_* bits
 * @param initrdAddrMax  highest address the initrd may occupy
 * @param cmdlineSize    the longest command line the kernel accepts, without its NUL
 * @param kernelAlignment physical alignment the kernel needs
 * @param prefAddress    preferred load address of a relocatable kernel
 * @param initSize       bytes the kernel needs from its load address while it decompresses and starts
 * @param payloadOffset  offset of the compressed payload in the protected-mode code
 * @param payloadLength  length of the compressed payload
 * @param raw            the header bytes, from 0x1F1 to the end the image declares
 */
public record SetupHeader(int setupSects, int version, int loadflags, int xloadflags, long initrdAddrMax,
                          long cmdlineSize, long kernelAlignment, long prefAddress, long initSize,
                          long payloadOffset, long payloadLength, byte[] raw) {

    /** Offset of the setup header in the image and in the zero page. */
    public static final int OFFSET = 0x1f1;
    /** The "HdrS" magic at 0x202, little-endian. */
    public static final int MAGIC = 0x5372_6448;
    /** The boot flag at 0x1FE. */
    public static final int BOOT_FLAG = 0xaa55;
    /** The oldest protocol jvmm boots: 2.12 added xloadflags and the 64-bit entry flag. */
    public static final int MIN_VERSION = 0x020c;
    /** xloadflags bit: the kernel has a 64-bit entry point at load address + 0x200. */
    public static final int XLF_KERNEL_64 = 1;
    /** The header fields jvmm reads end here (kernel_info_offset, protocol 2.15); 2.12 images stop at 0x268. */
    static final int MIN_END = 0x268;
    /** The zero page reserves up to here for the header. */
    static final int MAX_END = 0x290;

    /**
     * Copies the byte array so the record stays immutable.
     *
     * @param setupSects      real-mode sectors
     * @param version         protocol version
     * @param loadflags       loadflags
     * @param xloadflags      xloadflags
     * @param initrdAddrMax   initrd_addr_max
     * @param cmdlineSize     cmdline_size
     * @param kernelAlignment kernel_alignment
     * @param prefAddress     pref_address
     * @param initSize        init_size
     * @param payloadOffset   payload_offset
     * @param payloadLength   payload_length
     * @param raw             the header bytes
     */
    public SetupHeader {
        raw = raw.clone();
    }

    /** {@return a copy of the header bytes, from 0x1F1 to the end the image declares} */
    @Override
    public byte[] raw() {
        return raw.clone();
    }

    /** {@return the size of the real-mode part (boot sector and setup code) that precedes the kernel proper} */
    public long realModeSize() {
        return (setupSects + 1L) * 512;
    }

    /**
     * Parses and validates the header of a bzImage.
     *
     * @param image the whole image
     * @return the header
     * @throws BootException BAD_MAGIC, TRUNCATED_IMAGE, PROTOCOL_TOO_OLD or NOT_64_BIT
     */
    public static SetupHeader parse(byte[] image) {
        return parse(MemorySegment.ofArray(image));
    }

    /**
     * Parses and validates the header of a bzImage in memory (a mapped file: only its head is read).
     *
     * @param image the whole image
     * @return the header
     * @throws BootException BAD_MAGIC, TRUNCATED_IMAGE, PROTOCOL_TOO_OLD, NOT_64_BIT or IMAGE_TOO_LARGE
     */
    public static SetupHeader parse(MemorySegment image) {
        if (image.byteSize() < 0x208) { // up to the protocol version, which decides how much more to read
            throw new BootException(BootError.TRUNCATED_IMAGE, image.byteSize() + " bytes, the setup header alone needs 0x208");
        }
        ByteBuffer b = ImageBytes.littleEndian(image);
        if (b.getInt(0x202) != MAGIC || Short.toUnsignedInt(b.getShort(0x1fe)) != BOOT_FLAG) {
            throw new BootException(BootError.BAD_MAGIC, String.format("magic 0x%08x at 0x202, boot flag 0x%04x at 0x1fe",
                    b.getInt(0x202), Short.toUnsignedInt(b.getShort(0x1fe))));
        }
        int version = Short.toUnsignedInt(b.getShort(0x206));
        if (version < MIN_VERSION) {
            throw new BootException(BootError.PROTOCOL_TOO_OLD,
                    String.format("protocol %d.%02d", version >> 8, version & 0xff));
        }
        // The jump at 0x200 skips the header; its target says where the header ends.
        int end = Math.min(0x202 + Byte.toUnsignedInt(ImageBytes.at(image, 0x201)), MAX_END);
        if (end < MIN_END) {
            end = MIN_END;
        }
        if (image.byteSize() < end) {
            throw new BootException(BootError.TRUNCATED_IMAGE,
                    image.byteSize() + " bytes, the setup header ends at 0x" + Integer.toHexString(end));
        }
        int xloadflags = Short.toUnsignedInt(b.getShort(0x236));
        if ((xloadflags & XLF_KERNEL_64) == 0) {
            throw new BootException(BootError.NOT_64_BIT, String.format("xloadflags 0x%04x", xloadflags));
        }
        int setupSects = Byte.toUnsignedInt(ImageBytes.at(image, OFFSET));
        SetupHeader header = new SetupHeader(setupSects == 0 ? 4 : setupSects, version,
                Byte.toUnsignedInt(ImageBytes.at(image, 0x211)), xloadflags,
                Integer.toUnsignedLong(b.getInt(0x22c)), Integer.toUnsignedLong(b.getInt(0x238)),
                Integer.toUnsignedLong(b.getInt(0x230)), b.getLong(0x258),
                Integer.toUnsignedLong(b.getInt(0x260)), Integer.toUnsignedLong(b.getInt(0x248)),
                Integer.toUnsignedLong(b.getInt(0x24c)), image.asSlice(OFFSET, end - OFFSET).toArray(ValueLayout.JAVA_BYTE));
        long syssize = Integer.toUnsignedLong(b.getInt(0x1f4)) * 16;
        long needed = Checked.add(header.realModeSize(), syssize, "real-mode size + syssize");
        if (image.byteSize() < needed) {
            throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                    "%d bytes, the header declares %d (setup %d + protected-mode code %d)",
                    image.byteSize(), needed, header.realModeSize(), syssize));
        }
        long payloadEnd = Checked.add(header.payloadOffset(), header.payloadLength(), "payload_offset + payload_length");
        if (Checked.add(header.realModeSize(), payloadEnd, "payload end") > image.byteSize()) {
            throw new BootException(BootError.TRUNCATED_IMAGE, String.format(
                    "the compressed payload ends at %d, past the image's %d bytes",
                    header.realModeSize() + payloadEnd, image.byteSize()));
        }
        return header;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SetupHeader h && Arrays.equals(raw, h.raw) && version == h.version;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
        return String.format("SetupHeader[protocol %d.%02d, setup_sects %d, xloadflags 0x%x, initrd_addr_max 0x%x, "
                        + "cmdline_size %d, init_size 0x%x]", version >> 8, version & 0xff, setupSects, xloadflags,
                initrdAddrMax, cmdlineSize, initSize);
    }
}
