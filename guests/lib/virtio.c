/* virtio-mmio driver: negotiation (VIRTIO 1.2 3.1.1, 4.2.3) and the split ring (2.7). Runs in ring 3;
 * only virtio_isr runs in ring 0. */
#include "virtio.h"

static uint32_t rd(struct virtio_dev *d, unsigned off) { return mmio_read32(d->base + off); }
static void wr(struct virtio_dev *d, unsigned off, uint32_t v) { mmio_write32(d->base + off, v); }

/* Interrupt handler (ring 0): acknowledge what the device reports. The driver looks at the used
 * ring itself, so nothing else is needed. */
KERNEL static void virtio_isr(uintptr_t base)
{
    uint32_t s = mmio_read32(base + VMMIO_INTERRUPT_STATUS);
    if (s)
        mmio_write32(base + VMMIO_INTERRUPT_ACK, s);
}

void virtio_fail(struct virtio_dev *d) { wr(d, VMMIO_STATUS, rd(d, VMMIO_STATUS) | VIRTIO_STATUS_FAILED); }

int virtio_init(struct virtio_dev *d, unsigned slot, uint32_t device_id, uint64_t dev_features,
                unsigned mode)
{
    d->base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SLOT_SIZE;
    d->irq = VIRTIO_MMIO_IRQ_BASE + slot;
    d->event_idx = (mode & VIO_MODE_EVENT_IDX) != 0;
    d->use_irq = (mode & VIO_MODE_IRQ) != 0;
    d->indirect = (mode & VIO_MODE_INDIRECT) != 0;
    if (slot >= 16 || d->irq >= 16)
        return EXIT_BAD_ARGS;
    if (d->use_irq && !rt_have_irqchip())
        return EXIT_NO_IRQCHIP;

    if (rd(d, VMMIO_MAGIC) != VIRTIO_MAGIC)
        return EXIT_VIRTIO_MAGIC;
    if (rd(d, VMMIO_VERSION) != 2)
        return EXIT_VIRTIO_VERSION;
    if (rd(d, VMMIO_DEVICE_ID) != device_id)
        return EXIT_VIRTIO_DEVICE;

    /* Reset, and wait for it to finish (4.2.3.1: Status reads 0 once the reset is done). */
    wr(d, VMMIO_STATUS, 0);
    for (unsigned tries = 0; rd(d, VMMIO_STATUS) != 0; tries++)
        if (tries == 100000)
            return EXIT_VIRTIO_NEEDS_RESET;
    wr(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);

    wr(d, VMMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t offered = rd(d, VMMIO_DEVICE_FEATURES);
    wr(d, VMMIO_DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)rd(d, VMMIO_DEVICE_FEATURES) << 32;

    uint64_t want = VIRTIO_F_VERSION_1;
    if (d->event_idx)
        want |= VIRTIO_F_EVENT_IDX;
    if (d->indirect)
        want |= VIRTIO_F_INDIRECT_DESC;
    if (!(offered & VIRTIO_F_VERSION_1)) {
        virtio_fail(d);
        return EXIT_VIRTIO_NO_V1;
    }
    if ((offered & want) != want) {
        virtio_fail(d);
        return EXIT_VIRTIO_FEATURE;
    }
    d->features = want | (offered & dev_features);
    wr(d, VMMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)d->features);
    wr(d, VMMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));

    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    wr(d, VMMIO_STATUS, st);
    if (!(rd(d, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_fail(d);
        return EXIT_VIRTIO_FEATURES_OK;
    }
    rt_result(RES_FEATURES, d->features);
    return 0;
}

int virtq_setup(struct virtio_dev *d, struct virtq *q, unsigned index, unsigned max_size)
{
    wr(d, VMMIO_QUEUE_SEL, index);
    if (rd(d, VMMIO_QUEUE_READY) != 0) {
        virtio_fail(d);
        return EXIT_VIRTIO_QUEUE;
    }
    unsigned num = rd(d, VMMIO_QUEUE_NUM_MAX);
    if (num == 0) {
        virtio_fail(d);
        return EXIT_VIRTIO_QUEUE;
    }
    if (max_size == 0)
        max_size = 256;
    if (num > max_size)
        num = max_size;
    if (num > 32768)
        num = 32768;
    while (num & (num - 1))               /* split rings have power-of-two sizes */
        num &= num - 1;

    q->dev = d;
    q->index = index;
    q->num = num;
    q->next_avail = q->published = q->last_used = 0;
    q->notifies = 0;
    /* 2.7: descriptor table 16-byte, driver area 2-byte, device area 4-byte aligned; a page each. */
    q->desc = rt_alloc(16 * num, 4096);
    q->avail = rt_alloc(6 + 2 * num, 4096);
    q->used = rt_alloc(6 + 8 * num, 4096);
    if (!q->desc || !q->avail || !q->used) {
        virtio_fail(d);
        return EXIT_NO_MEMORY;
    }
    /* Interrupt suppression for polling: without EVENT_IDX the avail flag; with it, used_event
     * kept half the index space ahead (virtq_pop moves it along), which the device never reaches. */
    if (!d->use_irq) {
        if (d->event_idx)
            q->avail[2 + num] = 0x8000;
        else
            q->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
    }

    wr(d, VMMIO_QUEUE_NUM, num);
    uint64_t a = (uintptr_t)q->desc, b = (uintptr_t)q->avail, c = (uintptr_t)q->used;
    wr(d, VMMIO_QUEUE_DESC_LOW, (uint32_t)a);
    wr(d, VMMIO_QUEUE_DESC_HIGH, (uint32_t)(a >> 32));
    wr(d, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)b);
    wr(d, VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(b >> 32));
    wr(d, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)c);
    wr(d, VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(c >> 32));
    wr(d, VMMIO_QUEUE_READY, 1);
    return 0;
}

