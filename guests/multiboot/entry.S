/*
 * Entry of the multiboot guest: the Multiboot (v1) header, then _start as a Multiboot loader enters it
 * (32-bit protected mode, paging off, EAX = 0x2BADB002, EBX = the information structure). It records
 * the entry state before changing it, reloads CS and the data segments from the GDT the loader
 * set up (a broken GDT faults here), sets up a stack and calls mb_main(eax, ebx, eflags, cs, ds).
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

    .section .bss
    .align 16
    .space 8192
stack_top:
