/*
 * run-guest: a small C harness that runs a jvmm raw long-mode guest on /dev/kvm directly, with the
 * machine of docs/machine.md, so the built-in guests can be tested without the Java VMM.
 *
 *   run-guest [--mem MIB] [--no-irqchip] [--arg N=V]... [--ata FILE]
 *             [--virtio console|rng|blk:FILE]... GUEST.bin
 *
 * Devices: COM1 (THR bytes to stdout, LSR always THRE|TEMT, THR-empty interrupts on IRQ 4), debug exit
 * on port 0xf4, i8042 reset, ata-pio at 0x1f0 (READ/WRITE SECTORS, FLUSH CACHE; no IDENTIFY), and
 * virtio-mmio console/rng/blk in slots 0.. (GSI 5 + slot), processed synchronously on QueueNotify,
 * offering VERSION_1, EVENT_IDX and INDIRECT_DESC. At the end it prints the exit code, results[0..7]
 * and exit counters on stderr, and exits with (v << 1) | 1 like `jvmm run`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOAD_ADDR 0x200000
#define PARAMS 0x600
#define MMIO_BASE 0xd0000000u
#define MAX_SLOTS 8

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("run-guest: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(125);
}

static int vm_fd;
static uint8_t *ram;
static uint64_t ram_size;
static int irqchip = 1;
static uint64_t n_pio, n_mmio, n_irqs;

static void *gpa(uint64_t addr, uint64_t len)
{
    if (addr > ram_size || len > ram_size - addr)
        die("guest address %#llx+%#llx outside RAM", (unsigned long long)addr, (unsigned long long)len);
    return ram + addr;
}

static void irq_pulse(int gsi)
{
    if (!irqchip)
        return;
    struct kvm_irq_level l = {.irq = gsi, .level = 1};
    if (ioctl(vm_fd, KVM_IRQ_LINE, &l) < 0)
        die("KVM_IRQ_LINE: %s", strerror(errno));
    l.level = 0;
    ioctl(vm_fd, KVM_IRQ_LINE, &l);
    n_irqs++;
}

/* ------------------------------------------------------------------ COM1 */
static uint8_t uart_ier, uart_lcr, uart_mcr, uart_scr, uart_dll, uart_dlm;
static int uart_thre_pending;
static uint64_t uart_bytes;

static void uart_out(unsigned off, uint8_t v)
{
    int dlab = uart_lcr & 0x80;
    switch (off) {
    case 0:
        if (dlab) {
            uart_dll = v;
            break;
        }
        putchar(v);
        uart_bytes++;
        uart_thre_pending = 1;            /* the byte leaves at once: THR empty again */
        if (uart_ier & 2)
            irq_pulse(4);
        break;
    case 1:
        if (dlab) {
            uart_dlm = v;
            break;
        }
        if ((v & 2) && !(uart_ier & 2)) {
            uart_thre_pending = 1;
            uart_ier = v & 0x0f;
            irq_pulse(4);
        }
        uart_ier = v & 0x0f;
        break;
    case 3: uart_lcr = v; break;
    case 4: uart_mcr = v; break;
    case 7: uart_scr = v; break;
    default: break;                       /* FCR and the read-only ones */
    }
}

static uint8_t uart_in(unsigned off)
{
    int dlab = uart_lcr & 0x80;
    switch (off) {
    case 0: return dlab ? uart_dll : 0;
    case 1: return dlab ? uart_dlm : uart_ier;
    case 2:
        if ((uart_ier & 2) && uart_thre_pending) {
            uart_thre_pending = 0;
            return 0xc2;
        }
        return 0xc1;
    case 3: return uart_lcr;
    case 4: return uart_mcr;
    case 5: return 0x60;                  /* THRE | TEMT */
    case 6: return 0xb0;
    default: return uart_scr;
    }
}

/* ------------------------------------------------------------------ ata-pio */
static int ata_fd = -1;
static uint8_t ata_reg[8], ata_status = 0x50, ata_buf[512];
static unsigned ata_pos = 512, ata_left, ata_cmd;
static uint32_t ata_lba;

