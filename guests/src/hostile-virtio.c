/* hostile-virtio: a malicious virtio-mmio driver. Runs the attacks selected by args[0] (bit n =
 * attack n; 0 = every attack that applies, see default_attacks) one after the other against the
 * virtio-console, virtio-blk or virtio-rng in slot args[3] (the rng's buffers are device-writable;
 * its good request is 64 bytes it must fill). Attack 21 (race) needs two vCPUs: vCPU 1 rewrites
 * the ring while vCPU 0 drives the device (attack_race). After each attack it records what the device
 * showed, resets the device and proves with a good request that it works again, then uses the
 * witness device in slot args[4] - 1 (0: none), which is never attacked, to show that the rest of
 * the machine keeps working. COM1 gets "attack NAME\n" before each attack. args[2]: kicks of the
 * notify storm (default 1000000).
 *
 * Every console write (good requests on an attacked console, witness lines) sends the next 64-byte
 * line of the test pattern, so the console's whole output must be pattern(64 * results[0]): bytes
 * of a rejected chain (buffers of 'X') that reached the host would show. Chains attacking the block
 * device are writes of 'X' to sector 0, so the host sees in the image whether any of them leaked.
 *
 * Records (lib/hostile.h), one per attack n: w[0] = Status and w[1] = InterruptStatus right after
 * the attack, w[2] = the used index of the attacked queue (chain attacks), w[3] and w[4] = what the
 * attack observed (guests/README.md), w[5] = the good request after the reset: bytes sent
 * (console) or FNV-1a 64 of sectors 0-7 (blk).
 * results[0] = pattern lines sent through consoles, [1] = attacks done (bit mask), [2] = witness
 * reads of a blk witness that differed from its first read, [3] = the end of guest RAM. */
#include "blk.h"
#include "hostile.h"

#define CONSOLE_ID 3
#define RNG_ID 4
#define CONSOLE_TRANSMITQ 1
#define QSIZE 16
#define LINE 64
#define SPIN_LIMIT 100000000ull           /* ring-3 polls of a used index before giving up */
#define SETTLE_READS 20000u               /* Status reads while a device thread answers an attack */
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define MMIO_HOLE 0xc0000000ull

enum {
    A_CHAIN_LOOP = 1,
    A_NEXT_OUT_OF_RANGE,
    A_BUFFER_OUTSIDE_RAM,
    A_BUFFER_STRADDLES_RAM_END,
    A_BUFFER_STRADDLES_HOLE,
    A_BUFFER_IN_HOLE,
    A_LENGTH_OVERFLOW,
    A_NESTED_INDIRECT,
    A_INDIRECT_ODD_LENGTH,
    A_AVAIL_AHEAD,
    A_QUEUE_MISALIGNED,
    A_QUEUE_OUTSIDE_RAM,
    A_QUEUE_SIZE_BAD,
    A_NOTIFY_UNSET,
    A_FEATURES_UNOFFERED,
    A_CONFIG_PAST_END,
    A_STATUS_OUT_OF_ORDER,
    A_BLK_PAST_END,
    A_BLK_READ_ONLY,
    A_NOTIFY_STORM,
    A_RACE,
    A_LAST = A_RACE
};
_Static_assert(A_LAST <= HOSTILE_MAX_ATTACK, "one record per attack");

static const char *const names[A_LAST + 1] = {
    [A_CHAIN_LOOP] = "chain-loop",
    [A_NEXT_OUT_OF_RANGE] = "next-out-of-range",
    [A_BUFFER_OUTSIDE_RAM] = "buffer-outside-ram",
    [A_BUFFER_STRADDLES_RAM_END] = "buffer-straddles-ram-end",
    [A_BUFFER_STRADDLES_HOLE] = "buffer-straddles-hole",
    [A_BUFFER_IN_HOLE] = "buffer-in-hole",
    [A_LENGTH_OVERFLOW] = "length-overflow",
    [A_NESTED_INDIRECT] = "nested-indirect",
    [A_INDIRECT_ODD_LENGTH] = "indirect-odd-length",
    [A_AVAIL_AHEAD] = "avail-ahead",
    [A_QUEUE_MISALIGNED] = "queue-misaligned",
    [A_QUEUE_OUTSIDE_RAM] = "queue-outside-ram",
    [A_QUEUE_SIZE_BAD] = "queue-size-bad",
    [A_NOTIFY_UNSET] = "notify-unset",
    [A_FEATURES_UNOFFERED] = "features-unoffered",
    [A_CONFIG_PAST_END] = "config-past-end",
    [A_STATUS_OUT_OF_ORDER] = "status-out-of-order",
    [A_BLK_PAST_END] = "blk-past-end",
    [A_BLK_READ_ONLY] = "blk-read-only",
    [A_NOTIFY_STORM] = "notify-storm",
    [A_RACE] = "race",
};

enum { W_STATUS, W_ISR, W_USED, W_DETAIL, W_DETAIL2, W_RECOVERY };

struct blk_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* The attacked device and its queue (console transmitq or blk request queue). */
static struct virtio_dev dev;
static struct virtq vq;
static unsigned slot, qindex;
static uint32_t dev_id;
static int is_blk, is_rng;
static uint16_t wflag;                    /* VIRTQ_DESC_F_WRITE for the rng: its buffers are device-writable */
static uint32_t last_len;                 /* the used length of the last element await_used took */
/* The witness: a device in another slot that is never attacked. */
static struct virtio_dev wdev;
static struct virtq wq;
static int have_witness, witness_blk;
static uint64_t witness_hash, witness_mismatches;

static uint64_t ram_top;                  /* the end of the highest RAM region */
static uint8_t *xbuf;                     /* 4 KiB of 'X': payload of hostile chains */
static struct virtq_desc *table;          /* indirect tables */
static uint8_t *data;                     /* 4 KiB for good requests */
static uint64_t lines;                    /* pattern lines sent through consoles */
static struct blk_hdr hdr;
static volatile uint8_t blk_status;

