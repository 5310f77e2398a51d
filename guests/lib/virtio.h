/* virtio-mmio (version 2) driver with split virtqueues, VIRTIO 1.2 sections 2.7 and 4.2. Ring 3. */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "jvmm.h"

#define VIRTIO_MMIO_BASE 0xd0000000u
#define VIRTIO_MMIO_SLOT_SIZE 0x1000u
#define VIRTIO_MMIO_IRQ_BASE 5           /* slot i uses GSI 5 + i */

/* register offsets */
#define VMMIO_MAGIC 0x000
#define VMMIO_VERSION 0x004
#define VMMIO_DEVICE_ID 0x008
#define VMMIO_DEVICE_FEATURES 0x010
#define VMMIO_DEVICE_FEATURES_SEL 0x014
#define VMMIO_DRIVER_FEATURES 0x020
#define VMMIO_DRIVER_FEATURES_SEL 0x024
#define VMMIO_QUEUE_SEL 0x030
#define VMMIO_QUEUE_NUM_MAX 0x034
#define VMMIO_QUEUE_NUM 0x038
#define VMMIO_QUEUE_READY 0x044
#define VMMIO_QUEUE_NOTIFY 0x050
#define VMMIO_INTERRUPT_STATUS 0x060
#define VMMIO_INTERRUPT_ACK 0x064
#define VMMIO_STATUS 0x070
#define VMMIO_QUEUE_DESC_LOW 0x080
#define VMMIO_QUEUE_DESC_HIGH 0x084
#define VMMIO_QUEUE_DRIVER_LOW 0x090
#define VMMIO_QUEUE_DRIVER_HIGH 0x094
#define VMMIO_QUEUE_DEVICE_LOW 0x0a0
#define VMMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VMMIO_CONFIG_GENERATION 0x0fc
#define VMMIO_CONFIG 0x100

#define VIRTIO_MAGIC 0x74726976u          /* "virt" */

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* args[1] bits shared by the virtio guests */
#define VIO_MODE_EVENT_IDX 1u
#define VIO_MODE_IRQ 2u
#define VIO_MODE_INDIRECT 4u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtio_dev {
    uintptr_t base;
    unsigned irq;
    uint64_t features;                    /* negotiated */
    int event_idx, use_irq, indirect;
};

struct virtq {
    struct virtio_dev *dev;
    uint16_t index;
    uint16_t num;                         /* queue size, a power of two */
    struct virtq_desc *desc;
    volatile uint16_t *avail;             /* flags, idx, ring[num], used_event */
    volatile uint16_t *used;              /* flags, idx, then ring[num] of virtq_used_elem, avail_event */
    uint16_t next_avail;                  /* our avail->idx, not yet necessarily published */
    uint16_t published;                   /* the avail->idx the device has seen */
    uint16_t last_used;                   /* next used ring entry to consume */
    uint64_t notifies;                    /* QueueNotify writes */
};

/* Checks the slot, resets and negotiates: VERSION_1, EVENT_IDX / INDIRECT_DESC as mode asks
 * (an error if not offered), plus whichever of dev_features the device offers. Leaves the device at
 * FEATURES_OK. Returns 0 or an EXIT_ code. */
int virtio_init(struct virtio_dev *d, unsigned slot, uint32_t device_id, uint64_t dev_features,
                unsigned mode);
/* Allocates and programs queue index with at most max_size entries (0 = 256), capped by QueueNumMax. */
int virtq_setup(struct virtio_dev *d, struct virtq *q, unsigned index, unsigned max_size);
/* DRIVER_OK, and in interrupt mode the interrupt handler. Returns 0 or an EXIT_ code. */
int virtio_start(struct virtio_dev *d);
void virtio_fail(struct virtio_dev *d);  /* sets FAILED */

uint32_t virtio_config_read32(struct virtio_dev *d, unsigned offset);
uint64_t virtio_config_read64(struct virtio_dev *d, unsigned offset);

/* Puts a descriptor chain head into the avail ring (not yet visible to the device). */
ALWAYS_INLINE void virtq_push(struct virtq *q, uint16_t head)
{
    q->avail[2 + (q->next_avail & (q->num - 1))] = head;
    q->next_avail++;
}
/* Publishes pushed heads and notifies the device unless it suppressed notifications. */
void virtq_kick(struct virtq *q);
/* Takes the next used element; 0 if there is none. */
int virtq_pop(struct virtq *q, uint32_t *id, uint32_t *len);
/* Waits until a used element is there: spins on the used index, or sleeps until an interrupt. */
void virtq_wait(struct virtq *q);

#endif
