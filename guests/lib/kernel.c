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
