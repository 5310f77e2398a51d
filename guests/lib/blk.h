/* virtio-blk requests over the split ring: header + data + status, or one indirect descriptor. */
#ifndef BLK_H
#define BLK_H

#include "virtio.h"

#define VIRTIO_BLK_ID 2
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0

struct blk_slot;

struct blk {
    struct virtio_dev dev;
    struct virtq q;
    struct blk_slot *slots;
    unsigned nslots;                      /* requests in flight at most */
    uint32_t reqsize;
    uint64_t capacity;                    /* in 512-byte sectors */
    uint64_t requests;
};

/* Negotiates (offering FLUSH), sets up queue 0 and the request slots, DRIVER_OK. 0 or EXIT_ code. */
int blk_open(struct blk *b, unsigned slot, unsigned mode, unsigned qsize, uint32_t reqsize);

/* For writes, fill() provides the data of each request before it is queued; for reads, check()
 * sees each request's data in disk order once it completed (returns 0 or an EXIT_ code). */
typedef void (*blk_fill_fn)(uint8_t *data, uint64_t offset, uint32_t len);
typedef int (*blk_check_fn)(const uint8_t *data, uint64_t offset, uint32_t len);
int blk_transfer(struct blk *b, int write, uint64_t sector, uint64_t nbytes, blk_fill_fn fill,
                 blk_check_fn check);

/* VIRTIO_BLK_T_FLUSH; returns 0 or an EXIT_ code, the status byte in *status. */
int blk_flush(struct blk *b, uint8_t *status);

#endif
