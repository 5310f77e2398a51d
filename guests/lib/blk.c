/* virtio-blk driver part (VIRTIO 1.2 5.2). Ring 3. */
#include "blk.h"

struct blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct blk_slot {
    struct virtq_desc table[3];           /* the indirect table, when INDIRECT_DESC is used */
    struct blk_req hdr;
    volatile uint8_t status;
    uint8_t busy, done;
    uint32_t len;
    uint64_t offset;
    uint8_t *data;
};

int blk_open(struct blk *b, unsigned slot, unsigned mode, unsigned qsize, uint32_t reqsize)
{
    int r = virtio_init(&b->dev, slot, VIRTIO_BLK_ID, VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO, mode);
    if (r)
        return r;
    r = virtq_setup(&b->dev, &b->q, 0, qsize);
    if (r)
        return r;
    /* Every request needs three descriptors, or one pointing at its own table. */
    unsigned n = b->dev.indirect ? b->q.num : b->q.num / 3;
    size_t per = sizeof(struct blk_slot) + reqsize + 64;
    size_t fit = rt_heap_avail(4096) / per;
    if (n > fit)
        n = fit;
    if (n == 0) {
        virtio_fail(&b->dev);
        return EXIT_NO_MEMORY;
    }
    b->nslots = n;
    b->reqsize = reqsize;
    b->requests = 0;
    b->slots = rt_alloc(n * sizeof(struct blk_slot), 16);
    for (unsigned i = 0; b->slots && i < n; i++)
        if (!(b->slots[i].data = rt_alloc(reqsize, 64)))
            b->slots = NULL;
    if (!b->slots) {
        virtio_fail(&b->dev);
        return EXIT_NO_MEMORY;
    }
    b->capacity = virtio_config_read64(&b->dev, 0);
    return virtio_start(&b->dev);
}

static void submit(struct blk *b, unsigned s, uint32_t type, uint64_t sector, uint32_t len, int device_writes)
{
    struct blk_slot *sl = &b->slots[s];
    sl->hdr.type = type;
    sl->hdr.reserved = 0;
    sl->hdr.sector = sector;
    sl->status = 0xff;
    sl->busy = 1;
    sl->done = 0;
    sl->len = len;

    struct virtq_desc *t = b->dev.indirect ? sl->table : &b->q.desc[3 * s];
    uint16_t base = b->dev.indirect ? 0 : 3 * s;
    unsigned n = 0;
    t[n] = (struct virtq_desc){(uintptr_t)&sl->hdr, sizeof sl->hdr, VIRTQ_DESC_F_NEXT, base + 1};
    n++;
    if (len) {
        uint16_t f = VIRTQ_DESC_F_NEXT | (device_writes ? VIRTQ_DESC_F_WRITE : 0);
        t[n] = (struct virtq_desc){(uintptr_t)sl->data, len, f, base + n + 1};
        n++;
    }
    t[n] = (struct virtq_desc){(uintptr_t)&sl->status, 1, VIRTQ_DESC_F_WRITE, 0};
    n++;
    if (b->dev.indirect) {
        b->q.desc[s] = (struct virtq_desc){(uintptr_t)sl->table, n * sizeof *t, VIRTQ_DESC_F_INDIRECT, 0};
        virtq_push(&b->q, s);
    } else {
        virtq_push(&b->q, 3 * s);
    }
    b->requests++;
}

/* Marks the slot of every used element done; returns how many there were, or -EXIT_ code. */
static int reap(struct blk *b)
{
    uint32_t id, len;
    int got = 0;
    while (virtq_pop(&b->q, &id, &len)) {
        unsigned s = b->dev.indirect ? id : id / 3;
        if ((!b->dev.indirect && id % 3) || s >= b->nslots || !b->slots[s].busy || b->slots[s].done)
            return -EXIT_VIRTIO_USED;
        b->slots[s].done = 1;
        got++;
    }
    return got;
}

int blk_transfer(struct blk *b, int write, uint64_t sector, uint64_t nbytes, blk_fill_fn fill,
                 blk_check_fn check)
{
    uint64_t nreq = (nbytes + b->reqsize - 1) / b->reqsize;
    uint64_t submitted = 0, finished = 0;
    while (finished < nreq) {
        while (submitted < nreq && submitted - finished < b->nslots) {
            unsigned s = submitted % b->nslots;
            uint64_t off = submitted * b->reqsize;
            uint32_t len = nbytes - off < b->reqsize ? (uint32_t)(nbytes - off) : b->reqsize;
            b->slots[s].offset = off;
            if (write && fill)
                fill(b->slots[s].data, off, len);
            submit(b, s, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector + off / 512, len, !write);
            submitted++;
        }
        virtq_kick(&b->q);
        int got = reap(b);
        if (got < 0)
            return -got;
        /* Completions may come in any order; data is handed on in disk order. */
        while (finished < submitted && b->slots[finished % b->nslots].done) {
            struct blk_slot *sl = &b->slots[finished % b->nslots];
            barrier();
            if (sl->status != VIRTIO_BLK_S_OK)
                return EXIT_BLK_STATUS;
            if (!write && check) {
                int r = check(sl->data, sl->offset, sl->len);
                if (r)
                    return r;
            }
            sl->busy = sl->done = 0;
            finished++;
        }
        if (got == 0)
            virtq_wait(&b->q);
    }
    return 0;
}

int blk_flush(struct blk *b, uint8_t *status)
{
    submit(b, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
    virtq_kick(&b->q);
    int got;
    while ((got = reap(b)) == 0)
        virtq_wait(&b->q);
    if (got < 0)
        return -got;
    *status = b->slots[0].status;
    b->slots[0].busy = b->slots[0].done = 0;
    return *status == VIRTIO_BLK_S_OK ? 0 : EXIT_BLK_FLUSH;
}