int virtio_start(struct virtio_dev *d)
{
    if (d->use_irq)
        irq_register(d->irq, virtio_isr, d->base);
    wr(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                            VIRTIO_STATUS_DRIVER_OK);
    if (rd(d, VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
        return EXIT_VIRTIO_NEEDS_RESET;
    return 0;
}

uint32_t virtio_config_read32(struct virtio_dev *d, unsigned offset)
{
    return rd(d, VMMIO_CONFIG + offset);
}

uint64_t virtio_config_read64(struct virtio_dev *d, unsigned offset)
{
    uint32_t gen, lo, hi;
    do {                                  /* 4.2.2.2: retry if the configuration changed meanwhile */
        gen = rd(d, VMMIO_CONFIG_GENERATION);
        lo = rd(d, VMMIO_CONFIG + offset);
        hi = rd(d, VMMIO_CONFIG + offset + 4);
    } while (gen != rd(d, VMMIO_CONFIG_GENERATION));
    return (uint64_t)hi << 32 | lo;
}

/* 2.7.7.2 / 2.7.10: true if the device asked to be notified when the index moves from old to new. */
static int need_event(uint16_t event, uint16_t new, uint16_t old)
{
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtq_kick(struct virtq *q)
{
    uint16_t old = q->published, new = q->next_avail;
    if (old == new)
        return;
    barrier();                            /* ring entries and descriptors before the index (TSO) */
    q->avail[1] = new;
    q->published = new;
    /* Store->load: the device must see the new index before we read its suppression state, or
     * we could skip a notification it is waiting for (2.7.13.3.1 note). */
    mb_user();
    int notify;
    if (q->dev->event_idx)
        notify = need_event(q->used[2 + 4 * q->num], new, old);   /* avail_event */
    else
        notify = !(q->used[0] & VIRTQ_USED_F_NO_NOTIFY);
    if (notify) {
        mmio_write32(q->dev->base + VMMIO_QUEUE_NOTIFY, q->index);
        q->notifies++;
    }
}

int virtq_pop(struct virtq *q, uint32_t *id, uint32_t *len)
{
    if (q->used[1] == q->last_used)
        return 0;
    barrier();                            /* the element after the index (loads stay ordered) */
    volatile struct virtq_used_elem *e =
        (volatile struct virtq_used_elem *)(q->used + 2) + (q->last_used & (q->num - 1));
    *id = e->id;
    *len = e->len;
    q->last_used++;
    if (!q->dev->use_irq && q->dev->event_idx)
        q->avail[2 + q->num] = (uint16_t)(q->last_used + 0x8000);
    return 1;
}

void virtq_wait(struct virtq *q)
{
    if (!q->dev->use_irq) {
        while (q->used[1] == q->last_used)
            cpu_relax();
        return;
    }
    for (;;) {
        uint32_t seen = irq_events;
        if (q->dev->event_idx) {
            q->avail[2 + q->num] = q->last_used;   /* used_event: interrupt for the next entry */
            mb_user();                    /* store used_event before re-reading used->idx */
        }
        if (q->used[1] != q->last_used)
            return;
        sys_wait_irq(seen);
    }
}
