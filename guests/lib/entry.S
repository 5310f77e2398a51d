/*
 * Ring-0 part of the jvmm guest runtime: entry, GDT/TSS/IDT, interrupt and exception stubs, and the
 * syscall entry. KVM interprets every instruction here (about 260 ns each), so everything that can be
 * computed at build time is: the IDT is data (the stubs sit at fixed addresses), the TSS and GDT too.
 *
 * Selectors: 0x08 kernel code, 0x10 kernel data, 0x18 user data, 0x20 user code, 0x28 TSS. The user
 * pair is in the order sysret wants (STAR[63:48] = 0x10: SS = 0x10 + 8, CS = 0x10 + 16).
 */
#define KCODE 0x08
#define KDATA 0x10
#define UDATA (0x18 | 3)
#define UCODE (0x20 | 3)
#define TSSSEL 0x28

#define LOAD_ADDR 0x200000
#define ISR_BASE (LOAD_ADDR + 0x100)      /* checked by linker.ld */
#define NVEC 48                           /* exceptions 0-31, PIC IRQs 0x20-0x2f */
#define TSS_ADDR (ISR_BASE + NVEC * 16)

#define RESULTS 0xa0                      /* offset of results[] in the parameter block */
#define DONE_MAGIC 0x454e4f44

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define FMASK_BITS 0x47700                /* TF IF DF IOPL NT AC cleared on syscall */
#define USER_RFLAGS 0x3202                /* IOPL 3, IF */

    .code64

/* The caller-saved registers of the C calling convention, around a call into kernel C code. */
.macro save_caller_saved
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
.endm
.macro restore_caller_saved
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
.endm

/* ------------------------------------------------------------------ entry at LOAD_ADDR */
    .section .entry, "ax"
    .globl _start
_start:
    jmp rt_start

/* ------------------------------------------------------------------ stubs at ISR_BASE + 16 * vector */
    .section .isr, "ax"
    .globl __isr_stubs
__isr_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .org __isr_stubs + \v * 16, 0x90
    .if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
    pushq $\v                             /* the CPU pushed an error code */
    .else
    pushq $0
    pushq $\v
    .endif
    jmp exc_common
    .endr
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .org __isr_stubs + (32 + \n) * 16, 0x90
    pushq $\n
    jmp irq_common
    .endr

/* The 64-bit TSS, at TSS_ADDR so that its GDT descriptor is a constant. */
    .org __isr_stubs + NVEC * 16, 0x90
    .globl __tss
__tss:
    .long 0
    .quad kstack_top                      /* rsp0: interrupts from ring 3 land here */
    .quad 0, 0, 0                         /* rsp1, rsp2, reserved */
    .quad 0, 0, 0, 0, 0, 0, 0             /* ist1-7 */
    .quad 0
    .word 0
    .word 104                             /* I/O bitmap base beyond the limit: no bitmap (IOPL 3 rules) */
__tss_end:

/* ------------------------------------------------------------------ ring-0 code */
    .section .ktext, "ax"
rt_start:
    test %rsi, %rsi                       /* only vCPU 0 runs the guest */
    jnz rt_secondary
    mov %rdi, ram_size(%rip)
    mov %rdx, params(%rip)
    lgdt gdt_ptr(%rip)
    lea kstack_top(%rip), %rsp
    pushq $KCODE
    lea 1f(%rip), %rax
    push %rax
    lretq
1:  mov $KDATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov $TSSSEL, %eax
    ltr %ax
    lidt idt_ptr(%rip)

    mov $MSR_EFER, %ecx
    rdmsr
    or $1, %eax                           /* SCE */
    wrmsr
    mov $MSR_STAR, %ecx
    xor %eax, %eax
    mov $((0x10 << 16) | KCODE), %edx
    wrmsr
    mov $MSR_LSTAR, %ecx
    mov $syscall_entry, %eax
    xor %edx, %edx
    wrmsr
    mov $MSR_FMASK, %ecx
    mov $FMASK_BITS, %eax
    wrmsr

    /* With the in-kernel irqchip: remap the PICs to 0x20-0x2f and mask everything. Unprogrammed,
     * they would deliver a stray IRQ (the PIT, say) on an exception vector. */
    mov params(%rip), %rbx
    testb $1, 0x18(%rbx)
    jz 2f
    mov $0x11, %al                        /* ICW1: edge, cascade, ICW4 follows */
    out %al, $0x20
    out %al, $0xa0
    mov $0x20, %al                        /* ICW2: vector bases */
    out %al, $0x21
    mov $0x28, %al
    out %al, $0xa1
    mov $0x04, %al                        /* ICW3: slave on IRQ 2 */
    out %al, $0x21
    mov $0x02, %al
    out %al, $0xa1
    mov $0x01, %al                        /* ICW4: 8086 mode */
    out %al, $0x21
    out %al, $0xa1
    mov $0xff, %al                        /* OCW1: all masked */
    out %al, $0x21
    out %al, $0xa1
2:
    /* Drop to ring 3 with IOPL 3 and interrupts on. */
    pushq $UDATA
    pushq $ustack_top
    pushq $USER_RFLAGS
    pushq $UCODE
    pushq $rt_user_entry
    iretq

/* vCPUs other than 0: ap_main(index) if the guest defines one (a weak symbol, 0 otherwise), in
 * ring 0 with interrupts off on the stack and GDT the VMM set up, then park. hostile-virtio's race
 * uses it; every other guest parks at once. */
    .weak ap_main
