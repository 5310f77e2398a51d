/*
 * Entry of the multiboot guest: the Multiboot (v1) header, then _start as a Multiboot loader enters it
 * (32-bit protected mode, paging off, EAX = 0x2BADB002, EBX = the information structure). It records
 * the entry state before changing it, reloads CS and the data segments from the GDT the loader
 * set up (a broken GDT faults here), sets up a stack and calls mb_main(eax, ebx, eflags, cs, ds).
 * s3_resume_start..s3_resume_end is the real-mode code the guest's S3 check copies below 1 MiB and
 * names as the FACS waking vector.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory information */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    mov %eax, %esi          /* magic */
    mov %ebx, %edi          /* information structure */
    mov $stack_top, %esp    /* the loader leaves ESP undefined; mov changes no flag */
    pushf
    pop %ebp                /* EFLAGS at entry */
    mov %cs, %ecx
    mov %ds, %edx
    ljmp $0x08, $1f
1:  mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    mov %eax, %ss
    mov $stack_top, %esp
    push %edx
    push %ecx
    push %ebp
    push %edi
    push %esi
    call mb_main
2:  cli
    hlt
    jmp 2b

/*
 * Entered in real mode at CS:0 after S3 (CS = the waking vector >> 4): prints "s3: resumed" on COM1
 * and exits through 0xf4 with 0 when PM1_STS is WAK_STS | RTC_STS (the machine says it woke from the
 * RTC alarm), else 1. s3_pm1_event (at the same offset in the copy) holds the PM1a event block's port.
 */
    .code16
    .globl s3_resume_start, s3_resume_end, s3_pm1_event
s3_resume_start:
    mov $0x3f8, %dx
    mov $(s3_message - s3_resume_start), %si
3:  mov %cs:(%si), %al
    test %al, %al
    jz 4f
    out %al, %dx
    inc %si
    jmp 3b
4:  mov %cs:(s3_pm1_event - s3_resume_start), %dx
    in %dx, %ax
    xor $0x8400, %ax
    jz 6f
    mov $1, %ax             /* the exit status keeps 7 bits: any difference is 1 */
6:  movzwl %ax, %eax
    mov $0xf4, %dx
    out %eax, %dx
5:  hlt
    jmp 5b
s3_pm1_event:
    .word 0
s3_message:
    .asciz "s3: resumed\n"
s3_resume_end:
    .code32

    .section .bss
    .align 16
    .space 8192
stack_top:
