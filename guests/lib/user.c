/* Ring-3 part of the runtime: start-up, exit, results, heap, pattern, FNV, COM1, PIC. */
#include "jvmm.h"

extern char __heap_start[];
extern irq_handler irq_handlers[16];
extern uintptr_t irq_args[16];
uint64_t rt_halt(uint64_t unused);

static uintptr_t heap_next = (uintptr_t)__heap_start;

void rt_result(int i, uint64_t v) { ((volatile uint64_t *)params->results)[i] = v; }

__attribute__((noreturn)) void rt_exit(int code)
{
    rt_result(RES_STATUS, RES_DONE_MAGIC << 32 | (uint32_t)code);
    outl(0xf4, (uint32_t)code);
    sys_kcall(rt_halt, 0);                /* only reached if nothing handles port 0xf4 */
    __builtin_unreachable();
}

/* Called from rt_user_entry (entry.S), in ring 3. */
__attribute__((noreturn)) void rt_user_start(void)
{
    if (params->magic != JVMM_PARAMS_MAGIC)
        rt_exit(EXIT_NO_PARAMS);
    for (int i = 0; i < 8; i++)
        rt_result(i, 0);
    rt_exit(guest_main());
}

uint64_t arg_or(int i, uint64_t dflt) { return params->args[i] ? params->args[i] : dflt; }

int rt_have_irqchip(void) { return (params->flags & JVMM_FLAG_IRQCHIP) != 0; }

static uintptr_t heap_limit(void)
{
    uint64_t top = ram_size < 0xc0000000u ? ram_size : 0xc0000000u;   /* RAM below the MMIO hole */
    return (uintptr_t)top;
}

size_t rt_heap_avail(size_t align)
{
    uintptr_t p = (heap_next + align - 1) & ~(uintptr_t)(align - 1);
    return p < heap_limit() ? heap_limit() - p : 0;
}

void *rt_alloc(size_t size, size_t align)
{
    uintptr_t p = (heap_next + align - 1) & ~(uintptr_t)(align - 1);
    if (p > heap_limit() || size > heap_limit() - p)
        return NULL;
    heap_next = p + size;
    return memset((void *)p, 0, size);
}

void irq_register(unsigned irq, irq_handler fn, uintptr_t arg)
{
    irq_args[irq] = arg;
    barrier();
    irq_handlers[irq] = fn;
    pic_unmask(irq);
}

void pic_unmask(unsigned irq)
{
    if (irq >= 8) {
        outb(0xa1, inb(0xa1) & ~(1u << (irq - 8)));
        irq = 2;                          /* the cascade input */
    }
    outb(0x21, inb(0x21) & ~(1u << irq));
}

static const char alnum[62] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

void pattern_fill(uint8_t *buf, uint64_t offset, size_t len)
{
    unsigned col = offset % 64;
    unsigned ch = (offset / 64 + col) % 62;
    for (size_t i = 0; i < len; i++) {
        if (col == 63) {
            buf[i] = '\n';
            col = 0;                      /* (line + 1 + 0) % 62 == (line + 63) % 62: ch stays */
        } else {
            buf[i] = alnum[ch];
            ch = ch == 61 ? 0 : ch + 1;
            col++;
        }
    }
}

size_t pattern_mismatch(const uint8_t *buf, uint64_t offset, size_t len)
{
    uint8_t tmp[256];
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof tmp ? len - done : sizeof tmp;
        pattern_fill(tmp, offset + done, n);
        for (size_t i = 0; i < n; i++)
            if (buf[done + i] != tmp[i])
                return done + i;
        done += n;
    }
    return len;
}

uint64_t fnv1a64(uint64_t h, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void uart_init(void)
{
    outb(COM1 + 1, 0x00);                 /* IER: no interrupts */
    outb(COM1 + 3, 0x80);                 /* LCR: DLAB */
    outb(COM1 + 0, 0x01);                 /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);                 /* 8N1 */
    outb(COM1 + 2, 0xc7);                 /* FCR: FIFOs on and cleared, RX trigger 14 */
    outb(COM1 + 4, 0x0b);                 /* MCR: DTR, RTS, OUT2 (gates the IRQ line on a PC) */
}

void uart_putc(uint8_t c)
{
    while (!(inb(COM1 + 5) & 0x20))       /* LSR.THRE */
        cpu_relax();
    outb(COM1, c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc((uint8_t)*s++);
}

void *memset(void *d, int c, size_t n)
{
    void *r = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return r;
}

void *memcpy(void *d, const void *s, size_t n)
{
    void *r = d;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return r;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return p[i] - q[i];
    return 0;
}