rt_secondary:
    mov $ap_main, %eax
    test %eax, %eax
    jz rt_park
    mov %rsi, %rdi
    call *%rax

    .globl rt_park
rt_park:
    cli
1:  hlt
    jmp 1b

/* Exceptions end the run: report vector, error code, CR2, RIP and CS, then debug-exit with
 * EXIT_EXCEPTION + vector. Stack: vector, error code, rip, cs, rflags, rsp, ss. */
exc_common:
    cmpq $13, (%rsp)
    jne 1f
    testb $3, 24(%rsp)                    /* the faulting CS: ring 3? */
    jz 1f
    /* A #GP in ring 3 may be port I/O that a PVM host refuses despite IOPL 3: emulate_user_io
     * (kernel.c) does it in ring 0 and steps over it. 9 pushes on the CPU's 7 words leave rsp
     * 16-byte aligned for the call. */
    save_caller_saved
    mov %rsp, %rdi
    cld
    call emulate_user_io
    test %eax, %eax                       /* the pops keep the flags */
    restore_caller_saved
    jz 1f
    add $16, %rsp                         /* vector and error code */
    iretq
1:  mov params(%rip), %rbx
    mov 24(%rsp), %rax
    mov %rax, RESULTS + 3 * 8(%rbx)
    mov 8(%rsp), %rax
    mov %rax, RESULTS + 4 * 8(%rbx)
    mov %cr2, %rax
    mov %rax, RESULTS + 5 * 8(%rbx)
    mov 16(%rsp), %rax
    mov %rax, RESULTS + 6 * 8(%rbx)
    mov (%rsp), %eax
    add $0x40, %eax
    mov $DONE_MAGIC, %edx
    shl $32, %rdx
    or %rax, %rdx
    mov %rdx, RESULTS + 7 * 8(%rbx)
    out %eax, $0xf4
    jmp rt_park

/* Device interrupts: save the caller-saved registers and call irq_dispatch(irq) (kernel.c).
 * Stack alignment: the CPU aligns rsp to 16 and pushes 5 words, the stub 1, we push 9 + 1 pad. */
irq_common:
    save_caller_saved
    mov 72(%rsp), %rdi
    sub $8, %rsp
    cld
    call irq_dispatch
    add $8, %rsp
    restore_caller_saved
    add $8, %rsp
    iretq

/* syscall from ring 3: rax = number, rdi/rsi = arguments; rcx/r11 hold the user rip/rflags and
 * interrupts are off (FMASK). Only ring 3 calls this, and there is one vCPU, so a single saved
 * user rsp and the top of the kernel stack are free to use. */
syscall_entry:
    mov %rsp, user_rsp(%rip)
    lea kstack_top(%rip), %rsp
    pushq user_rsp(%rip)
    push %rcx
    push %r11
    sub $8, %rsp
    test %eax, %eax
    jnz 2f
    /* SYS_WAIT_IRQ(seen): sleep unless an interrupt came since the caller read irq_events.
     * sti's one-instruction shadow makes sti; hlt atomic: no wake-up is lost. */
    cmp %edi, irq_events(%rip)
    jne 3f
    sti
    hlt
    cli
    jmp 3f
2:  /* SYS_KCALL(fn, arg) */
    mov %rdi, %rax
    mov %rsi, %rdi
    cld
    call *%rax
3:  add $8, %rsp
    pop %r11
    pop %rcx
    pop %rsp
    sysretq

/* ------------------------------------------------------------------ tables */
    .data
    .balign 8
    .globl params, ram_size
params: .quad 0
ram_size: .quad 0
user_rsp: .quad 0

    .balign 16
gdt:
    .quad 0
    .quad 0x00af9a000000ffff              /* 0x08 kernel code, 64-bit */
    .quad 0x00cf92000000ffff              /* 0x10 kernel data */
    .quad 0x00cff2000000ffff              /* 0x18 user data, DPL 3 */
    .quad 0x00affa000000ffff              /* 0x20 user code, 64-bit, DPL 3 */
    /* 0x28 TSS: limit 103, base TSS_ADDR, type 9 (available 64-bit TSS), present */
    .word 103
    .word TSS_ADDR & 0xffff
    .byte (TSS_ADDR >> 16) & 0xff
    .byte 0x89
    .byte 0
    .byte (TSS_ADDR >> 24) & 0xff
    .long 0
    .long 0
gdt_end:

    .balign 8
    .word 0, 0, 0
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt

    .balign 16
idt:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .word (ISR_BASE + \v * 16) & 0xffff
    .word KCODE
    .byte 0                               /* no IST */
    .byte 0x8e                            /* present, DPL 0, 64-bit interrupt gate */
    .word (ISR_BASE + \v * 16) >> 16
    .long 0
    .long 0
    .endr
idt_end:

    .balign 8
    .word 0, 0, 0
idt_ptr:
    .word idt_end - idt - 1
    .quad idt

/* ------------------------------------------------------------------ stacks (not in the image) */
    .section .stack, "aw", @nobits
    .balign 16
    .skip 16384
    .globl kstack_top
kstack_top:
    .skip 65536
    .globl ustack_top
ustack_top:

/* ------------------------------------------------------------------ ring-3 entry */
    .text
rt_user_entry:
    call rt_user_start
    ud2
