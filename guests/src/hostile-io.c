/* hostile-io: attacks the port and MMIO buses. args[0] selects (bit n = attack n; 0 = 1 to 3):
 *   1 uart   every value to every COM1 register, with LCR.DLAB clear and set
 *   2 ports  out, then in, of 1, 2 and 4 bytes at every port no device claims, from args[4]
 *            (default 0) for args[5] ports (default 65536)
 *   3 mmio   reads and writes of 1, 2, 4 and 8 bytes at addresses nothing claims, below and above
 *            4 GiB, and wrong-width accesses to the virtio-mmio registers of slot 0
 *   4 legacy from every port of the i8042 (0x60-0x64) and of the ACPI power ports (0x600-0x602),
 *            writes of 1, 2 and 4 bytes, args[8] (default 16) values each from xorshift64 seeded
 *            with args[7] (0: a fixed seed), each followed by a read of the same port and width.
 *            Access k is the k-th in that order (i8042 first, ports ascending, widths ascending,
 *            values); the sweep starts at access args[6] (the earlier ones are only counted, their
 *            random values drawn). Some writes must end the VM (a reset pulse, a power-off): w[0]
 *            holds the index of the access under way, so the host can tell which one did.
 * COM1 gets "attack NAME\n" before each. At the end, if slot 0 holds a virtio-console, one line of
 * the test pattern goes through it: the devices still work after all that.
 * Records (lib/hostile.h): uart: w[0] = SCR values that did not read back, w[1] = LSR, w[2] = IIR
 * after re-initialising, w[3] = register writes; ports: w[0] = reads, w[1] = reads that were not
 * all ones, w[2] = the first of those (port | size << 16 | value << 32), w[3] = writes;
 * mmio: w[0] = reads, w[1] = reads not all ones, w[2] = the first of those (address), w[3] =
 * writes, w[4] = wrong-width virtio register accesses that did not read 0 or were not dropped,
 * w[5] = addresses swept; legacy: w[0] = the access under way (the total once done), w[1] = reads
 * that differed from the byte-wise model below, w[2] = the first of those (port | size << 16 |
 * value << 32), w[3] = accesses made. results[0] = pattern lines sent through the console (0 or 1). */
#include "virtio.h"
#include "hostile.h"

#define CONSOLE_ID 3
#define MMIO_HOLE 0xc0000000ull
#define HIGH_RAM 0x100000000ull
#define PDPT 0x2000u                      /* docs/machine.md: the PDPT the VMM built */
#define PTE_PRESENT_RW_USER 0x7ull
#define PDE_2M 0x80ull

enum { A_UART = 1, A_PORTS, A_MMIO, A_LEGACY, A_LAST = A_LEGACY };
static const char *const names[A_LAST + 1] = {[A_UART] = "uart", [A_PORTS] = "ports", [A_MMIO] = "mmio",
                                              [A_LEGACY] = "legacy"};

/* Ports a device answers on this machine (docs/machine.md), in KVM or in jvmm. Writes there would
 * reprogram the interrupt controllers or the timer, reset or stop the VM: the sweep skips any
 * access that touches them. Without --device ata-pio, 0x1f0-0x1f7 are unclaimed and swept. */
static const struct { uint16_t base, len; } claimed[] = {
    {0x20, 2},   /* 8259 master (KVM) */
    {0x40, 4},   /* 8254 PIT (KVM) */
    {0x60, 5},   /* i8042 */
    {0xa0, 2},   /* 8259 slave (KVM) */
    {0xf4, 1},   /* debug exit */
    {0x3f8, 8},  /* COM1 */
    {0x4d0, 2},  /* ELCR (KVM) */
    {0x600, 3},  /* ACPI power ports: sleep control, sleep status, reset */
};

static void set(unsigned attack, int word, uint64_t v) { hostile_record(attack)->w[word] = v; }

static uint64_t ones(unsigned size) { return size == 8 ? ~0ull : (1ull << (8 * size)) - 1; }

static int port_claimed(uint32_t port, unsigned size)
{
    for (unsigned i = 0; i < sizeof claimed / sizeof claimed[0]; i++)
        if (port < claimed[i].base + claimed[i].len && port + size > claimed[i].base)
            return 1;
    return 0;
}

static void port_out(uint16_t port, unsigned size, uint32_t v)
{
    if (size == 1)
        outb(port, v);
    else if (size == 2)
        outw(port, v);
    else
        outl(port, v);
}