static void ata_next_sector(void)
{
    if (ata_left == 0) {
        ata_status = 0x50;
        ata_pos = 512;
        return;
    }
    if (ata_cmd == 0x20 && pread(ata_fd, ata_buf, 512, (off_t)ata_lba * 512) != 512) {
        ata_status = 0x51;                /* DRDY | ERR */
        ata_left = 0;
        return;
    }
    ata_pos = 0;
    ata_status = 0x58;                    /* DRDY | DSC | DRQ */
}

static void ata_out(unsigned off, uint32_t v, unsigned size)
{
    if (off == 0) {                       /* data port, WRITE SECTORS */
        if (ata_cmd != 0x30 || ata_pos >= 512)
            return;
        memcpy(ata_buf + ata_pos, &v, size);
        ata_pos += size;
        if (ata_pos == 512) {
            if (pwrite(ata_fd, ata_buf, 512, (off_t)ata_lba * 512) != 512)
                ata_status = 0x51, ata_left = 1;
            ata_lba++;
            ata_left--;
            ata_next_sector();
        }
        return;
    }
    ata_reg[off] = (uint8_t)v;
    if (off != 7)
        return;
    ata_lba = ata_reg[3] | ata_reg[4] << 8 | ata_reg[5] << 16 | (uint32_t)(ata_reg[6] & 0x0f) << 24;
    ata_left = ata_reg[2] ? ata_reg[2] : 256;
    ata_cmd = v;
    if (v == 0x20 || v == 0x30) {
        ata_next_sector();
        if (v == 0x30 && ata_status == 0x58)
            ata_pos = 0;
    } else if (v == 0xe7) {
        fsync(ata_fd);
        ata_status = 0x50;
    } else {
        ata_status = 0x51;
    }
}

static void ata_in_data(uint8_t *dst, unsigned bytes)
{
    while (bytes) {
        if (ata_cmd != 0x20 || ata_pos >= 512) {
            memset(dst, 0xff, bytes);
            return;
        }
        unsigned n = 512 - ata_pos < bytes ? 512 - ata_pos : bytes;
        memcpy(dst, ata_buf + ata_pos, n);
        dst += n, bytes -= n, ata_pos += n;
        if (ata_pos == 512) {
            ata_lba++;
            ata_left--;
            ata_next_sector();
        }
    }
}

/* ------------------------------------------------------------------ virtio-mmio */
struct vq {
    uint32_t num, ready;
    uint64_t desc, avail, used;
    uint16_t last_avail, used_idx;
};

struct vdev {
    uint32_t id;
    uint32_t status, dfsel, drvfsel, qsel, isr;
    uint64_t offered, drvfeat;
    struct vq q[2];
    unsigned nq;
    int fd;
    uint64_t capacity;
    uint64_t notifies, used, bytes;
};
static struct vdev vdevs[MAX_SLOTS];
static unsigned nvdev;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static void vdev_reset(struct vdev *d)
{
    d->status = d->dfsel = d->drvfsel = d->qsel = d->isr = 0;
    d->drvfeat = 0;
    memset(d->q, 0, sizeof d->q);
}

struct seg {
    uint64_t addr;
    uint32_t len;
    int write;
};

/* Collects a descriptor chain (direct or through one indirect table). Returns the count. */
static unsigned walk(struct vq *q, uint16_t head, struct seg *segs, unsigned max)
{
    uint64_t table = q->desc;
    uint32_t size = q->num;
    unsigned n = 0, hops = 0;
    uint16_t i = head;
    for (;;) {
        if (i >= size || ++hops > size + 1)
            die("virtio: bad descriptor index %u", i);
        uint8_t *p = gpa(table + 16ull * i, 16);
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        memcpy(&addr, p, 8), memcpy(&len, p + 8, 4), memcpy(&flags, p + 12, 2), memcpy(&next, p + 14, 2);
        if (flags & 4) {                  /* INDIRECT */
            if (table != q->desc)
                die("virtio: nested indirect table");
            table = addr, size = len / 16, i = 0, hops = 0;
            continue;
        }
        if (n == max)
            die("virtio: chain too long");
        gpa(addr, len);
        segs[n++] = (struct seg){addr, len, (flags & 2) != 0};
        if (!(flags & 1))
            return n;
        i = next;
    }
}

