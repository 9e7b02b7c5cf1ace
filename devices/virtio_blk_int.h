/*
 * virtio_blk_int.h - what virtio_blk.c (registers, the notify, synchronous
 * requests) and vblk_async.c (requests in flight on the host's IO thread,
 * their completion) share: the device's struct and a few helpers.  Not for
 * use outside devices/.
 */
#ifndef EXITLOG_VIRTIO_BLK_INT_H
#define EXITLOG_VIRTIO_BLK_INT_H

#include "devices/virtio_blk.h"
#include "devices/virtq.h"

/* Legacy IO BAR registers. */
#define REG_DEVICE_FEATURES 0x00
#define REG_GUEST_FEATURES 0x04
#define REG_QUEUE_PFN 0x08
#define REG_QUEUE_SIZE 0x0c
#define REG_QUEUE_SEL 0x0e
#define REG_QUEUE_NOTIFY 0x10
#define REG_STATUS 0x12
#define REG_ISR 0x13
#define REG_CONFIG 0x14

#define ISR_QUEUE 0x01
#define ISR_CONFIG 0x02

#define DEVICE_FEATURES ((1u << VIRTIO_BLK_F_SIZE_MAX) | \
			 (1u << VIRTIO_BLK_F_SEG_MAX) | \
			 (1u << VIRTIO_BLK_F_FLUSH))

#define HDR_BYTES 16u
/* Chains one notify serves at most (then the rest waits for the next notify,
 * which the driver sends: the device never sets VRING_USED_F_NO_NOTIFY). */
#define VBLK_NOTIFY_BUDGET (4u * VIRTIO_BLK_QUEUE_SIZE)

struct vblk_inflight;

/*
 * Requests in flight a device allows at once, requests of before a reset
 * included (the host still owns their buffers, up to VIRTIO_BLK_MAX_BYTES
 * each): a driver cannot have more chains outstanding than the queue has
 * descriptors, but a hostile one can make the same chain available again
 * and again, or reset and start over, without waiting.  At the bound the
 * notify stops taking chains (they stay available) and each completion
 * serves the queue again: back-pressure, not an error (QEMU bounds its
 * elements in use by the queue size too, and fails the device past it).
 */
#define VBLK_MAX_INFLIGHT VIRTIO_BLK_QUEUE_SIZE

/* Request buffers a device keeps for reuse (vblk_async.c), as many as it
 * may have requests in flight (VBLK_MAX_INFLIGHT, above): a fresh 512 KiB
 * buffer per request cost a mapping and a page fault per 4 KiB written
 * (ASan's allocator maps and poisons each one; glibc does too until its
 * mmap threshold has grown), ten times the fuzz target's own work.  A kept
 * buffer holds only the pages its requests touched. */
#define VBLK_SPARE_BUFS VBLK_MAX_INFLIGHT

struct virtio_blk {
	const char *name;
	int disk;
	uint64_t nsectors;
	int irq;
	uint32_t guest_features;
	uint16_t queue_sel;
	uint8_t status;
	uint8_t isr;
	bool irq_level; /* level last driven with host_irq_set */
	struct virtq vq;
	struct virtq_seg segs[VIRTIO_BLK_QUEUE_SIZE]; /* the chain being served */
	unsigned nseg;
	uint8_t id[VIRTIO_BLK_ID_BYTES];
	uint8_t *buf; /* bounce buffer, VIRTIO_BLK_MAX_BYTES */
	struct vblk_inflight *inflight; /* requests handed to the host, newest first */
	unsigned nflight;     /* how many (reset-away ones included) */
	bool kick_pending;    /* a notify stopped at VBLK_MAX_INFLIGHT: serve the
			       * queue again at the next completion */
	uint64_t next_tag;    /* tag of the last request submitted (never reset) */
	/* request buffers (VIRTIO_BLK_MAX_BYTES each) of finished requests,
	 * kept for the next ones: host memory, never guest-visible state */
	uint8_t *spare[VBLK_SPARE_BUFS];
	unsigned nspare;
};



/* vblk_serve()/vblk_submit(): the request was handed to the host. */
#define VBLK_PENDING 0x100

uint64_t vblk_get_le(const uint8_t *p, unsigned n);
/* Drive the line to follow the ISR, only on a change. */
void vblk_irq_update(struct virtio_blk *vb, const struct host *h);
/* Free the kept request buffers (at destroy). */
void vblk_free_spares(struct virtio_blk *vb);
/* Copy between buf and the chain in vb->segs (see virtio_blk.c). */
int vblk_area_io(struct virtio_blk *vb, const struct host *h, bool write_area,
		 uint64_t skip, void *buf, uint64_t len, bool to_guest);

/*
 * Hand request *r of the chain in vb->segs (head, status byte at st_addr,
 * `len` data bytes) to the host's IO thread: a write's data is read from
 * the guest now, into a buffer of its own.  Returns VBLK_PENDING, or a
 * VIRTIO_BLK_S_* status when the request ends here (its data outside RAM,
 * no memory, the host refused it).
 */
int vblk_submit(struct virtio_blk *vb, const struct host *h, const struct blk_req *r,
		uint16_t head, uint64_t st_addr, uint64_t len);
/* Device reset: requests in flight are forgotten (their completions, when
 * they come, touch nothing); their buffers live until then. */
void vblk_orphan_all(struct virtio_blk *vb);
/* Destroy: free every request record (the host has no request left). */
void vblk_free_all(struct virtio_blk *vb);
/* Serve queue 0 as a notify does (vblk_notify in virtio_blk.c): 0 or -errno. */
int vblk_serve_queue(struct virtio_blk *vb, const struct host *h);

#endif
