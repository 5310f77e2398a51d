/*
 * The multiboot guest: checks the state a Multiboot (v1) loader must leave, reads the information
 * structure (memory sizes, memory map, command line, module 0), prints a summary on COM1 and exits
 * through the debug-exit port 0xf4 with a bit mask of the checks that failed (0: all passed).
 * The host test compares the summary with what it loaded (vmm-core MultibootGuestTest).
 */
#include <stdint.h>

#define BOOTLOADER_MAGIC 0x2BADB002u
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

/* Information structure flags a loader sets for the fields below. */
#define MBI_MEMORY (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

/* The checks; a failed one sets its bit in the exit code. */
#define FAIL_MAGIC (1u << 0)       /* EAX is not 0x2BADB002 */
#define FAIL_CR0 (1u << 1)         /* not protected mode, or paging on */
#define FAIL_EFLAGS (1u << 2)      /* interrupts enabled, or virtual-8086 mode */
#define FAIL_SEGMENTS (1u << 3)    /* CS/DS not the loader's flat 0x08/0x10 */
#define FAIL_FLAGS (1u << 4)       /* a field this guest needs is missing */
#define FAIL_MODULE (1u << 5)      /* not exactly one module, or a bad one */
#define FAIL_MMAP (1u << 6)        /* the map does not agree with mem_upper */

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_module {
    uint32_t start, end, string, reserved;
};

struct mb_mmap {
    uint32_t size;
    uint64_t base, length;
    uint32_t type;
} __attribute__((packed));

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

static void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

static void puthex(uint64_t v)
{
    puts("0x");
    int started = 0;
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 0xf;
        if (d || started || shift == 0) {
            putc((char)(d < 10 ? '0' + d : 'a' + d - 10));
            started = 1;
        }
    }
}

static void putdec(uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc(digits[--n]);
}

/* FNV-1a, 32 bits (the host computes the same over the module it passed). */
static uint32_t fnv1a(const uint8_t *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

void mb_main(uint32_t magic, const struct mb_info *mbi, uint32_t eflags, uint32_t cs, uint32_t ds)
{
    uint32_t failed = 0;
    uint32_t cr0 = read_cr0();
    if (magic != BOOTLOADER_MAGIC)
        failed |= FAIL_MAGIC;
    if (!(cr0 & 1) || (cr0 & 0x80000000u))
        failed |= FAIL_CR0;
    if (eflags & ((1u << 9) | (1u << 17)))
        failed |= FAIL_EFLAGS;
    if ((cs & 0xffff) != 0x08 || (ds & 0xffff) != 0x10)
        failed |= FAIL_SEGMENTS;

    outb(COM1 + 1, 0x00); /* IER: no interrupts */
    outb(COM1 + 3, 0x03); /* 8N1 */
    puts("multiboot: magic=");
    puthex(magic);
    puts(" cr0=");
    puthex(cr0);
    puts(" eflags=");
    puthex(eflags);
    puts("\n");
    if (failed & FAIL_MAGIC) {
        puts("checks: ");
        puthex(failed);
        puts("\n");
        outl(DEBUG_EXIT, failed);
        return;
    }

    uint32_t need = MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP;
    if ((mbi->flags & need) != need)
        failed |= FAIL_FLAGS;
    puts("flags=");
    puthex(mbi->flags);
    puts(" mem_lower=");
    putdec(mbi->mem_lower);
    puts(" mem_upper=");
    putdec(mbi->mem_upper);
    puts("\n");

    if (mbi->flags & MBI_MMAP) {
        int upper_found = 0;
        for (uint32_t at = mbi->mmap_addr; at < mbi->mmap_addr + mbi->mmap_length;) {
            const struct mb_mmap *e = (const struct mb_mmap *)at;
            puts("mmap: base=");
            puthex(e->base);
            puts(" length=");
            puthex(e->length);
            puts(" type=");
            putdec(e->type);
            puts("\n");
            if (e->type == 1 && e->base == 0x100000 && e->length == (uint64_t)mbi->mem_upper * 1024)
                upper_found = 1;
            at += e->size + 4;
        }
        if (!upper_found)
            failed |= FAIL_MMAP;
    }
    if (mbi->flags & MBI_CMDLINE) {
        puts("cmdline: ");
        puts((const char *)mbi->cmdline);
        puts("\n");
    }
    if (mbi->flags & MBI_LOADER_NAME) {
        puts("loader: ");
        puts((const char *)mbi->boot_loader_name);
        puts("\n");
    }
    if ((mbi->flags & MBI_MODS) && mbi->mods_count == 1) {
        const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
        if (m->end < m->start || (m->start & 0xfff))
            failed |= FAIL_MODULE;
        uint32_t size = m->end >= m->start ? m->end - m->start : 0;
        puts("module: start=");
        puthex(m->start);
        puts(" size=");
        putdec(size);
        puts(" fnv=");
        puthex(fnv1a((const uint8_t *)m->start, size));
        puts(" string=");
        puts((const char *)m->string);
        puts("\n");
    } else {
        failed |= FAIL_MODULE;
    }
    puts("checks: ");
    puthex(failed);
    puts("\n");
    outl(DEBUG_EXIT, failed);
}