static uint32_t process(struct vdev *d, unsigned qi, struct seg *s, unsigned n)
{
    uint32_t written = 0;
    if (d->id == 3) {                     /* console: transmitq prints, receiveq has nothing */
        for (unsigned k = 0; k < n; k++)
            if (!s[k].write) {
                fwrite(gpa(s[k].addr, s[k].len), 1, s[k].len, stdout);
                d->bytes += s[k].len;
            }
        (void)qi;
        return 0;
    }
    if (d->id == 4) {                     /* rng: xorshift64, never all zero */
        for (unsigned k = 0; k < n; k++)
            if (s[k].write) {
                uint8_t *p = gpa(s[k].addr, s[k].len);
                for (uint32_t j = 0; j < s[k].len; j++) {
                    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
                    p[j] = (uint8_t)rng_state;
                }
                written += s[k].len;
                d->bytes += s[k].len;
            }
        return written;
    }
    /* blk: header, data..., status */
    if (n < 2 || s[0].write || s[0].len < 16 || !s[n - 1].write || s[n - 1].len < 1)
        die("virtio-blk: malformed request");
    uint32_t type;
    uint64_t sector;
    memcpy(&type, gpa(s[0].addr, 4), 4);
    memcpy(&sector, gpa(s[0].addr + 8, 8), 8);
    uint8_t status = 0;
    off_t off = (off_t)sector * 512;
    for (unsigned k = 1; k + 1 < n; k++) {
        uint8_t *p = gpa(s[k].addr, s[k].len);
        if (type == 0 && s[k].write) {
            if (off + s[k].len > (off_t)(d->capacity * 512) || pread(d->fd, p, s[k].len, off) != s[k].len)
                status = 1;
            written += s[k].len;
        } else if (type == 1 && !s[k].write) {
            if (off + s[k].len > (off_t)(d->capacity * 512) || pwrite(d->fd, p, s[k].len, off) != s[k].len)
                status = 1;
        } else {
            status = 1;
        }
        off += s[k].len;
        d->bytes += s[k].len;
    }
    if (type == 4)
        status = fsync(d->fd) == 0 ? 0 : 1;
    else if (type != 0 && type != 1)
        status = 2;
    *(uint8_t *)gpa(s[n - 1].addr, 1) = status;
    return written + 1;
}

