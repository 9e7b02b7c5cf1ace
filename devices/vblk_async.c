/*
 * vblk_async.c - virtio-blk requests in flight on the host (see
 * virtio_blk.h, "Asynchronous requests"): the record of each request handed
 * to host_blk_submit() (its chain, its buffer, its tag), and the completion
 * the host delivers at an event of its own.
 *
 * The device stays a pure state machine: it never knows whether the host
 * runs the request on a thread (the recorder) or replays its completion
 * from the log (the replayer); it only sees submit now and complete later,
 * in an order the host decides and the log fixes.  Tags are a per-device
 * counter (1, 2, ...), never reset, so a completion that arrives after a
 * driver reset cannot be mistaken for a new request with the same head.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_blk_int.h"

#define ISR_QUEUE 0x01
#define ISR_CONFIG 0x02

struct vblk_inflight {
	struct vblk_inflight *next;
	uint64_t tag;
	uint64_t st_addr;     /* the chain's status byte */
	uint64_t len;         /* data bytes */
	enum blk_op op;
	uint16_t head;
	bool orphan;          /* the driver reset the device meanwhile */
	uint8_t *buf;         /* len bytes (NULL for a flush) */
	unsigned nseg;
	struct virtq_seg segs[]; /* the chain, for a read's data */
};

/* A request buffer of VIRTIO_BLK_MAX_BYTES: a kept one, or a new one.  Its
 * contents are whatever the last request left: every user fills the `len`
 * bytes it reads (the guest's data for a write, the host's for a read)
 * before anything reads them. */
static uint8_t *buf_get(struct virtio_blk *vb)
{
	if (vb->nspare)
		return vb->spare[--vb->nspare];
	return malloc(VIRTIO_BLK_MAX_BYTES);
}

static void buf_put(struct virtio_blk *vb, uint8_t *buf)
{
	if (buf && vb->nspare < VBLK_SPARE_BUFS)
		vb->spare[vb->nspare++] = buf;
	else
		free(buf);
}

void vblk_free_spares(struct virtio_blk *vb)
{
	while (vb->nspare)
		free(vb->spare[--vb->nspare]);
}

static void inflight_free(struct virtio_blk *vb, struct vblk_inflight *f)
{
	buf_put(vb, f->buf);
	free(f);
}

int vblk_submit(struct virtio_blk *vb, const struct host *h, const struct blk_req *r,
		uint16_t head, uint64_t st_addr, uint64_t len)
{
	struct vblk_inflight *f = calloc(1, sizeof(*f) + vb->nseg * sizeof(f->segs[0]));

	if (!f)
		return VIRTIO_BLK_S_IOERR;
	if (len > VIRTIO_BLK_MAX_BYTES)
		goto fail;
	if (len) {
		f->buf = buf_get(vb);
		if (!f->buf)
			goto fail;
	}
	/* a write's data leaves the guest now, in the exit that issued it */
	if (r->op == BLK_OP_WRITE &&
	    vblk_area_io(vb, h, false, 16, f->buf, len, false))
		goto fail;
	f->tag = ++vb->next_tag;
	f->st_addr = st_addr;
	f->len = len;
	f->op = r->op;
	f->head = head;
	f->nseg = vb->nseg;
	memcpy(f->segs, vb->segs, vb->nseg * sizeof(f->segs[0]));
	if (host_blk_submit(h, r, f->buf, f->tag))
		goto fail;
	f->next = vb->inflight;
	vb->inflight = f;
	vb->nflight++;
	return VBLK_PENDING;
fail:
	inflight_free(vb, f);
	return VIRTIO_BLK_S_IOERR;
}

void vblk_orphan_all(struct virtio_blk *vb)
{
	for (struct vblk_inflight *f = vb->inflight; f; f = f->next)
		f->orphan = true;
}

void vblk_free_all(struct virtio_blk *vb)
{
	while (vb->inflight) {
		struct vblk_inflight *f = vb->inflight;

		vb->inflight = f->next;
		inflight_free(vb, f);
	}
	vb->nflight = 0;
}

/* Take the request with `tag` off the list; NULL when there is none. */
static struct vblk_inflight *inflight_take(struct virtio_blk *vb, uint64_t tag)
{
	for (struct vblk_inflight **p = &vb->inflight; *p; p = &(*p)->next) {
		struct vblk_inflight *f = *p;

		if (f->tag == tag) {
			*p = f->next;
			return f;
		}
	}
	return NULL;
}

/* Finish request f on the ring; 0, -EIO (error status) or a ring error. */
static int complete_one(struct virtio_blk *vb, const struct host *h,
			struct vblk_inflight *f, int status)
{
	uint8_t st = status ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	uint32_t written = 0;

	if (!status && f->op == BLK_OP_READ) {
		memcpy(vb->segs, f->segs, f->nseg * sizeof(f->segs[0]));
		vb->nseg = f->nseg;
		if (vblk_area_io(vb, h, true, 0, f->buf, f->len, true))
			st = VIRTIO_BLK_S_IOERR;
		else
			written = (uint32_t)f->len;
	}
	if (host_dma_write(h, vb->name, f->st_addr, &st, 1))
		return -EFAULT;
	if (virtq_push(&vb->vq, h, vb->name, f->head, written + 1))
		return -EFAULT;
	return st == VIRTIO_BLK_S_OK ? 0 : -EIO;
}

int virtio_blk_complete(struct virtio_blk *vb, const struct host *h, uint64_t tag,
			int status)
{
	struct vblk_inflight *f = inflight_take(vb, tag);
	uint16_t flags = 0;
	int rc = 0, n;

	if (!f)
		return -ENOENT;
	vb->nflight--;
	if (f->orphan || (vb->status & VIRTIO_STATUS_NEEDS_RESET) || !virtq_ready(&vb->vq)) {
		inflight_free(vb, f); /* touches nothing (docs/virtio-blk.md) */
	} else {
		rc = complete_one(vb, h, f, status);
		inflight_free(vb, f);
		if (rc == 0 || rc == -EIO) {
			/* 2.7.7.2: the suppression flag as read after used->idx */
			n = virtq_avail(&vb->vq, h, vb->name, &flags);
			if (n < 0)
				rc = n;
			else if (!(flags & VIRTQ_AVAIL_F_NO_INTERRUPT))
				vb->isr |= ISR_QUEUE;
		}
		if (rc && rc != -EIO) {
			vb->status |= VIRTIO_STATUS_NEEDS_RESET;
			vb->isr |= ISR_CONFIG;
		}
		vblk_irq_update(vb, h);
	}
	/* a notify stopped at VBLK_MAX_INFLIGHT: one is free now */
	if (vb->kick_pending && virtq_ready(&vb->vq) &&
	    !(vb->status & VIRTIO_STATUS_NEEDS_RESET)) {
		int r2;

		vb->kick_pending = false;
		r2 = vblk_serve_queue(vb, h);
		if (r2 && r2 != -EIO)
			rc = r2;  /* a ring error outranks a request's -EIO */
		else if (!rc)
			rc = r2;
	}
	return rc;
}