static uint32_t rd(unsigned off) { return mmio_read32(dev.base + off); }
static void wr(unsigned off, uint32_t v) { mmio_write32(dev.base + off, v); }

static void set(unsigned attack, int word, uint64_t v) { hostile_record(attack)->w[word] = v; }

/* ---- requests ---- */

/* Makes what was pushed visible to the device and notifies it, whatever it asked for. */
static void publish(struct virtq *q)
{
    barrier();
    q->avail[1] = q->next_avail;
    q->published = q->next_avail;
    mb_user();
}

static void notify(struct virtq *q)
{
    mmio_write32(q->dev->base + VMMIO_QUEUE_NOTIFY, q->index);
    q->notifies++;
}

/* Waits, bounded, for the next used element of q. */
static int await_used(struct virtq *q, uint32_t *id)
{
    for (uint64_t i = 0; i < SPIN_LIMIT; i++) {
        if (virtq_pop(q, id, &last_len))
            return 0;
        cpu_relax();
    }
    return EXIT_HOSTILE_STUCK;
}

/* Puts one blk request (header, data, status byte) into q as chain 0 and publishes it. */
static void blk_post(struct virtq *q, uint32_t type, uint64_t sector, void *buf, uint32_t len, int device_writes)
{
    hdr = (struct blk_hdr){type, 0, sector};
    blk_status = 0xff;
    unsigned n = 0;
    q->desc[n++] = (struct virtq_desc){(uintptr_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1};
    if (len)
        q->desc[n++] = (struct virtq_desc){(uintptr_t)buf, len,
                                           VIRTQ_DESC_F_NEXT | (device_writes ? VIRTQ_DESC_F_WRITE : 0), 2};
    q->desc[n] = (struct virtq_desc){(uintptr_t)&blk_status, 1, VIRTQ_DESC_F_WRITE, 0};
    virtq_push(q, 0);
    publish(q);
}

/* One blk request, start to end: the status byte, or -EXIT_ code if it never came back. */
static int blk_request(struct virtq *q, uint32_t type, uint64_t sector, void *buf, uint32_t len, int device_writes)
{
    blk_post(q, type, sector, buf, len, device_writes);
    notify(q);
    uint32_t id;
    int r = await_used(q, &id);
    if (r)
        return -r;
    if (id != 0)
        return -EXIT_VIRTIO_USED;
    barrier();
    return blk_status;
}

/* Puts the next pattern line into console queue q as chain 0 and publishes it. */
static void line_post(struct virtq *q)
{
    pattern_fill(data, lines * LINE, LINE);
    q->desc[0] = (struct virtq_desc){(uintptr_t)data, LINE, 0, 0};
    virtq_push(q, 0);
    publish(q);
}

/* The good request on the attacked device: a pattern line, or a read of sector 0. */
static void good_post(void)
{
    if (is_blk) {
        blk_post(&vq, VIRTIO_BLK_T_IN, 0, data, 512, 1);
    } else if (is_rng) {                  /* 64 bytes of 'X' for the device to overwrite */
        memset(data, 'X', LINE);
        vq.desc[0] = (struct virtq_desc){(uintptr_t)data, LINE, VIRTQ_DESC_F_WRITE, 0};
        virtq_push(&vq, 0);
        publish(&vq);
    } else {
        line_post(&vq);
    }
}

/* The rng filled the good request's 64 bytes: the used length says so, and they are not all 'X'. */
static int rng_filled(void)
{
    unsigned same = 0;
    for (unsigned k = 0; k < LINE; k++)
        same += data[k] == 'X';
    return last_len == LINE && same < LINE;
}

static int good_finish(void)
{
    uint32_t id;
    int r = await_used(&vq, &id);
    if (r)
        return r;
    if (id != 0)
        return EXIT_VIRTIO_USED;
    barrier();
    if (is_blk)
        return blk_status == VIRTIO_BLK_S_OK ? 0 : EXIT_BLK_STATUS;
    if (is_rng)
        return rng_filled() ? 0 : EXIT_RNG_STALL;
    lines++;
    return 0;
}

static int good_request(void)
{
    good_post();
    notify(&vq);
    return good_finish();
}

/* Resets and negotiates the attacked device, sets up its queue, DRIVER_OK. Polls: no interrupts. */
static int open_dev(unsigned mode)
{
    int r = virtio_init(&dev, slot, dev_id, is_blk ? VIRTIO_BLK_F_RO : 0, mode);
    if (!r)
        r = virtq_setup(&dev, &vq, qindex, QSIZE);
    if (!r)
        r = virtio_start(&dev);
    return r;
}

/* ---- the witness ---- */

static int witness_open(unsigned wslot)
{
    uint32_t id = mmio_read32(VIRTIO_MMIO_BASE + wslot * VIRTIO_MMIO_SLOT_SIZE + VMMIO_DEVICE_ID);
    witness_blk = id == VIRTIO_BLK_ID;
    int r = virtio_init(&wdev, wslot, witness_blk ? VIRTIO_BLK_ID : CONSOLE_ID, 0, 0);
    if (!r)
        r = virtq_setup(&wdev, &wq, witness_blk ? 0 : CONSOLE_TRANSMITQ, QSIZE);
    if (!r)
        r = virtio_start(&wdev);
    have_witness = !r;
    return r;
}

/* A console witness sends the next pattern line; a blk witness reads sectors 0-7, which must read
 * the same every time. */
static int witness_use(void)
{
    if (!have_witness)
        return 0;
    if (witness_blk) {
        int s = blk_request(&wq, VIRTIO_BLK_T_IN, 0, data, 4096, 1);
        if (s != VIRTIO_BLK_S_OK)
            return EXIT_HOSTILE_WITNESS;
        uint64_t h = fnv1a64(FNV64_INIT, data, 4096);
        if (!witness_hash)
            witness_hash = h;
        else if (h != witness_hash)
            witness_mismatches++;
        return 0;
    }
    line_post(&wq);
    notify(&wq);
    uint32_t id;
    if (await_used(&wq, &id) || id != 0)
        return EXIT_HOSTILE_WITNESS;
    lines++;
    return 0;
}

/* ---- attacks on descriptor chains ---- */

/* blk chains are writes of 'X' to sector 0 and begin with their header; console chains are all
 * payload. Returns the first payload descriptor. */
static unsigned chain_head(void)
{
    if (!is_blk)
        return 0;
    hdr = (struct blk_hdr){VIRTIO_BLK_T_OUT, 0, 0};
    vq.desc[0] = (struct virtq_desc){(uintptr_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1};
    return 1;
}

/* Descriptor i is a device-readable payload buffer; with more, the chain goes on at i + 1. */
static void payload(unsigned i, uint64_t addr, uint32_t len, int more)
{
    vq.desc[i] = (struct virtq_desc){addr, len, (uint16_t)((more ? VIRTQ_DESC_F_NEXT : 0) | wflag), (uint16_t)(i + 1)};
}

/* blk chains end with the status byte at descriptor i; descriptor i - 1 links to it. */
static void chain_tail(unsigned i)
{
    if (!is_blk)
        return;
    vq.desc[i - 1].flags |= VIRTQ_DESC_F_NEXT;
    vq.desc[i - 1].next = i;
    blk_status = 0xff;
    vq.desc[i] = (struct virtq_desc){(uintptr_t)&blk_status, 1, VIRTQ_DESC_F_WRITE, 0};
}

/* A good 'X' buffer, then a bad one: nothing of the good one may move either. */
static void good_then_bad(unsigned i, uint64_t bad)
{
    payload(i, (uintptr_t)xbuf, 512, 1);
    payload(i + 1, bad, 512, 0);
    chain_tail(i + 2);
}

/* The device answers on the notifying vCPU, or on a device thread with ioeventfd: wait until it
 * either returned the chain or asked for a reset. */
static void settle(void)
{
    for (unsigned i = 0; i < SETTLE_READS; i++)
        if (vq.used[1] != vq.last_used || (rd(VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET))
            return;
}

static int attack_chain(unsigned a)
{
    int r = open_dev(a == A_NESTED_INDIRECT || a == A_INDIRECT_ODD_LENGTH ? VIO_MODE_INDIRECT : 0);
    if (r)
        return r;
    unsigned i = chain_head();
    switch (a) {
    case A_CHAIN_LOOP:
        payload(i, (uintptr_t)xbuf, LINE, 1);
        vq.desc[i + 1] = (struct virtq_desc){(uintptr_t)xbuf, LINE, VIRTQ_DESC_F_NEXT | wflag, (uint16_t)i};
        break;
    case A_NEXT_OUT_OF_RANGE:
        vq.desc[i] = (struct virtq_desc){(uintptr_t)xbuf, LINE, VIRTQ_DESC_F_NEXT | wflag, vq.num};
        break;
    case A_BUFFER_OUTSIDE_RAM:
        good_then_bad(i, ram_top);
        break;
    case A_BUFFER_STRADDLES_RAM_END:
        good_then_bad(i, ram_top - 256);
        break;
    case A_BUFFER_STRADDLES_HOLE:
        good_then_bad(i, MMIO_HOLE - 256);
        break;
    case A_BUFFER_IN_HOLE:
        good_then_bad(i, dev.base);       /* the device's own registers */
        break;
    case A_LENGTH_OVERFLOW:               /* 2^31 + 2^31: the sum does not fit 32 bits */
        payload(i, (uintptr_t)xbuf, 0x80000000u, 1);
        payload(i + 1, (uintptr_t)xbuf, 0x80000000u, 0);
        chain_tail(i + 2);
        break;
    case A_NESTED_INDIRECT:
        table[0] = (struct virtq_desc){(uintptr_t)(table + 2), 16, VIRTQ_DESC_F_INDIRECT, 0};
        table[2] = (struct virtq_desc){(uintptr_t)xbuf, LINE, wflag, 0};
        vq.desc[0] = (struct virtq_desc){(uintptr_t)table, 32, VIRTQ_DESC_F_INDIRECT, 0};
        break;
    case A_INDIRECT_ODD_LENGTH:           /* one and a half entries */
        table[0] = (struct virtq_desc){(uintptr_t)xbuf, LINE, wflag, 0};
        vq.desc[0] = (struct virtq_desc){(uintptr_t)table, 24, VIRTQ_DESC_F_INDIRECT, 0};
        break;
    }
    if (a == A_AVAIL_AHEAD) {
        vq.avail[1] = (uint16_t)(vq.next_avail + 0x8000);   /* 32768 chains in a 16-entry ring */
        mb_user();
        notify(&vq);
    } else {
        virtq_push(&vq, 0);
        publish(&vq);
        notify(&vq);
    }
    settle();
    set(a, W_USED, vq.used[1]);
    if (vq.used[1] != 0)                  /* the used length of a chain the device returned */
        set(a, W_DETAIL, ((volatile struct virtq_used_elem *)(vq.used + 2))[0].len);
    return 0;
}

/* ---- attacks on the queue registers ---- */

/* Programs the attacked queue and enables it; returns QueueReady read back, then disables it again. */
static uint32_t try_queue(uint64_t desc, uint64_t avail, uint64_t used)
{
    wr(VMMIO_QUEUE_SEL, qindex);
    wr(VMMIO_QUEUE_NUM, QSIZE);
    wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    wr(VMMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    wr(VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    wr(VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    wr(VMMIO_QUEUE_READY, 1);
    uint32_t ready = rd(VMMIO_QUEUE_READY);
    wr(VMMIO_QUEUE_READY, 0);
    return ready;
}

/* Ring areas for a QSIZE queue, a page each. */
static int ring_areas(uint64_t *d, uint64_t *a, uint64_t *u)
{
    void *pd = rt_alloc(4096, 4096), *pa = rt_alloc(4096, 4096), *pu = rt_alloc(4096, 4096);
    if (!pd || !pa || !pu)
        return EXIT_NO_MEMORY;
    *d = (uintptr_t)pd;
    *a = (uintptr_t)pa;
    *u = (uintptr_t)pu;
    return 0;
}

/* detail: bit k = QueueReady read 1 after try k. Only the last try is a valid layout. */
static int attack_queue_layout(unsigned a)
{
    int r = virtio_init(&dev, slot, dev_id, 0, 0);
    uint64_t d, av, u;
    if (r || (r = ring_areas(&d, &av, &u)))
        return r;
    uint64_t tries[8][3];
    unsigned n = 0;
    if (a == A_QUEUE_MISALIGNED) {
        tries[n][0] = d + 8, tries[n][1] = av, tries[n++][2] = u;      /* table needs 16 */
        tries[n][0] = d, tries[n][1] = av + 1, tries[n++][2] = u;      /* avail ring needs 2 */
        tries[n][0] = d, tries[n][1] = av, tries[n++][2] = u + 2;      /* used ring needs 4 */
    } else {
        tries[n][0] = ram_top, tries[n][1] = av, tries[n++][2] = u;
        tries[n][0] = ram_top - 128, tries[n][1] = av, tries[n++][2] = u;   /* the table is 256 bytes */
        tries[n][0] = dev.base, tries[n][1] = av, tries[n++][2] = u;        /* the device's registers */
        tries[n][0] = 0xfffffffffffff000ull, tries[n][1] = av, tries[n++][2] = u;   /* wraps */
        tries[n][0] = d, tries[n][1] = ram_top - 4, tries[n++][2] = u;
        tries[n][0] = d, tries[n][1] = av, tries[n++][2] = MMIO_HOLE - 64;
    }
    tries[n][0] = d, tries[n][1] = av, tries[n++][2] = u;
    uint64_t ready = 0;
    for (unsigned k = 0; k < n; k++)
        ready |= (uint64_t)(try_queue(tries[k][0], tries[k][1], tries[k][2]) & 1) << k;
    set(a, W_DETAIL, ready);
    return 0;
}

/* QueueNum = QSIZE, then sizes that are zero, not powers of two, too large or written while the
 * queue is ready: each ignored, so 20 requests through the 16-entry ring (it wraps) all complete.
 * detail = requests completed, detail2 = QueueReady. */
static int attack_queue_size(unsigned a)
{
    static const uint32_t bad[] = {0, 3, 24, 384, 512, 0x10000, 0xffffffffu};
    int r = virtio_init(&dev, slot, dev_id, 0, 0);
    uint64_t d, av, u;
    if (r || (r = ring_areas(&d, &av, &u)))
        return r;
    wr(VMMIO_QUEUE_SEL, qindex);
    wr(VMMIO_QUEUE_NUM, QSIZE);
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++)
        wr(VMMIO_QUEUE_NUM, bad[k]);
    wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)d);
    wr(VMMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
    wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)av);
    wr(VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(av >> 32));
    wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
    wr(VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
    wr(VMMIO_QUEUE_READY, 1);
    uint32_t ready = rd(VMMIO_QUEUE_READY);
    wr(VMMIO_QUEUE_NUM, 3);
    vq = (struct virtq){.dev = &dev, .index = qindex, .num = QSIZE, .desc = (struct virtq_desc *)(uintptr_t)d,
                        .avail = (volatile uint16_t *)(uintptr_t)av, .used = (volatile uint16_t *)(uintptr_t)u};
    vq.avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
    if ((r = virtio_start(&dev)))
        return r;
    uint64_t done = 0;
    for (unsigned k = 0; k < 20; k++) {
        if ((r = good_request()))
            break;
        done++;
    }
    set(a, W_DETAIL, done);
    set(a, W_DETAIL2, ready);
    return 0;
}

/* Notifies before FEATURES_OK, before the queue is ready, before DRIVER_OK, and then of queues
 * that do not exist or were never set up, with a good request waiting. detail = the used index
 * before the real notify, detail2 = requests completed after it (1). */
static int attack_notify_unset(unsigned a)
{
    static const uint32_t bogus[] = {2, 3, 7, 0x100, 0xffff, 0xffffffffu};
    dev.base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SLOT_SIZE;
    wr(VMMIO_STATUS, 0);
    wr(VMMIO_QUEUE_NOTIFY, qindex);       /* status 0 */
    int r = virtio_init(&dev, slot, dev_id, 0, 0);
    if (r)
        return r;
    wr(VMMIO_QUEUE_NOTIFY, qindex);       /* FEATURES_OK, no queue */
    if ((r = virtq_setup(&dev, &vq, qindex, QSIZE)))
        return r;
    notify(&vq);                          /* queue ready, no DRIVER_OK */
    if ((r = virtio_start(&dev)))
        return r;
    good_post();
    for (unsigned k = 0; k < sizeof bogus / sizeof bogus[0]; k++)
        wr(VMMIO_QUEUE_NOTIFY, bogus[k]);
    if (dev_id == CONSOLE_ID)
        wr(VMMIO_QUEUE_NOTIFY, 0);        /* the console's receiveq, never set up */
    set(a, W_DETAIL, vq.used[1]);
    notify(&vq);
    r = good_finish();
    set(a, W_DETAIL2, r == 0);
    return r;
}

/* ---- attacks on negotiation and status ---- */

/* FEATURES_OK with a feature never offered, a word past bit 63, or without VERSION_1: the device
 * must leave FEATURES_OK clear (VIRTIO 1.2, 3.1.1). detail: bit k = FEATURES_OK stuck for case k;
 * only case 6 (VERSION_1 alone) is valid. */
static int attack_features(unsigned a)
{
    static const uint32_t cases[7][3] = {
        {1u << 31, 1, 0},                 /* bit 31 */
        {0, 1 | 1u << 31, 0},             /* bit 63 */
        {0, 1 | 1u << 1, 0},              /* VIRTIO_F_ACCESS_PLATFORM (33) */
        {0, 1 | 1u << 2, 0},              /* VIRTIO_F_RING_PACKED (34) */
        {0, 1, 1},                        /* DriverFeaturesSel 2: bits 64-95 */
        {0, 0, 0},                        /* no VIRTIO_F_VERSION_1 */
        {0, 1, 0},                        /* valid */
    };
    dev.base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SLOT_SIZE;
    uint64_t kept = 0;
    for (unsigned c = 0; c < 7; c++) {
        wr(VMMIO_STATUS, 0);
        while (rd(VMMIO_STATUS) != 0)
            cpu_relax();
        wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
        wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
        wr(VMMIO_DRIVER_FEATURES_SEL, 0);
        wr(VMMIO_DRIVER_FEATURES, cases[c][0]);
        wr(VMMIO_DRIVER_FEATURES_SEL, 1);
        wr(VMMIO_DRIVER_FEATURES, cases[c][1]);
        if (cases[c][2]) {
            wr(VMMIO_DRIVER_FEATURES_SEL, 2);
            wr(VMMIO_DRIVER_FEATURES, cases[c][2]);
        }
        wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
        if (rd(VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)
            kept |= 1u << c;
    }
    set(a, W_DETAIL, kept);
    return 0;
}

/* Writes of every width over the device's configuration space and far past its end, and one that
 * runs off the end of the register window; reads past the end. detail = config words (0x100-0x13f)
 * that changed, detail2 = what the reads past the end returned, ORed (the transport reads 0). */
static int attack_config(unsigned a)
{
    int r = open_dev(0);
    if (r)
        return r;
    uint32_t before[16];
    for (unsigned k = 0; k < 16; k++)
        before[k] = rd(VMMIO_CONFIG + 4 * k);
    for (unsigned off = 0; off < 0xf00; off += off < 0x80 ? 1 : 16) {
        uintptr_t at = dev.base + VMMIO_CONFIG + off;
        mmio_write8(at, 0xa5);
        mmio_write16(at, 0xa5a5);
        if (is_blk || off != 8)           /* a 32-bit write at 8 is the console's emergency write */
            mmio_write32(at, 0xdeadbeef);
        mmio_write64(at, 0x0123456789abcdefull);
    }
    mmio_write64(dev.base + 0xffc, ~0ull);   /* half in this window, half in the next */
    uint64_t changed = 0;
    for (unsigned k = 0; k < 16; k++)
        changed += rd(VMMIO_CONFIG + 4 * k) != before[k];
    uint64_t past = rd(VMMIO_CONFIG + 0xe00) | mmio_read8(dev.base + VMMIO_CONFIG + 0x7ff) |
                    mmio_read16(dev.base + VMMIO_CONFIG + 0x400) | mmio_read64(dev.base + VMMIO_CONFIG + 0x800);
    set(a, W_DETAIL, changed);
    set(a, W_DETAIL2, past);
    return 0;
}

/* Status writes out of the order of VIRTIO 1.2 3.1.1, bits the driver may not set, bits cleared
 * without a reset, queue registers before FEATURES_OK. detail: Status (or QueueReady) read back
 * after each of 8 steps, one byte each (step 0 in the low byte). detail2: after DRIVER_OK,
 * QueueReady after writing 0 | Status after setting a reserved bit << 8 | a good request worked << 16. */
static int attack_status(unsigned a)
{
    static const uint32_t steps[7] = {
        VIRTIO_STATUS_DRIVER_OK,                                           /* from 0 */
        VIRTIO_STATUS_ACKNOWLEDGE,                                         /* valid */
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FEATURES_OK,             /* without DRIVER */
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,                  /* valid */
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK, /* without FEATURES_OK */
        VIRTIO_STATUS_ACKNOWLEDGE,                                         /* clears DRIVER */
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_NEEDS_RESET, /* device's bit */
    };
    dev.base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SLOT_SIZE;
    wr(VMMIO_STATUS, 0);
    while (rd(VMMIO_STATUS) != 0)
        cpu_relax();
    uint64_t seen = 0;
    for (unsigned k = 0; k < 7; k++) {
        wr(VMMIO_STATUS, steps[k]);
        seen |= (uint64_t)(rd(VMMIO_STATUS) & 0xff) << (8 * k);
    }
    wr(VMMIO_QUEUE_SEL, qindex);
    wr(VMMIO_QUEUE_NUM, QSIZE);
    wr(VMMIO_QUEUE_READY, 1);
    seen |= (uint64_t)(rd(VMMIO_QUEUE_READY) & 0xff) << 56;
    set(a, W_DETAIL, seen);

    int r = open_dev(0);
    if (r)
        return r;
    wr(VMMIO_QUEUE_SEL, qindex);
    wr(VMMIO_QUEUE_READY, 0);
    uint64_t after = rd(VMMIO_QUEUE_READY) & 0xff;
    wr(VMMIO_STATUS, rd(VMMIO_STATUS) | 0x20);
    after |= (uint64_t)(rd(VMMIO_STATUS) & 0xff) << 8;
    after |= (uint64_t)(good_request() == 0) << 16;
    set(a, W_DETAIL2, after);
    return 0;
}

/* ---- attacks on virtio-blk requests ---- */

/* Requests past the end of the disk and with sector arithmetic that overflows. detail: the status
 * bytes of the eight reads and writes below, one byte each (request 0 in the low byte);
 * detail2: a write of two sectors from the last one | an unknown request type << 8. */
static int attack_blk_past_end(unsigned a)
{
    int r = open_dev(0);
    if (r)
        return r;
    uint64_t cap = virtio_config_read64(&dev, 0);
    const struct { uint32_t type; uint64_t sector; uint32_t len; } reqs[8] = {
        {VIRTIO_BLK_T_IN, cap, 512},                  /* just past the end */
        {VIRTIO_BLK_T_IN, cap - 1, 1024},             /* starts inside, ends outside */
        {VIRTIO_BLK_T_IN, ~0ull, 512},                /* the last sector number there is */
        {VIRTIO_BLK_T_IN, 1ull << 55, 512},           /* sector * 512 wraps to byte 0 */
        {VIRTIO_BLK_T_IN, ~0ull, 1024},               /* sector + count wraps to 1 */
        {VIRTIO_BLK_T_OUT, cap, 512},                 /* would grow the image */
        {VIRTIO_BLK_T_OUT, 1ull << 55, 512},          /* would overwrite sector 0 */
        {VIRTIO_BLK_T_IN, 0, 100},                    /* not whole sectors */
    };
    uint64_t statuses = 0;
    for (unsigned k = 0; k < 8; k++) {
        int s = blk_request(&vq, reqs[k].type, reqs[k].sector, xbuf, reqs[k].len, reqs[k].type == VIRTIO_BLK_T_IN);
        if (s < 0)
            return -s;
        statuses |= (uint64_t)s << (8 * k);
    }
    int s1 = blk_request(&vq, VIRTIO_BLK_T_OUT, cap - 1, xbuf, 1024, 0);
    int s2 = blk_request(&vq, 0x77, 0, xbuf, 512, 1);
    if (s1 < 0 || s2 < 0)
        return s1 < 0 ? -s1 : -s2;
    set(a, W_DETAIL, statuses);
    set(a, W_DETAIL2, (uint64_t)s1 | (uint64_t)s2 << 8);
    return 0;
}

/* A driver that ignores VIRTIO_BLK_F_RO. detail: status of a write | WRITE_ZEROES << 8 |
 * DISCARD << 16 | FLUSH << 24; detail2 = VIRTIO_BLK_F_RO was offered. */
static int attack_blk_read_only(unsigned a)
{
    int r = open_dev(0);
    if (r)
        return r;
    static struct { uint64_t sector; uint32_t count, flags; } segment = {0, 1, 0};
    int s[4] = {
        blk_request(&vq, VIRTIO_BLK_T_OUT, 0, xbuf, 512, 0),
        blk_request(&vq, VIRTIO_BLK_T_WRITE_ZEROES, 0, &segment, sizeof segment, 0),
        blk_request(&vq, VIRTIO_BLK_T_DISCARD, 0, &segment, sizeof segment, 0),
        blk_request(&vq, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0),
    };
    uint64_t detail = 0;
    for (unsigned k = 0; k < 4; k++) {
        if (s[k] < 0)
            return -s[k];
        detail |= (uint64_t)s[k] << (8 * k);
    }
    set(a, W_DETAIL, detail);
    set(a, W_DETAIL2, (dev.features & VIRTIO_BLK_F_RO) != 0);
    return 0;
}

/* ---- the notify storm ---- */

/* args[2] QueueNotify writes in a row, a good request posted every 1024 of them (when the previous
 * one is back). detail = good requests completed, detail2 = kicks. */
static int attack_notify_storm(unsigned a)
{
    int r = open_dev(0);
    if (r)
        return r;
    uint64_t kicks = arg_or(2, 1000000), completed = 0;
    int pending = 0;
    for (uint64_t k = 0; k < kicks; k++) {
        if ((k & 1023) == 0) {
            if (pending && vq.used[1] != vq.last_used) {
                if ((r = good_finish()))
                    return r;
                completed++;
                pending = 0;
            }
            if (!pending) {
                good_post();
                pending = 1;
            }
        }
        mmio_write32(dev.base + VMMIO_QUEUE_NOTIFY, qindex);
    }
    if (pending) {
        notify(&vq);
        if ((r = good_finish()))
            return r;
        completed++;
    }
    set(a, W_DETAIL, completed);
    set(a, W_DETAIL2, kicks);
    return 0;
}

/* ---- the race: vCPU 1 rewrites the ring while the device walks it ---- */

/* Shared with vCPU 1 (ap_main). vCPU 0 sets race_desc and race_avail, the areas to mangle, and
 * bumps race_hold to have vCPU 1 keep off them: vCPU 1 answers by copying it to race_held once it
 * finished the rewrite it was in. race_stop ends the rewriter, which then sets race_ap_done. */
static volatile uint64_t race_desc, race_avail, race_good;
static volatile uint64_t race_hold, race_held, race_rewrites;
static volatile int race_stop, race_ap_done, race_ap_started;

/* Values vCPU 1 writes: buffer addresses around RAM and the hole, lengths that overflow. Lengths up
 * to 64 KiB from an address in the scratch area stay inside it. */
static volatile uint64_t race_addrs[8];
static const uint32_t race_lens[8] = {0, 1, 64, 512, 4096, 0x10000, 0x80000000u, 0xffffffffu};

/* vCPU 1 (and any further vCPU, which returns and parks): ring 0, interrupts off. Rewrites one
 * field of a random descriptor or avail entry, or the avail index, per iteration, until told to
 * stop or after 2^32 rewrites. KERNEL: no calls out of .ktext, no struct copies. */
KERNEL void ap_main(uint64_t index)
{
    if (index != 1)
        return;
    race_ap_started = 1;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint64_t n = 0;
    while (!race_stop && n < (1ull << 32)) {
        uint64_t hold = race_hold;
        if (race_held != hold) {
            race_held = hold;             /* vCPU 0 may touch the areas now */
            continue;
        }
        if (hold & 1) {                   /* odd: held */
            __asm__ volatile("pause");
            continue;
        }
        volatile struct virtq_desc *d = (volatile struct virtq_desc *)(uintptr_t)race_desc;
        volatile uint16_t *av = (volatile uint16_t *)(uintptr_t)race_avail;
        if (!d || !av) {
            __asm__ volatile("pause");
            continue;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned i = x & (QSIZE - 1);
        unsigned r = (unsigned)(x >> 40);
        /* Mostly values a walk gets past (indexes in range, in-RAM buffers), so that the device walks
         * chains that change under it instead of failing on its first check; now and then ones it
         * must refuse (an index past the table, any avail index, indirect flags). */
        switch ((x >> 8) & 7) {
        case 0: d[i].addr = race_addrs[r & 7]; break;
        case 1: d[i].len = race_lens[r & 7]; break;
        case 2: d[i].flags = (uint16_t)((r & 0xf0) ? (r & 3) : (r & 7)); break;
        case 3: d[i].next = (uint16_t)((r & 0xf0) ? (r & (QSIZE - 1)) : (r & 31)); break;
        case 4: av[2 + i] = (uint16_t)((r & 0xf0) ? (r & (QSIZE - 1)) : (r & 31)); break;
        case 5:
            if ((r & 0xff0) == 0)
                av[1] = (uint16_t)r;      /* any avail index, rarely */
            break;
        case 6: av[1] = (uint16_t)(av[1] + 1 + (r & 3)); break; /* a few more chains */
        default:                          /* a good-looking descriptor again, chained on */
            d[i].addr = race_good;
            d[i].len = LINE;
            d[i].flags = (uint16_t)(VIRTQ_DESC_F_NEXT | wflag);
            d[i].next = (uint16_t)((i + 1) & (QSIZE - 1));
            break;
        }
        race_rewrites = ++n;
        /* A pause of 0 to 16383 spins between rewrites: unthrottled, vCPU 1 rewrote the whole table
         * many times per round and the device failed every walk at its first check. */
        for (unsigned w = (unsigned)(x >> 50) & 0x3fff; w && !race_stop; w--)
            __asm__ volatile("pause");
    }
    race_ap_done = 1;
}

/* Keeps vCPU 1 off the rings (hold) or lets it go again (!hold); bounded wait for its answer. */
static int race_set_hold(int hold)
{
    if ((race_hold & 1) == (uint64_t)hold)
        return 0;
    race_hold = race_hold + 1;
    for (uint64_t i = 0; i < SPIN_LIMIT; i++) {
        if (race_held == race_hold || race_ap_done)
            return 0;
        cpu_relax();
    }
    return EXIT_HOSTILE_STUCK;
}

/* args[2] rounds (default 2000): reset and set up the device if it needs it (always the same ring
 * areas), post a good request, let vCPU 1 loose on the ring, notify, and wait (bounded) until the
 * device returned a chain or asked for a reset; with vCPU 1 held again, take every used element.
 * The device must stay inside guest RAM, keep its threads and answer within the wait; the run must
 * end with the reset and good request of recover(). detail = rounds that ended with a chain
 * returned, detail2 = rounds that ended with DEVICE_NEEDS_RESET, W_USED = rewrites by vCPU 1,
 * W_DETAIL2 + 1 (w[6]) = rounds that ended with neither. */
static int attack_race(unsigned a)
{
    if (params->vcpus < 2)
        return EXIT_BAD_ARGS;
    uint64_t d, av, u;
    int r = ring_areas(&d, &av, &u);
    if (r)
        return r;
    /* Buffers in RAM all lie in a scratch area of 2 MiB, so whatever length vCPU 1 pairs them with,
     * a device that honours it writes only there or refuses the buffer (2^31 and more leave RAM). */
    uint8_t *scratch = rt_alloc(2u << 20, 4096);
    if (!scratch)
        return EXIT_NO_MEMORY;
    race_addrs[0] = (uintptr_t)scratch;
    race_addrs[1] = (uintptr_t)scratch + (1u << 20);
    race_addrs[2] = ram_top - 8;
    race_addrs[3] = ram_top;
    race_addrs[4] = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SLOT_SIZE;
    race_addrs[5] = MMIO_HOLE - 32;
    race_addrs[6] = 0xfffffffffffff000ull;
    race_addrs[7] = (uintptr_t)scratch + (1u << 20) + 0xff00;
    race_good = (uintptr_t)scratch;
    uint64_t rounds = arg_or(2, 2000), returned = 0, resets = 0, quiet = 0;
    int open = 0;
    for (uint64_t k = 0; k < rounds; k++) {
        if ((r = race_set_hold(1)))
            return r;
        if (!open || (rd(VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)) {
            if ((r = virtio_init(&dev, slot, dev_id, 0, 0)))
                return r;
            memset((void *)(uintptr_t)d, 0, 4096);
            memset((void *)(uintptr_t)av, 0, 4096);
            memset((void *)(uintptr_t)u, 0, 4096);
            /* A zeroed descriptor points at guest-physical 0, and vCPU 1 links any descriptor into a
             * chain and gives it any length and the write flag: the device would then write over the
             * first 64 KiB of RAM (jvmm's GDT, the parameter block, the page tables), as the guest told
             * it to, and both vCPUs triple-faulted now and then. Every descriptor starts in scratch. */
            for (unsigned i = 0; i < QSIZE; i++)
                ((struct virtq_desc *)(uintptr_t)d)[i].addr = race_good;
            /* Not try_queue: it disables the queue again, and a queue disabled forgets its areas. */
            wr(VMMIO_QUEUE_SEL, qindex);
            wr(VMMIO_QUEUE_NUM, QSIZE);
            wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)d);
            wr(VMMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
            wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)av);
            wr(VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(av >> 32));
            wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
            wr(VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
            wr(VMMIO_QUEUE_READY, 1);
            if (rd(VMMIO_QUEUE_READY) != 1)
                return EXIT_VIRTIO_QUEUE;
            vq = (struct virtq){.dev = &dev, .index = qindex, .num = QSIZE, .desc = (struct virtq_desc *)(uintptr_t)d,
                                .avail = (volatile uint16_t *)(uintptr_t)av, .used = (volatile uint16_t *)(uintptr_t)u};
            vq.avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
            if ((r = virtio_start(&dev)))
                return r;
            race_desc = d;
            race_avail = av;
            open = 1;
        }
        good_post();
        if ((r = race_set_hold(0)))
            return r;
        notify(&vq);
        unsigned outcome = 0;             /* Status reads exit: one per 256 polls of the used index */
        for (unsigned i = 0; i < 256 * 256 && !outcome; i++) {
            if (vq.used[1] != vq.last_used)
                outcome = 1;
            else if ((i & 255) == 0 && (rd(VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET))
                outcome = 2;
        }
        returned += outcome == 1;
        resets += outcome == 2;
        quiet += outcome == 0;
        vq.last_used = vq.used[1];
    }
    race_stop = 1;
    for (uint64_t i = 0; i < SPIN_LIMIT && !race_ap_done; i++)
        cpu_relax();
    if (!race_ap_done)
        return EXIT_HOSTILE_STUCK;
    set(a, W_USED, race_rewrites);
    set(a, W_DETAIL, returned);
    set(a, W_DETAIL2, resets);
    set(a, W_RECOVERY + 1, quiet);
    return 0;
}

/* ---- driver ---- */

static int attack(unsigned a)
{
    switch (a) {
    case A_QUEUE_MISALIGNED:
    case A_QUEUE_OUTSIDE_RAM:
        return attack_queue_layout(a);
    case A_QUEUE_SIZE_BAD:
        return attack_queue_size(a);
    case A_NOTIFY_UNSET:
        return attack_notify_unset(a);
    case A_FEATURES_UNOFFERED:
        return attack_features(a);
    case A_CONFIG_PAST_END:
        return attack_config(a);
    case A_STATUS_OUT_OF_ORDER:
        return attack_status(a);
    case A_BLK_PAST_END:
        return is_blk ? attack_blk_past_end(a) : EXIT_BAD_ARGS;
    case A_BLK_READ_ONLY:
        return is_blk ? attack_blk_read_only(a) : EXIT_BAD_ARGS;
    case A_NOTIFY_STORM:
        return attack_notify_storm(a);
    case A_RACE:
        return attack_race(a);
    default:
        return attack_chain(a);
    }
}

/* After the attack: a reset, then a good request must work. */
static int recover(unsigned a)
{
    int r = open_dev(0);
    if (r)
        return r;
    if (is_blk) {
        int s = blk_request(&vq, VIRTIO_BLK_T_IN, 0, data, 4096, 1);
        if (s < 0)
            return -s;
        if (s != VIRTIO_BLK_S_OK)
            return EXIT_BLK_STATUS;
        set(a, W_RECOVERY, fnv1a64(FNV64_INIT, data, 4096));
        return 0;
    }
    if ((r = good_request()))
        return r;
    set(a, W_RECOVERY, is_rng ? last_len : LINE);
    return 0;
}

/* Everything that applies to the device and the RAM size, but not the storm (a run of its own) or
 * the read-only attack (it needs a read-only image). */
static uint64_t default_attacks(void)
{
    uint64_t mask = 0;
    for (unsigned a = A_CHAIN_LOOP; a <= A_STATUS_OUT_OF_ORDER; a++)
        mask |= 1ull << a;
    if (ram_size <= MMIO_HOLE)            /* no RAM ends at the hole */
        mask &= ~(1ull << A_BUFFER_STRADDLES_HOLE);
    if (is_blk)
        mask |= 1ull << A_BLK_PAST_END;
    return mask;
}

int guest_main(void)
{
    hostile_clear_records();
    slot = arg_or(3, 0);
    unsigned witness = params->args[4];
    if (slot >= 16 || witness > 16 || witness == slot + 1)
        return EXIT_BAD_ARGS;
    ram_top = ram_size <= MMIO_HOLE ? ram_size : 0x100000000ull + (ram_size - MMIO_HOLE);
    dev_id = mmio_read32(VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SLOT_SIZE + VMMIO_DEVICE_ID);
    if (dev_id != VIRTIO_BLK_ID && dev_id != CONSOLE_ID && dev_id != RNG_ID)
        return EXIT_VIRTIO_DEVICE;
    is_blk = dev_id == VIRTIO_BLK_ID;
    is_rng = dev_id == RNG_ID;
    wflag = is_rng ? VIRTQ_DESC_F_WRITE : 0;
    qindex = dev_id == CONSOLE_ID ? CONSOLE_TRANSMITQ : 0;
    /* The rng fills up to 64 KiB of the length-overflow chain's first 2 GiB buffer: xbuf has room. */
    xbuf = rt_alloc(is_rng ? 0x10000 : 4096, 4096);
    table = rt_alloc(4096, 4096);
    data = rt_alloc(4096, 4096);
    if (!xbuf || !table || !data)
        return EXIT_NO_MEMORY;
    memset(xbuf, 'X', 4096);
    uint64_t mask = params->args[0] ? params->args[0] : default_attacks();
    if (mask & ~(((2ull << A_LAST) - 1) & ~1ull))
        return EXIT_BAD_ARGS;

    uart_init();
    int r;
    if (witness && (r = witness_open(witness - 1)))
        return r;
    uint64_t done = 0;
    for (unsigned a = A_CHAIN_LOOP; a <= A_LAST; a++) {
        if (!(mask & (1ull << a)))
            continue;
        uart_puts("attack ");
        uart_puts(names[a]);
        uart_putc('\n');
        if ((r = attack(a)))
            return r;
        set(a, W_STATUS, rd(VMMIO_STATUS));
        set(a, W_ISR, rd(VMMIO_INTERRUPT_STATUS));
        if ((r = recover(a)) || (r = witness_use()))
            return r;
        hostile_done(a);
        done |= 1ull << a;
        rt_result(0, lines);
        rt_result(1, done);
        rt_result(2, witness_mismatches);
    }
    rt_result(3, ram_top);
    uart_puts("hostile-virtio done\n");
    return EXIT_OK;
}