static int need_event(uint16_t event, uint16_t new, uint16_t old)
{
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

static void notify(struct vdev *d, unsigned slot, unsigned qi)
{
    d->notifies++;
    if (qi >= d->nq || !d->q[qi].ready || !(d->status & 4))
        return;
    struct vq *q = &d->q[qi];
    int event_idx = (d->drvfeat >> 29) & 1;
    volatile uint16_t *avail = gpa(q->avail, 6 + 2 * q->num);
    volatile uint16_t *used = gpa(q->used, 6 + 8 * q->num);
    uint16_t old_used = q->used_idx;
    for (;;) {
        uint16_t aidx = avail[1];
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (q->last_avail == aidx) {
            if (event_idx) {              /* avail_event: tell me about the next one */
                used[2 + 4 * q->num] = aidx;
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                if (avail[1] != aidx)
                    continue;
            }
            break;
        }
        if ((uint16_t)(aidx - q->last_avail) > q->num)
            die("virtio: avail index ran %u ahead", (uint16_t)(aidx - q->last_avail));
        uint16_t head = avail[2 + q->last_avail % q->num];
        q->last_avail++;
        struct seg segs[64];
        unsigned n = walk(q, head, segs, 64);
        uint32_t len = process(d, qi, segs, n);
        volatile uint32_t *elem = (volatile uint32_t *)(used + 2) + 2 * (q->used_idx % q->num);
        elem[0] = head;
        elem[1] = len;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        used[1] = ++q->used_idx;
        d->used++;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int irq;
    if (q->used_idx == old_used)
        irq = 0;
    else if (event_idx)
        irq = need_event(avail[2 + q->num], q->used_idx, old_used);
    else
        irq = !(avail[0] & 1);
    if (irq) {
        d->isr |= 1;
        irq_pulse(5 + slot);
    }
}

static uint32_t vread(struct vdev *d, unsigned off)
{
    switch (off) {
    case 0x000: return 0x74726976;
    case 0x004: return 2;
    case 0x008: return d->id;
    case 0x00c: return 0x4d4d564a;
    case 0x010: return d->dfsel == 0 ? (uint32_t)d->offered : d->dfsel == 1 ? (uint32_t)(d->offered >> 32) : 0;
    case 0x034: return d->qsel < d->nq ? 256 : 0;
    case 0x044: return d->qsel < d->nq ? d->q[d->qsel].ready : 0;
    case 0x060: return d->isr;
    case 0x070: return d->status;
    case 0x0fc: return 0;
    case 0x100: return d->id == 2 ? (uint32_t)d->capacity : 0;
    case 0x104: return d->id == 2 ? (uint32_t)(d->capacity >> 32) : 0;
    default: return 0;
    }
}

static void vwrite(struct vdev *d, unsigned slot, unsigned off, uint32_t v)
{
    struct vq *q = d->qsel < d->nq ? &d->q[d->qsel] : NULL;
    switch (off) {
    case 0x014: d->dfsel = v; break;
    case 0x024: d->drvfsel = v; break;
    case 0x020:
        if (d->drvfsel < 2)
            d->drvfeat = (d->drvfeat & ~(0xffffffffull << (32 * d->drvfsel))) | (uint64_t)v << (32 * d->drvfsel);
        break;
    case 0x030: d->qsel = v; break;
    case 0x038: if (q) q->num = v; break;
    case 0x044: if (q) q->ready = v & 1; break;
    case 0x050: notify(d, slot, v); break;
    case 0x064: d->isr &= ~v; break;
    case 0x070:
        if (v == 0) {
            vdev_reset(d);
            break;
        }
        if ((v & 8) && !(d->status & 8) && (d->drvfeat & ~d->offered))
            v &= ~8u;                     /* refuse features we did not offer */
        d->status = v;
        break;
    case 0x080: if (q) q->desc = (q->desc & ~0xffffffffull) | v; break;
    case 0x084: if (q) q->desc = (q->desc & 0xffffffffull) | (uint64_t)v << 32; break;
    case 0x090: if (q) q->avail = (q->avail & ~0xffffffffull) | v; break;
    case 0x094: if (q) q->avail = (q->avail & 0xffffffffull) | (uint64_t)v << 32; break;
    case 0x0a0: if (q) q->used = (q->used & ~0xffffffffull) | v; break;
    case 0x0a4: if (q) q->used = (q->used & 0xffffffffull) | (uint64_t)v << 32; break;
    default: break;
    }
}

/* ------------------------------------------------------------------ machine */
static void setup_memory(const char *bin, uint64_t args[16])
{
    ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    struct kvm_userspace_memory_region r = {.slot = 0, .guest_phys_addr = 0, .memory_size = ram_size,
                                            .userspace_addr = (uintptr_t)ram};
    if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

    uint64_t *gdt = (uint64_t *)(ram + 0x500);
    gdt[0] = 0, gdt[1] = 0x00af9a000000ffffull, gdt[2] = 0x00cf92000000ffffull;
    uint64_t *pml4 = (uint64_t *)(ram + 0x1000), *pdpt = (uint64_t *)(ram + 0x2000);
    pml4[0] = 0x2000 | 7;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (0x3000 + i * 0x1000) | 7;
        uint64_t *pd = (uint64_t *)(ram + 0x3000 + i * 0x1000);
        for (int j = 0; j < 512; j++)
            pd[j] = ((uint64_t)i << 30) + ((uint64_t)j << 21) + 0x87;   /* P RW US PS */
    }
    uint8_t *p = ram + PARAMS;
    uint32_t magic = 0x4d4d564a, version = 1, ncpu = 1, nslot = nvdev;
    uint64_t flags = irqchip ? 1 : 0;
    memcpy(p, &magic, 4), memcpy(p + 4, &version, 4), memcpy(p + 8, &ram_size, 8);
    memcpy(p + 0x10, &ncpu, 4), memcpy(p + 0x14, &nslot, 4), memcpy(p + 0x18, &flags, 8);
    memcpy(p + 0x20, args, 16 * 8);

    int fd = open(bin, O_RDONLY);
    if (fd < 0)
        die("%s: %s", bin, strerror(errno));
    struct stat st;
    fstat(fd, &st);
    if (st.st_size > (off_t)(ram_size - LOAD_ADDR) || read(fd, ram + LOAD_ADDR, st.st_size) != st.st_size)
        die("%s: cannot load", bin);
    close(fd);
}

static void setup_vcpu(int kvm, int vcpu)
{
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + 256 * sizeof(struct kvm_cpuid_entry2));
    cpuid->nent = 256;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 || ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
        die("CPUID: %s", strerror(errno));
    free(cpuid);

    struct kvm_sregs s;
    if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
        die("KVM_GET_SREGS: %s", strerror(errno));
    struct kvm_segment code = {.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 11, .present = 1,
                               .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1};
    struct kvm_segment data = code;
    data.selector = 0x10, data.type = 3, data.l = 0, data.db = 1;
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    s.gdt.base = 0x500, s.gdt.limit = 23;
    s.cr0 = 0x80000011, s.cr3 = 0x1000, s.cr4 = 0x20, s.efer = 0x500;
    if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
        die("KVM_SET_SREGS: %s", strerror(errno));
    struct kvm_regs r = {.rip = LOAD_ADDR, .rsp = 0x1ff000, .rflags = 2, .rdi = ram_size, .rsi = 0, .rdx = PARAMS};
    if (ioctl(vcpu, KVM_SET_REGS, &r) < 0)
        die("KVM_SET_REGS: %s", strerror(errno));
}

