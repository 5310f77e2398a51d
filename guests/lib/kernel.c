/* Ring-0 C: interrupt dispatch. Kept tiny, KVM interprets it. */
#include "jvmm.h"

volatile uint32_t irq_events;
irq_handler irq_handlers[16];
uintptr_t irq_args[16];

/* Called by irq_common (entry.S) with interrupts off. */
KERNEL void irq_dispatch(uint64_t irq)
{
    /* IRQ 7 and 15 can be spurious: then the PIC's in-service bit is clear and no EOI is due
     * (except to the master for a spurious slave IRQ). */
    if ((irq & 7) == 7) {
        uint16_t cmd = irq < 8 ? 0x20 : 0xa0;
        outb(cmd, 0x0b);                  /* OCW3: read ISR */
        if (!(inb(cmd) & 0x80)) {
            if (irq == 15)
                outb(0x20, 0x20);
            return;
        }
    }
    irq_handler h = irq_handlers[irq];
    if (h)
        h(irq_args[irq]);
    irq_events++;
    if (irq >= 8)
        outb(0xa0, 0x20);
    outb(0x20, 0x20);
}

/* For sys_kcall: stop for good (a HLT exit without the irqchip; blocks forever with it). */
KERNEL uint64_t rt_halt(uint64_t unused)
{
    (void)unused;
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* The registers exc_common (entry.S) saved under the CPU's exception frame, lowest address first. */
struct io_frame {
    uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

#define RFLAGS_DF 0x400ull

/*
 * A #GP from ring 3 at a port instruction. The runtime runs ring 3 with IOPL 3 (USER_RFLAGS), where
 * the CPU allows that access, but a PVM host's KVM (HOST.md: ring 3 runs natively in the host's user
 * mode) raises #GP for it, and the frame it delivers does not even show IOPL 3, so it is not checked.
 * Do the access here in ring 0, as the same instruction with the same registers, so the VMM sees the very
 * same exits (one for a rep ins/outs), and step over it. Returns 0 when the #GP is not that: the
 * caller reports it as the exception it is. Handles in/out with imm8 or dx, ins/outs with rep, and
 * the 0x66 operand-size prefix; anything else (other prefixes, DF set) is reported.
 */
KERNEL int emulate_user_io(struct io_frame *f)
{
    if (f->rflags & RFLAGS_DF)
        return 0;
    const volatile uint8_t *ip = (const volatile uint8_t *)f->rip;
    unsigned n = 0, size = 4;
    int rep = 0;
    uint8_t op;
    for (;; n++) {
        op = ip[n];
        if (op == 0x66)
            size = 2;
        else if (op == 0xf3)
            rep = 1;
        else
            break;
        if (n == 3)
            return 0;
    }
    n++;
    if (!(op & 1))
        size = 1;
    uint16_t port = (uint16_t)f->rdx;
    if (op >= 0xe4 && op <= 0xe7)
        port = ip[n++];
    else if (!(op >= 0xec && op <= 0xef) && !(op >= 0x6c && op <= 0x6f))
        return 0;
    uint64_t count = rep ? f->rcx : 1;
    switch (op) {
    case 0xe4: case 0xe5: case 0xec: case 0xed:
        if (size == 1)
            f->rax = (f->rax & ~0xffull) | inb(port);
        else if (size == 2)
            f->rax = (f->rax & ~0xffffull) | inw(port);
        else
            f->rax = inl(port);             /* a 32-bit destination zero-extends */
        break;
    case 0xe6: case 0xe7: case 0xee: case 0xef:
        if (size == 1)
            outb(port, (uint8_t)f->rax);
        else if (size == 2)
            outw(port, (uint16_t)f->rax);
        else
            outl(port, (uint32_t)f->rax);
        break;
    case 0x6c: case 0x6d: {
        uintptr_t di = f->rdi;
        if (size == 1)
            __asm__ volatile("rep insb" : "+D"(di), "+c"(count) : "d"(port) : "memory");
        else if (size == 2)
            __asm__ volatile("rep insw" : "+D"(di), "+c"(count) : "d"(port) : "memory");
        else
            __asm__ volatile("rep insl" : "+D"(di), "+c"(count) : "d"(port) : "memory");
        f->rdi = di;
        break;
    }
    default: {
        uintptr_t si = f->rsi;
        if (size == 1)
            __asm__ volatile("rep outsb" : "+S"(si), "+c"(count) : "d"(port) : "memory");
        else if (size == 2)
            __asm__ volatile("rep outsw" : "+S"(si), "+c"(count) : "d"(port) : "memory");
        else
            __asm__ volatile("rep outsl" : "+S"(si), "+c"(count) : "d"(port) : "memory");
        f->rsi = si;
        break;
    }
    }
    if (rep)
        f->rcx = count;
    f->rip += n;
    return 1;
}
