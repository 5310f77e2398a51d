/* What the hostile guests share: the per-attack records the host reads from guest memory after
 * the run (guests/README.md says what each word means for each attack). */
#ifndef HOSTILE_H
#define HOSTILE_H

#include "jvmm.h"

/* Record n lives at offset HOSTILE_RECORDS + 64 n of the parameter block (guest-physical
 * 0x800 + 64 n), in the part of its page that docs/machine.md leaves to the guest; the last one
 * ends where the page tables start (0x1000). */
#define HOSTILE_RECORDS 0x200u
#define HOSTILE_MAX_ATTACK 31
#define HOSTILE_TAG 0x4b5441ull          /* "ATK" */

struct hostile_record {
    uint64_t tag;                         /* HOSTILE_TAG << 32 | attack number, written last */
    uint64_t w[7];                        /* observations */
};
_Static_assert(sizeof(struct hostile_record) == 64, "records are 64 bytes");

static inline volatile struct hostile_record *hostile_record(unsigned attack)
{
    return (volatile struct hostile_record *)((uintptr_t)params + HOSTILE_RECORDS + 64u * attack);
}

static inline void hostile_clear_records(void)
{
    for (unsigned a = 0; a <= HOSTILE_MAX_ATTACK; a++) {
        volatile struct hostile_record *r = hostile_record(a);
        r->tag = 0;
        for (int i = 0; i < 7; i++)
            r->w[i] = 0;
    }
}

/* The record is complete: the host treats an attack without its tag as never finished. */
static inline void hostile_done(unsigned attack)
{
    barrier();
    hostile_record(attack)->tag = HOSTILE_TAG << 32 | attack;
}

#endif