static void report(const char *why, long code, double secs)
{
    fflush(stdout);
    fprintf(stderr, "run-guest: %s", why);
    if (code >= 0)
        fprintf(stderr, " %#lx", code);
    fprintf(stderr, " after %.3f s; exits: %llu pio, %llu mmio; %llu interrupts raised\n", secs,
            (unsigned long long)n_pio, (unsigned long long)n_mmio, (unsigned long long)n_irqs);
    uint64_t res[8];
    memcpy(res, ram + PARAMS + 0xa0, sizeof res);
    for (int i = 0; i < 8; i++)
        fprintf(stderr, "run-guest: results[%d] = %#llx (%llu)\n", i, (unsigned long long)res[i],
                (unsigned long long)res[i]);
    if (uart_bytes)
        fprintf(stderr, "run-guest: COM1 bytes: %llu\n", (unsigned long long)uart_bytes);
    for (unsigned i = 0; i < nvdev; i++)
        fprintf(stderr, "run-guest: virtio slot %u (id %u): %llu notifies, %llu used, %llu bytes, features %#llx\n",
                i, vdevs[i].id, (unsigned long long)vdevs[i].notifies, (unsigned long long)vdevs[i].used,
                (unsigned long long)vdevs[i].bytes, (unsigned long long)vdevs[i].drvfeat);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t args[16] = {0};
    const char *bin = NULL;
    ram_size = 64ull << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mem") && i + 1 < argc) {
            ram_size = strtoull(argv[++i], NULL, 0) << 20;
        } else if (!strcmp(argv[i], "--no-irqchip")) {
            irqchip = 0;
        } else if (!strcmp(argv[i], "--arg") && i + 1 < argc) {
            char *eq;
            unsigned long n = strtoul(argv[++i], &eq, 0);
            if (*eq != '=' || n >= 16)
                die("--arg N=V with N < 16");
            args[n] = strtoull(eq + 1, NULL, 0);
        } else if (!strcmp(argv[i], "--ata") && i + 1 < argc) {
            if ((ata_fd = open(argv[++i], O_RDWR)) < 0)
                die("%s: %s", argv[i], strerror(errno));
        } else if (!strcmp(argv[i], "--virtio") && i + 1 < argc) {
            const char *v = argv[++i];
            if (nvdev == MAX_SLOTS)
                die("too many virtio devices");
            struct vdev *d = &vdevs[nvdev++];
            d->offered = 1ull << 32 | 1ull << 29 | 1ull << 28;
            if (!strcmp(v, "console")) {
                d->id = 3, d->nq = 2;
            } else if (!strcmp(v, "rng")) {
                d->id = 4, d->nq = 1;
            } else if (!strncmp(v, "blk:", 4)) {
                d->id = 2, d->nq = 1;
                d->offered |= 1ull << 9;
                if ((d->fd = open(v + 4, O_RDWR)) < 0)
                    die("%s: %s", v + 4, strerror(errno));
                struct stat st;
                fstat(d->fd, &st);
                d->capacity = st.st_size / 512;
            } else {
                die("unknown virtio device %s", v);
            }
        } else if (argv[i][0] != '-' && !bin) {
            bin = argv[i];
        } else {
            die("usage: run-guest [--mem MIB] [--no-irqchip] [--arg N=V]... [--ata FILE] "
                "[--virtio console|rng|blk:FILE]... GUEST.bin");
        }
    }
    if (!bin)
        die("no guest binary given");
    if (ram_size < (4ull << 20) || ram_size > (3ull << 30))
        die("--mem must be between 4 and 3072 MiB");

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm: %s", strerror(errno));
    if ((vm_fd = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
        die("KVM_CREATE_VM: %s", strerror(errno));
    if (irqchip && ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
    setup_memory(bin, args);
    int vcpu = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU: %s", strerror(errno));
    setup_vcpu(kvm, vcpu);
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run: %s", strerror(errno));

    double t0 = now();
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                continue;
            die("KVM_RUN: %s", strerror(errno));
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            n_pio++;
            uint8_t *data = (uint8_t *)run + run->io.data_offset;
            unsigned port = run->io.port, size = run->io.size;
            for (unsigned k = 0; k < run->io.count; k++, data += size) {
                uint32_t v = 0;
                if (run->io.direction == KVM_EXIT_IO_OUT) {
                    memcpy(&v, data, size);
                    if (port == 0xf4) {
                        report("debug exit", v, now() - t0);
                        return (int)((v << 1) | 1) & 0xff;
                    } else if (port == 0x64 && (v & 0xff) == 0xfe) {
                        report("i8042 reset", -1, now() - t0);
                        return 0;
                    } else if (port >= 0x3f8 && port <= 0x3ff) {
                        uart_out(port - 0x3f8, (uint8_t)v);
                    } else if (port >= 0x1f0 && port <= 0x1f7 && ata_fd >= 0) {
                        ata_out(port - 0x1f0, v, size);
                    }
                } else {
                    if (port >= 0x3f8 && port <= 0x3ff) {
                        v = uart_in(port - 0x3f8);
                    } else if (port == 0x1f0 && ata_fd >= 0) {
                        ata_in_data(data, size * (run->io.count - k));
                        k = run->io.count;
                        break;
                    } else if (port >= 0x1f1 && port <= 0x1f7 && ata_fd >= 0) {
                        v = port == 0x1f7 ? ata_status : ata_reg[port - 0x1f0];
                    } else {
                        v = 0xffffffff;
                    }
                    memcpy(data, &v, size);
                }
            }
            break;
        }
        case KVM_EXIT_MMIO: {
            n_mmio++;
            uint64_t a = run->mmio.phys_addr;
            unsigned slot = (a - MMIO_BASE) / 0x1000;
            if (a < MMIO_BASE || slot >= nvdev) {
                if (!run->mmio.is_write)
                    memset(run->mmio.data, 0xff, 8);
                break;
            }
            unsigned off = a & 0xfff;
            if (run->mmio.is_write) {
                uint32_t v = 0;
                memcpy(&v, run->mmio.data, run->mmio.len < 4 ? run->mmio.len : 4);
                vwrite(&vdevs[slot], slot, off, v);
            } else {
                uint32_t v = vread(&vdevs[slot], off & ~3u) >> (8 * (off & 3));
                memcpy(run->mmio.data, &v, run->mmio.len < 4 ? run->mmio.len : 4);
            }
            break;
        }
        case KVM_EXIT_HLT:
            report("HLT", -1, now() - t0);
            return 124;
        case KVM_EXIT_SHUTDOWN:
            report("triple fault (shutdown)", -1, now() - t0);
            return 126;
        case KVM_EXIT_INTERNAL_ERROR:
            report("internal error, suberror", run->internal.suberror, now() - t0);
            return 126;
        case KVM_EXIT_FAIL_ENTRY:
            report("entry failure", (long)run->fail_entry.hardware_entry_failure_reason, now() - t0);
            return 126;
        default:
            report("unhandled exit reason", run->exit_reason, now() - t0);
            return 126;
        }
    }
}