static uint32_t port_in(uint16_t port, unsigned size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static int attack_ports(unsigned a)
{
    uint64_t first = params->args[4], count = arg_or(5, 0x10000);
    if (first > 0xffff || count > 0x10000 - first)
        return EXIT_BAD_ARGS;
    uint64_t reads = 0, wrong = 0, first_wrong = 0, writes = 0;
    for (uint32_t port = first; port < first + count; port++) {
        for (unsigned size = 1; size <= 4; size *= 2) {
            if (port_claimed(port, size))
                continue;
            port_out(port, size, port * 0x01010101u ^ 0x5a5a5a5au);
            writes++;
            uint32_t v = port_in(port, size);
            reads++;
            if (v != ones(size)) {
                if (!wrong)
                    first_wrong = port | (uint64_t)size << 16 | (uint64_t)v << 32;
                wrong++;
            }
        }
    }
    set(a, 0, reads);
    set(a, 1, wrong);
    set(a, 2, first_wrong);
    set(a, 3, writes);
    return 0;
}

/* What a PC's 8-bit ports give a read, byte by byte (a wider access is a byte access per port, the
 * lowest port in the lowest byte): the i8042's data port 0 (no key), its status 0x04 (system flag,
 * buffers empty), the power ports 0, anything else all ones (0x61 too, in a wider access: jvmm's
 * i8042 range holds it). */
static uint32_t legacy_expected(uint32_t port, unsigned size)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < size; b++) {
        uint32_t p = port + b, byte = 0xff;
        if (p == 0x60)
            byte = 0x00;
        else if (p == 0x64)
            byte = 0x04;
        else if (p >= 0x600 && p <= 0x602)
            byte = 0x00;
        v |= byte << (8 * b);
    }
    return v;
}

static int attack_legacy(unsigned a)
{
    static const struct { uint16_t base, len; } ranges[2] = {{0x60, 5}, {0x600, 3}};
    uint64_t first = params->args[6], per = arg_or(8, 16);
    uint64_t x = arg_or(7, 0x2545f4914f6cdd1dull);
    if (per > 1024)
        return EXIT_BAD_ARGS;
    uint64_t k = 0, made = 0, wrong = 0;
    for (unsigned r = 0; r < 2; r++) {
        for (uint32_t port = ranges[r].base; port < ranges[r].base + ranges[r].len; port++) {
            for (unsigned size = 1; size <= 4; size *= 2) {
                for (uint64_t n = 0; n < per; n++, k++) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if (k < first)
                        continue;
                    uint32_t v = (uint32_t)(x >> 32);
                    set(a, 0, k);
                    barrier();
                    port_out(port, size, v);
                    uint32_t got = port_in(port, size);
                    made++;
                    /* A 1-byte access to 0x61 is KVM's (its PIT's speaker port, whose bits follow the
                     * timer), not jvmm's: its value is not checked. Wider ones reach jvmm. */
                    int kvms = port == 0x61 && size == 1;
                    if (!kvms && got != legacy_expected(port, size)) {   /* recorded at once: the VM may end */
                        if (!wrong)
                            set(a, 2, port | (uint64_t)size << 16 | (uint64_t)got << 32);
                        set(a, 1, ++wrong);
                    }
                }
            }
        }
    }
    set(a, 0, k);
    set(a, 3, made);
    return 0;
}

static int attack_uart(unsigned a)
{
    uint64_t writes = 0;
    for (unsigned dlab = 0; dlab < 2; dlab++) {
        for (unsigned reg = 0; reg < 8; reg++) {
            for (unsigned v = 0; v < 256; v++) {
                if (reg != 3)
                    outb(COM1 + 3, dlab ? 0x83 : 0x03);
                outb(COM1 + reg, v);
                writes++;
            }
            for (unsigned r = 0; r < 8; r++)
                (void)inb(COM1 + r);
        }
    }
    outb(COM1 + 3, 0x03);                 /* uart_init expects DLAB clear: its first write is to IER */
    uart_init();
    uint64_t scr_wrong = 0;
    for (unsigned v = 0; v < 256; v++) {
        outb(COM1 + 7, v);
        scr_wrong += inb(COM1 + 7) != v;
    }
    set(a, 0, scr_wrong);
    set(a, 1, inb(COM1 + 5));
    set(a, 2, inb(COM1 + 2));
    set(a, 3, writes);
    return 0;
}

/* Maps guest-physical 4 GiB - 4 GiB + 1 GiB 1:1 (2 MiB pages) through a new page directory: the VMM's
 * tables stop at 4 GiB. The PDPT entry was not present, so no TLB entry needs flushing. */
static int map_above_4g(void)
{
    volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)PDPT;
    uint64_t *pd = rt_alloc(4096, 4096);
    if (!pd)
        return EXIT_NO_MEMORY;
    for (unsigned i = 0; i < 512; i++)
        pd[i] = (HIGH_RAM + i * 0x200000ull) | PDE_2M | PTE_PRESENT_RW_USER;
    barrier();
    pdpt[4] = (uintptr_t)pd | PTE_PRESENT_RW_USER;
    return 0;
}

static uint64_t reads, wrong, first_wrong, writes;

static void check(uint64_t addr, uint64_t v, unsigned size)
{
    reads++;
    if (v != ones(size)) {
        if (!wrong)
            first_wrong = addr;
        wrong++;
    }
}

static void sweep_address(uint64_t addr)
{
    check(addr, mmio_read8(addr), 1);
    check(addr, mmio_read16(addr), 2);
    check(addr, mmio_read32(addr), 4);
    check(addr, mmio_read64(addr), 8);
    mmio_write8(addr, 0x5a);
    mmio_write16(addr, 0x5a5a);
    mmio_write32(addr, 0x5a5a5a5a);
    mmio_write64(addr, 0x5a5a5a5a5a5a5a5aull);
    writes += 4;
    check(addr, mmio_read64(addr), 8);
}

