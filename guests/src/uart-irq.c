/* uart-irq: the bytes of uart-poll, interrupt-driven: 16550 FIFO on, IER.ETBEI, and on each
 * THR-empty interrupt (IRQ 4) the handler refills up to 64 bytes (the FIFO depth) with one rep outsb.
 * Needs the in-kernel irqchip. The main loop sleeps in sti; hlt (sys_wait_irq) until the last
 * THR-empty interrupt says the FIFO drained. results[0] = bytes written, [4] = interrupts. */
#include "jvmm.h"

#define COM1_IRQ 4
#define FIFO_DEPTH 64

/* The pattern repeats every PATTERN_PERIOD bytes; one extra FIFO load past the end lets every
 * refill be a single contiguous rep outsb. */
static uint8_t pattern[PATTERN_PERIOD + FIFO_DEPTH];
static uint64_t tx_total, tx_sent;
static unsigned tx_pos;                   /* tx_sent % PATTERN_PERIOD */
static volatile int tx_done;

KERNEL static void refill(void)
{
    uint64_t n = tx_total - tx_sent;
    if (n == 0) {
        outb(COM1 + 1, 0);                /* IER: done, no more THR-empty interrupts */
        tx_done = 1;
        return;
    }
    if (n > FIFO_DEPTH)
        n = FIFO_DEPTH;
    outsb_rep(COM1, pattern + tx_pos, n);
    tx_sent += n;
    tx_pos += n;
    if (tx_pos >= PATTERN_PERIOD)
        tx_pos -= PATTERN_PERIOD;
}

KERNEL static void uart_isr(uintptr_t unused)
{
    (void)unused;
    uint8_t iir = inb(COM1 + 2);
    if (iir & 1)                          /* nothing pending */
        return;
    switch (iir & 0x0e) {
    case 0x02:                            /* THR empty (reading IIR cleared it) */
        refill();
        break;
    case 0x06:                            /* line status */
        inb(COM1 + 5);
        break;
    case 0x04:                            /* received data / timeout: drop it */
    case 0x0c:
        inb(COM1);
        break;
    default:                              /* modem status */
        inb(COM1 + 6);
        break;
    }
}

/* Ring 0, interrupts off: enable the interrupt and load the first 64 bytes, so a device that does
 * not raise THR-empty when ETBEI is set still gets going, and the handler cannot run in between. */
KERNEL static uint64_t start_tx(uint64_t unused)
{
    (void)unused;
    outb(COM1 + 1, 0x02);                 /* IER.ETBEI */
    refill();
    return 0;
}

int guest_main(void)
{
    if (!rt_have_irqchip())
        return EXIT_NO_IRQCHIP;
    tx_total = arg_or(0, 65536);
    pattern_fill(pattern, 0, sizeof pattern);
    uart_init();
    irq_register(COM1_IRQ, uart_isr, 0);
    sys_kcall(start_tx, 0);
    for (;;) {
        uint32_t seen = irq_events;
        if (tx_done)
            break;
        sys_wait_irq(seen);
    }
    rt_result(0, tx_sent);
    rt_result(RES_IRQS, irq_events);
    return EXIT_OK;
}
