/*
 * The multiboot guest: checks the state a Multiboot (v1) loader must leave, reads the information
 * structure (memory sizes, memory map, command line, module 0), prints a summary on COM1 and exits
 * through the debug-exit port 0xf4 with 0 when every check passed (QEMU and jvmm then exit with
 * status 1, as kvm-unit-tests' exit(0) does), otherwise with bits 0-5 of the failed mask and bit 6
 * for any later check (the exit status keeps only 7 bits; the "checks:" line has the whole mask).
 * With the word "devices" on its command line it also checks QEMU's compatibility devices the way
 * kvm-unit-tests uses them: fw_cfg's signature, RAM size and CPU count, and the ACPI PM timer at
 * the port the FADT names, read until it advances. With the word "s3" (after every check passed) it
 * suspends to RAM as kvm-unit-tests' s3 does: the waking vector in the FACS the FADT names, RTC_EN,
 * an RTC alarm at the next second, SLP_TYP 1 | SLP_EN to PM1a_CNT; the code at the waking vector
 * (entry.S) exits with 0 when PM1_STS says the RTC woke the machine.
 * The host tests compare the summary with what they loaded (vmm-core MultibootGuestTest without
 * devices, vmm-machine MultibootMachineTest with them).
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
#define FAIL_FWCFG (1u << 7)       /* fw_cfg's signature, RAM size or CPU count is wrong */
#define FAIL_PMTIMER (1u << 8)     /* no FADT, no PM_TMR_BLK, or the timer does not advance */
#define FAIL_S3 (1u << 9)          /* no FACS or PM1 blocks, or the machine did not suspend */

#define S3_RESUME 0x80000          /* where the resume code goes: CS 0x8000, IP 0 */
#define RTC_INDEX 0x70
#define RTC_DATA 0x71

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05

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
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
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

/* Whether the space-separated command line holds this word. */
static int has_word(const char *line, const char *word)
{
    while (*line) {
        while (*line == ' ')
            line++;
        const char *w = word;
        while (*w && *line == *w) {
            line++;
            w++;
        }
        if (!*w && (*line == ' ' || !*line))
            return 1;
        while (*line && *line != ' ')
            line++;
    }
    return 0;
}

static void fw_cfg_read(uint16_t key, uint8_t *out, int n)
{
    outw(FW_CFG_SELECTOR, key);
    for (int i = 0; i < n; i++)
        out[i] = inb(FW_CFG_DATA);
}

static int same(const uint8_t *a, const char *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != (uint8_t)b[i])
            return 0;
    return 1;
}

/* The FADT through the RSDP in the BIOS area (where kvm-unit-tests looks), its XSDT or RSDT. */
static const uint8_t *find_fadt(void)
{
    const uint8_t *rsdp = 0;
    for (uint32_t a = 0xe0000; a < 0x100000; a += 16)
        if (same((const uint8_t *)a, "RSD PTR ", 8)) {
            rsdp = (const uint8_t *)a;
            break;
        }
    if (!rsdp)
        return 0;
    int xsdt = rsdp[15] >= 2 && *(const uint32_t *)(rsdp + 24);
    const uint8_t *root = (const uint8_t *)(xsdt ? *(const uint32_t *)(rsdp + 24) : *(const uint32_t *)(rsdp + 16));
    if (!root)
        return 0;
    uint32_t length = *(const uint32_t *)(root + 4);
    uint32_t step = xsdt ? 8 : 4;
    for (uint32_t at = 36; at + step <= length; at += step) {
        const uint8_t *table = (const uint8_t *)*(const uint32_t *)(root + at);
        if (table && same(table, "FACP", 4))
            return table;
    }
    return 0;
}

