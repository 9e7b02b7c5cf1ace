/*
 * virtq.h - the device side of one split virtqueue (virtio 1.x sections 2.7
 * "Split Virtqueues"): placed by a legacy PFN (2.7.2 / 4.1.5.1: descriptor
 * table at pfn*4096, the available ring right after it, the used ring at the
 * next 4096-byte boundary) or, by a modern transport, at three separate
 * addresses with a driver-chosen size (virtq_set_rings).
 *
 * Every access to the rings goes through host_dma_read/host_dma_write on
 * behalf of the owning device: the walker keeps no pointer into guest
 * memory, and a ring or descriptor outside guest RAM comes back as -EFAULT,
 * never as a host access.  Malformed rings are reported, never followed:
 * a chain is bounded by the queue size (a loop or an over-long chain is
 * -ELOOP), descriptor indexes are range-checked, and a readable descriptor
 * after a writable one, an indirect descriptor (VIRTQ_DESC_F_INDIRECT is not
 * offered) or an avail index that runs more than a queue ahead is -EINVAL.
 *
 * Not implemented: VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC,
 * packed virtqueues.
 */
#ifndef EXITLOG_VIRTQ_H
#define EXITLOG_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

#define VIRTQ_LEGACY_ALIGN 4096u
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* One buffer of a descriptor chain. */
struct virtq_seg {
	uint64_t addr;
	uint32_t len;
	bool write; /* device-writable */
};

struct virtq {
	uint16_t size;       /* descriptors; a power of two */
	uint16_t max_size;   /* size at virtq_init (the device's maximum) */
	uint32_t pfn;        /* legacy queue PFN; 0 = not set up by PFN */
	bool ready;          /* rings placed (by PFN or by virtq_set_rings) */
	uint64_t desc, avail, used; /* guest-physical ring addresses */
	uint16_t last_avail; /* next available-ring slot to consume */
	uint16_t used_idx;   /* the device's copy of used->idx */
};

/* An unconfigured queue of `size` descriptors (power of two, <= 32768). */
void virtq_init(struct virtq *q, uint16_t size);
/* Place the rings at pfn * 4096 (legacy layout) and restart both indexes at
 * 0; pfn 0 takes the queue down. */
void virtq_set_pfn(struct virtq *q, uint32_t pfn);
static inline bool virtq_ready(const struct virtq *q) { return q->ready; }
/*
 * Modern (virtio 1.x 4.1.4.3) queue placement: `size` descriptors (a power
 * of two, 1..q's size at virtq_init) with the three rings at the given
 * guest-physical addresses; both indexes restart at 0.  -EINVAL for a bad
 * size (the queue is left down).
 */
int virtq_set_rings(struct virtq *q, uint16_t size, uint64_t desc,
		    uint64_t avail, uint64_t used);
/* Take the queue down (as after a device reset), keeping its maximum size. */
void virtq_disable(struct virtq *q);

/*
 * Read the available ring's flags and idx.  Returns the number of chains
 * waiting (0..size) and sets *flags, -EFAULT when the ring is outside guest
 * RAM, -EINVAL when idx is more than `size` ahead of what was consumed.
 */
int virtq_avail(struct virtq *q, const struct host *h, const char *dev,
		uint16_t *flags);

/*
 * Consume the next available chain: read its head index and walk it into
 * segs[0..max) (max >= q->size suffices for any legal chain), setting
 * *head and *nseg.  Returns 0; -EFAULT (ring or descriptor table outside
 * RAM), -ELOOP (more than min(size, max) descriptors: a loop or an
 * over-long chain), -EINVAL (index out of range, indirect descriptor,
 * readable after writable).  On -ELOOP/-EINVAL with a known head, *head is
 * set; the chain counts as consumed either way.
 */
int virtq_pop(struct virtq *q, const struct host *h, const char *dev,
	      struct virtq_seg *segs, unsigned max, uint16_t *head, unsigned *nseg);

/* Publish a used element {head, len} and the new used->idx.  0 or -EFAULT. */
int virtq_push(struct virtq *q, const struct host *h, const char *dev,
	       uint16_t head, uint32_t len);

#endif
