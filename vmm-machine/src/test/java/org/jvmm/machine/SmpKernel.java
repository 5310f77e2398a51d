package org.jvmm.machine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A 178-byte "kernel" for {@code jvmm run --kernel}: an ELF vmlinux whose 64-bit entry (boot
 * protocol state, as LinuxBoot sets it) brings up every other vCPU the way Linux does, through the
 * local APIC's ICR: INIT, SIPI, SIPI. Each application processor starts in real mode at the SIPI
 * vector's page, reads its APIC id from CPUID, marks the flag byte of that id and counts itself in.
 * The BSP waits until the count equals CPUID.1:EBX[23:16] - 1 (the logical processors jvmm
 * announces), writes the boot-time marker, then powers off or resets through the ACPI ports.
 * Hand-assembled (GNU as, then checked with objdump); the listing is beside the bytes.
 */
final class SmpKernel {

    /** Where the kernel loads and starts, as Linux's vmlinux does from 16 MiB; 1 MiB suffices here. */
    static final long LOAD_ADDRESS = 0x10_0000;
    /** The AP count, a 16-bit word the APs increment. */
    static final long AP_COUNT = 0x5000;
    /** AP flags: byte {@code AP_FLAGS + apicId} becomes 1 when that AP ran. */
    static final long AP_FLAGS = 0x5010;

    private static final int POWER_PORT_OFFSET = 0x83;
    private static final int POWER_VALUE_OFFSET = 0x86;

    private static final int[] CODE = {
        // 64-bit BSP, entered at LOAD_ADDRESS with rsp in low memory (LinuxBoot's boot stack)
        0x48, 0x8d, 0x35, 0x91, 0x00, 0x00, 0x00,       // 00  lea   tramp(%rip), %rsi
        0xbf, 0x00, 0x60, 0x00, 0x00,                   // 07  mov   $0x6000, %edi
        0xb9, 0x1a, 0x00, 0x00, 0x00,                   // 0c  mov   $26, %ecx
        0xf3, 0xa4,                                     // 11  rep movsb            (trampoline to 0x6000)
        0xb8, 0x01, 0x00, 0x00, 0x00,                   // 13  mov   $1, %eax
        0x0f, 0xa2,                                     // 18  cpuid
        0xc1, 0xeb, 0x10,                               // 1a  shr   $16, %ebx
        0x44, 0x0f, 0xb6, 0xe3,                         // 1d  movzbl %bl, %r12d   (logical processors)
        0x41, 0xff, 0xcc,                               // 21  dec   %r12d          (APs to wait for)
        0xbb, 0x00, 0x00, 0xe0, 0xfe,                   // 24  mov   $0xfee00000, %ebx
        0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00, // 29  movl $0x1ff, SVR(%rbx)   (APIC on)
        0xc7, 0x83, 0x10, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 33  movl $0, ICR_HI(%rbx)
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x00, 0x45, 0x0c, 0x00, // 3d  movl $0xc4500, ICR_LO(%rbx) INIT, all but self
        0xe8, 0x3f, 0x00, 0x00, 0x00,                   // 47  call  wait_icr
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x06, 0x46, 0x0c, 0x00, // 4c  movl $0xc4606, ICR_LO(%rbx) SIPI 0x6000
        0xe8, 0x30, 0x00, 0x00, 0x00,                   // 56  call  wait_icr
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x06, 0x46, 0x0c, 0x00, // 5b  movl $0xc4606, ICR_LO(%rbx) second SIPI
        0xe8, 0x21, 0x00, 0x00, 0x00,                   // 65  call  wait_icr
        0xf3, 0x90,                                     // 6a  1: pause
        0x44, 0x3b, 0x24, 0x25, 0x00, 0x50, 0x00, 0x00, // 6c  cmp   0x5000, %r12d
        0x75, 0xf4,                                     // 74  jne   1b
        0xb9, 0x00, 0xf0, 0xff, 0xcf,                   // 76  mov   $0xcffff000, %ecx
        0xc7, 0x01, 0x01, 0x00, 0x00, 0x00,             // 7b  movl  $1, (%rcx)     (boot-time marker)
        0x66, 0xba, 0x00, 0x06,                         // 81  mov   $0x600, %dx    (patched: the port)
        0xb0, 0x34,                                     // 85  mov   $0x34, %al     (patched: the value)
        0xee,                                           // 87  out   %al, %dx
        0xf4,                                           // 88  2: hlt
        0xeb, 0xfd,                                     // 89  jmp   2b
        0xf7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, // 8b  wait_icr: testl $0x1000, ICR_LO(%rbx)
        0x75, 0xf4,                                     // 95  jnz   wait_icr       (delivery pending)
        0xc3,                                           // 97  ret
        // 16-bit AP trampoline, copied to 0x6000 and entered at 0600:0000 by the SIPI
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,             // 98  mov   $1, %eax
        0x0f, 0xa2,                                     // 9e  cpuid
        0x66, 0xc1, 0xeb, 0x18,                         // a0  shr   $24, %ebx      (initial APIC id)
        0xc6, 0x87, 0x10, 0x50, 0x01,                   // a4  movb  $1, 0x5010(%bx)
        0xf0, 0xff, 0x06, 0x00, 0x50,                   // a9  lock incw 0x5000
        0xfa,                                           // ae  3: cli
        0xf4,                                           // af  hlt
        0xeb, 0xfc,                                     // b0  jmp   3b
    };

    private SmpKernel() {}

    /**
     * The kernel as an ELF64 executable with one PT_LOAD segment at {@link #LOAD_ADDRESS}.
     *
     * @param powerPort  where the BSP writes at the end: 0x600 (sleep control) or 0x602 (reset)
     * @param powerValue what it writes: 0x34 (SLP_EN | SLP_TYP 5) or 0x01 (reset)
     * @return the file's bytes
     */
    static byte[] elf(int powerPort, int powerValue) {
        byte[] code = new byte[CODE.length];
        for (int i = 0; i < code.length; i++) {
            code[i] = (byte) CODE[i];
        }
        code[POWER_PORT_OFFSET] = (byte) powerPort;
        code[POWER_PORT_OFFSET + 1] = (byte) (powerPort >>> 8);
        code[POWER_VALUE_OFFSET] = (byte) powerValue;
        int headers = 64 + 56;
        ByteBuffer b = ByteBuffer.allocate(headers + code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(0x10, (short) 2);          // ET_EXEC
        b.putShort(0x12, (short) 62);         // EM_X86_64
        b.putInt(0x14, 1);
        b.putLong(0x18, LOAD_ADDRESS);        // e_entry
        b.putLong(0x20, 64);                  // e_phoff
        b.putShort(0x34, (short) 64);
        b.putShort(0x36, (short) 56);
        b.putShort(0x38, (short) 1);
        b.putInt(64, 1);                      // PT_LOAD
        b.putInt(64 + 4, 5);                  // R+X
        b.putLong(64 + 8, headers);           // p_offset
        b.putLong(64 + 16, LOAD_ADDRESS);     // p_vaddr
        b.putLong(64 + 24, LOAD_ADDRESS);     // p_paddr
        b.putLong(64 + 32, code.length);      // p_filesz
        b.putLong(64 + 40, code.length);      // p_memsz
        b.put(headers, code);
        return b.array();
    }
}