static uint32_t check_devices(const struct mb_info *mbi)
{
    uint32_t failed = 0;
    uint8_t sig[4];
    uint64_t ram = 0;
    uint16_t cpus = 0;
    fw_cfg_read(FW_CFG_SIGNATURE, sig, 4);
    fw_cfg_read(FW_CFG_RAM_SIZE, (uint8_t *)&ram, 8);
    fw_cfg_read(FW_CFG_NB_CPUS, (uint8_t *)&cpus, 2);
    puts("fw_cfg: signature=");
    for (int i = 0; i < 4; i++)
        putc(sig[i] >= 0x20 && sig[i] < 0x7f ? (char)sig[i] : '?');
    puts(" ram=");
    puthex(ram);
    puts(" cpus=");
    putdec(cpus);
    puts("\n");
    /* RAM up to the first hole is the first MiB and mem_upper: fw_cfg's size is that, or a little more
     * where firmware keeps the top for itself (SeaBIOS under QEMU: 128 KiB), or more past the hole. */
    uint64_t low = ((uint64_t)mbi->mem_upper + 1024) * 1024;
    if (!same(sig, "QEMU", 4) || cpus < 1 || ram < low || (low < 0xb0000000u && ram - low > 0x100000))
        failed |= FAIL_FWCFG;

    const uint8_t *fadt = find_fadt();
    uint32_t port = fadt ? *(const uint32_t *)(fadt + 76) : 0;
    uint32_t first = 0, reads = 0;
    int advanced = 0;
    if (port) {
        first = inl((uint16_t)port);
        for (reads = 1; reads < 1000000 && !advanced; reads++)
            advanced = inl((uint16_t)port) != first;
    }
    puts("pm_timer: port=");
    puthex(port);
    puts(advanced ? " advanced\n" : " stuck\n");
    if (!advanced)
        failed |= FAIL_PMTIMER;
    return failed;
}

extern const uint8_t s3_resume_start[], s3_resume_end[], s3_pm1_event[];

static void rtc_write(uint8_t reg, uint8_t v)
{
    outb(RTC_INDEX, reg);
    outb(RTC_DATA, v);
}

static uint8_t rtc_read(uint8_t reg)
{
    outb(RTC_INDEX, reg);
    return inb(RTC_DATA);
}

/* Suspends to RAM; returns only when the machine did not suspend (the resume code exits). */
static uint32_t suspend_to_ram(void)
{
    const uint8_t *fadt = find_fadt();
    uint8_t *facs = fadt ? (uint8_t *)*(const uint32_t *)(fadt + 36) : 0;
    uint32_t event = fadt ? *(const uint32_t *)(fadt + 56) : 0;
    uint32_t control = fadt ? *(const uint32_t *)(fadt + 64) : 0;
    if (!facs || !same(facs, "FACS", 4) || !event || !control) {
        puts("s3: no FACS or PM1 blocks\n");
        return FAIL_S3;
    }
    uint8_t *code = (uint8_t *)S3_RESUME;
    for (const uint8_t *p = s3_resume_start; p < s3_resume_end; p++)
        *code++ = *p;
    *(volatile uint16_t *)(S3_RESUME + (s3_pm1_event - s3_resume_start)) = (uint16_t)event;
    *(volatile uint32_t *)(facs + 12) = S3_RESUME;
    outw((uint16_t)(event + 2), 0x400);           /* PM1_EN: RTC_EN */
    rtc_read(0x0c);                               /* clear register C */
    rtc_write(0x01, 0xc0);                        /* alarm: any second, minute, hour */
    rtc_write(0x03, 0xc0);
    rtc_write(0x05, 0xc0);
    rtc_write(0x0b, rtc_read(0x0b) | 0x20);       /* AIE */
    puts("s3: suspending\n");
    outw((uint16_t)control, 0x2400);              /* SLP_TYP 1 | SLP_EN */
    for (volatile uint32_t spin = 0; spin < 100000000u; spin++)
        ;
    puts("s3: did not suspend\n");
    return FAIL_S3;
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
    if ((mbi->flags & MBI_CMDLINE) && has_word((const char *)mbi->cmdline, "devices"))
        failed |= check_devices(mbi);
    if (!failed && (mbi->flags & MBI_CMDLINE) && has_word((const char *)mbi->cmdline, "s3"))
        failed |= suspend_to_ram();
    puts("checks: ");
    puthex(failed);
    puts("\n");
    outl(DEBUG_EXIT, (failed & 0x7f) | (failed >> 7 ? 0x40 : 0));
}