static int attack_mmio(unsigned a)
{
    uint64_t targets[20];
    unsigned n = 0;
    unsigned slots = params->virtio_slots;
    if (ram_size < MMIO_HOLE) {
        targets[n++] = ram_size;                          /* the first byte past RAM */
        targets[n++] = ram_size + (1ull << 24);
        targets[n++] = MMIO_HOLE - 0x1000;
    }
    targets[n++] = MMIO_HOLE;
    targets[n++] = 0xcffff000ull;
    if (slots < 19)
        targets[n++] = VIRTIO_MMIO_BASE + slots * VIRTIO_MMIO_SLOT_SIZE;   /* the first empty slot */
    targets[n++] = VIRTIO_MMIO_BASE + 19 * VIRTIO_MMIO_SLOT_SIZE;          /* past the last slot */
    if (slots < 19)                       /* 8 bytes across a page boundary: KVM splits them */
        targets[n++] = VIRTIO_MMIO_BASE + 19 * VIRTIO_MMIO_SLOT_SIZE - 4;
    targets[n++] = 0xe0000000ull;
    targets[n++] = 0xfebff000ull;                         /* below the IOAPIC */
    targets[n++] = 0xfed00000ull;                         /* where a PC has its HPET */
    targets[n++] = 0xfffff000ull;                         /* where a PC has its reset vector */
    if (ram_size <= MMIO_HOLE) {                          /* no RAM above 4 GiB */
        int r = map_above_4g();
        if (r)
            return r;
        targets[n++] = HIGH_RAM;
        targets[n++] = HIGH_RAM + (1ull << 30) - 0x1000;
    }
    for (unsigned i = 0; i < n; i++)
        sweep_address(targets[i]);

    uint64_t odd = 0;
    if (slots > 0) {                      /* registers are 32-bit: narrower and wider accesses */
        uintptr_t base = VIRTIO_MMIO_BASE;
        uint32_t status = mmio_read32(base + VMMIO_STATUS);
        odd += mmio_read8(base + VMMIO_MAGIC) != 0;
        odd += mmio_read16(base + VMMIO_MAGIC) != 0;
        odd += mmio_read64(base + VMMIO_MAGIC) != 0;
        odd += mmio_read32(base + VMMIO_MAGIC + 2) != 0;   /* misaligned */
        mmio_write8(base + VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
        mmio_write16(base + VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
        mmio_write64(base + VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
        odd += mmio_read32(base + VMMIO_STATUS) != status;
        odd += mmio_read32(base + VMMIO_MAGIC) != VIRTIO_MAGIC;
    }
    set(a, 0, reads);
    set(a, 1, wrong);
    set(a, 2, first_wrong);
    set(a, 3, writes);
    set(a, 4, odd);
    set(a, 5, n);
    return 0;
}

/* One pattern line through the virtio-console in slot 0. */
static int console_line(void)
{
    static struct virtio_dev d;
    static struct virtq q;
    int r = virtio_init(&d, 0, CONSOLE_ID, 0, 0);
    if (!r)
        r = virtq_setup(&d, &q, 1, 16);
    if (!r)
        r = virtio_start(&d);
    uint8_t *line = rt_alloc(64, 64);
    if (r || !line)
        return r ? r : EXIT_NO_MEMORY;
    pattern_fill(line, 0, 64);
    q.desc[0] = (struct virtq_desc){(uintptr_t)line, 64, 0, 0};
    virtq_push(&q, 0);
    virtq_kick(&q);
    uint32_t id, len;
    while (!virtq_pop(&q, &id, &len))
        virtq_wait(&q);
    return id == 0 ? 0 : EXIT_VIRTIO_USED;
}

int guest_main(void)
{
    hostile_clear_records();
    /* 0: uart, ports and mmio; legacy ends the VM, so only when asked for. */
    uint64_t mask = params->args[0] ? params->args[0] : ((2ull << A_MMIO) - 1) & ~1ull;
    if (mask & ~(((2ull << A_LAST) - 1) & ~1ull))
        return EXIT_BAD_ARGS;
    uart_init();
    for (unsigned a = A_UART; a <= A_LAST; a++) {
        if (!(mask & (1ull << a)))
            continue;
        uart_puts("attack ");
        uart_puts(names[a]);
        uart_putc('\n');
        int r = a == A_UART ? attack_uart(a) : a == A_PORTS ? attack_ports(a)
                : a == A_MMIO ? attack_mmio(a) : attack_legacy(a);
        if (r)
            return r;
        hostile_done(a);
        rt_result(1, mask);
    }
    if (params->virtio_slots > 0 &&
        mmio_read32(VIRTIO_MMIO_BASE + VMMIO_DEVICE_ID) == CONSOLE_ID) {
        int r = console_line();
        if (r)
            return r;
        rt_result(0, 1);
    }
    uart_puts("hostile-io done\n");
    return EXIT_OK;
}
