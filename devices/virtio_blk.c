/*
 * virtio_blk.c - virtio-blk over legacy virtio-pci (see virtio_blk.h for
 * the register map, the request format and the error policy).
 *
 * Spec sections followed (virtio 1.x): 2.1 device status (2.1.2
 * DEVICE_NEEDS_RESET), 2.7 split virtqueues (via virtq.c), 4.1.4.8 legacy
 * PCI layout, 4.1.5.1 legacy virtqueue layout, 4.1.5.3 / 4.1.4.5 ISR
 * (read-to-clear, INTx), 5.2 block device (5.2.4 config layout, 5.2.6
 * request format, 5.2.6.1 / 5.2.6.2 device requirements).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_blk_int.h"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t vblk_get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

struct virtio_blk *virtio_blk_create(const char *name, int disk,
				     uint64_t nsectors, int irq)
{
	struct virtio_blk *vb = calloc(1, sizeof(*vb));
	char id[VIRTIO_BLK_ID_BYTES + 1];

	if (!vb)
		return NULL;
	vb->buf = malloc(VIRTIO_BLK_MAX_BYTES);
	if (!vb->buf)
		goto fail;
	vb->name = name;
	vb->disk = disk;
	vb->nsectors = nsectors;
	vb->irq = irq;
	snprintf(id, sizeof(id), "exitlog-%s", name);
	memcpy(vb->id, id, strlen(id)); /* zero padded, not terminated at 20 */
	virtio_blk_reset(vb);
	return vb;
fail:
	free(vb);
	return NULL;
}

void virtio_blk_reset(struct virtio_blk *vb)
{
	vblk_orphan_all(vb);
	vb->kick_pending = false;
	vb->guest_features = 0;
	vb->queue_sel = 0;
	vb->status = 0;
	vb->isr = 0;
	vb->irq_level = false;
	vb->nseg = 0;
	virtq_init(&vb->vq, VIRTIO_BLK_QUEUE_SIZE);
}

void virtio_blk_destroy(struct virtio_blk *vb)
{
	if (!vb)
		return;
	vblk_free_all(vb);
	vblk_free_spares(vb);
	free(vb->buf);
	free(vb);
}

void virtio_blk_pci_desc(const struct virtio_blk *vb, uint16_t io_base,
			 struct pci_function_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->name = vb->name;
	d->vendor = 0x1af4;
	d->device = 0x1001;        /* transitional virtio-blk */
	d->subsys_vendor = 0x1af4;
	d->subsys_device = 2;      /* virtio device id: block */
	d->class_code = 0x018000;  /* mass storage, other */
	d->revision = 0;           /* legacy ABI version */
	d->bars[0].addr = io_base;
	d->bars[0].size = VIRTIO_BLK_IO_SIZE;
	d->bars[0].io = true;
	d->irq = vb->irq;
}

/* Drive the line to follow the ISR, only on a change. */
void vblk_irq_update(struct virtio_blk *vb, const struct host *h)
{
	bool level = vb->isr != 0;

	if (level != vb->irq_level) {
		vb->irq_level = level;
		host_irq_set(h, vb->irq, level);
	}
}

/*
 * Copy `len` bytes between buf and the chain's readable (write_area false)
 * or writable (true) buffers, starting `skip` bytes into that area.
 */
int vblk_area_io(struct virtio_blk *vb, const struct host *h, bool write_area,
		 uint64_t skip, void *buf, uint64_t len, bool to_guest)
{
	uint8_t *p = buf;

	for (unsigned i = 0; i < vb->nseg && len; i++) {
		const struct virtq_seg *s = &vb->segs[i];
		uint64_t chunk;
		int rc;

		if (s->write != write_area)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		if (s->addr > UINT64_MAX - s->len)
			return -EFAULT;
		chunk = s->len - skip < len ? s->len - skip : len;
		if (to_guest)
			rc = host_dma_write(h, vb->name, s->addr + skip, p, chunk);
		else
			rc = host_dma_read(h, vb->name, s->addr + skip, p, chunk);
		if (rc)
			return -EFAULT;
		p += chunk;
		len -= chunk;
		skip = 0;
	}
	return len ? -EFAULT : 0;
}

/* Check a data transfer; fill *r. Returns a VIRTIO_BLK_S_* value. */
static int rw_check(const struct virtio_blk *vb, struct blk_req *r,
		    enum blk_op op, uint64_t sector, uint64_t len)
{
	uint64_t n = len / SECTOR_SIZE;

	if (len % SECTOR_SIZE || len > VIRTIO_BLK_MAX_BYTES)
		return VIRTIO_BLK_S_IOERR;
	if (sector > vb->nsectors || n > vb->nsectors - sector)
		return VIRTIO_BLK_S_IOERR;
	r->disk = vb->disk;
	r->device = vb->name;
	r->op = op;
	r->sector = sector;
	r->nsectors = (uint32_t)n;
	return VIRTIO_BLK_S_OK;
}

/*
 * Execute the chain in vb->segs.  Returns a VIRTIO_BLK_S_* value and sets
 * *written (data bytes written to the guest), or -EINVAL when the chain has
 * no status byte.
 */
static int vblk_execute(struct virtio_blk *vb, const struct host *h, uint16_t head,
			uint64_t st_addr, uint64_t rlen, uint64_t wlen, uint32_t *written)
{
	uint8_t hdr[HDR_BYTES];
	struct blk_req r = { 0 };
	uint64_t in_len = wlen - 1, out_len, sector;
	uint32_t type;
	int st;

	*written = 0;
	if (rlen < HDR_BYTES || vblk_area_io(vb, h, false, 0, hdr, HDR_BYTES, false))
		return VIRTIO_BLK_S_IOERR;
	type = (uint32_t)vblk_get_le(hdr, 4);
	sector = vblk_get_le(hdr + 8, 8);
	out_len = rlen - HDR_BYTES;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		st = rw_check(vb, &r, BLK_OP_READ, sector, in_len);
		if (st || !in_len)
			return st;
		if (host_blk_async(h))
			return vblk_submit(vb, h, &r, head, st_addr, in_len);
		if (host_blk_read(h, &r, vb->buf))
			return VIRTIO_BLK_S_IOERR;
		if (vblk_area_io(vb, h, true, 0, vb->buf, in_len, true))
			return VIRTIO_BLK_S_IOERR;
		*written = (uint32_t)in_len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		st = rw_check(vb, &r, BLK_OP_WRITE, sector, out_len);
		if (st || !out_len)
			return st;
		if (host_blk_async(h))
			return vblk_submit(vb, h, &r, head, st_addr, out_len);
		if (vblk_area_io(vb, h, false, HDR_BYTES, vb->buf, out_len, false))
			return VIRTIO_BLK_S_IOERR;
		return host_blk_write(h, &r, vb->buf) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		r.disk = vb->disk;
		r.device = vb->name;
		r.op = BLK_OP_FLUSH;
		if (host_blk_async(h))
			return vblk_submit(vb, h, &r, head, st_addr, 0);
		return host_blk_flush(h, &r) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t n = in_len < VIRTIO_BLK_ID_BYTES ? in_len : VIRTIO_BLK_ID_BYTES;

		if (vblk_area_io(vb, h, true, 0, vb->id, n, true))
			return VIRTIO_BLK_S_IOERR;
		*written = (uint32_t)n;
		return VIRTIO_BLK_S_OK;
	}
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*
 * Serve the chain in vb->segs and complete it on the used ring.  Returns 0
 * (status OK), -EIO (completed with an error status), VBLK_PENDING (handed
 * to the host: virtio_blk_complete() finishes it), or a ring error.
 */
static int vblk_serve(struct virtio_blk *vb, const struct host *h, uint16_t head)
{
	const struct virtq_seg *last = &vb->segs[vb->nseg - 1];
	uint64_t rlen = 0, wlen = 0, st_addr;
	uint32_t written;
	uint8_t st;
	int rc;

	for (unsigned i = 0; i < vb->nseg; i++) {
		if (vb->segs[i].write)
			wlen += vb->segs[i].len;
		else
			rlen += vb->segs[i].len;
	}
	if (!last->write || !last->len || last->addr > UINT64_MAX - last->len)
		return -EINVAL; /* nowhere to put the status */
	st_addr = last->addr + last->len - 1;
	rc = vblk_execute(vb, h, head, st_addr, rlen, wlen, &written);
	if (rc == VBLK_PENDING)
		return VBLK_PENDING;
	st = (uint8_t)rc;
	if (host_dma_write(h, vb->name, st_addr, &st, 1))
		return -EFAULT;
	if (virtq_push(&vb->vq, h, vb->name, head, written + 1))
		return -EFAULT;
	return st == VIRTIO_BLK_S_OK ? 0 : -EIO;
}

/*
 * Queue notify: complete every available chain, looking at avail->idx again
 * after each pass (chains another vCPU made available meanwhile are served
 * by this notify, up to VBLK_NOTIFY_BUDGET chains), then decide on the
 * interrupt.  Used buffer notification suppression (2.7.7.2, no EVENT_IDX):
 * the avail flags are read AFTER the used ring and used->idx are written
 * -- the avail read that ends the last pass -- never before serving: a
 * driver that re-enables callbacks while the chains are served (Linux's
 * virtqueue_enable_cb from virtblk_done on another vCPU) checks used->idx
 * once and then relies on the interrupt for everything published later.
 */
static int vblk_notify(struct virtio_blk *vb, const struct host *h, uint16_t queue)
{
	if (queue != 0 || !virtq_ready(&vb->vq))
		return -EINVAL;
	if (vb->status & VIRTIO_STATUS_NEEDS_RESET)
		return -EIO; /* broken until the driver resets the device */
	return vblk_serve_queue(vb, h);
}

/*
 * The body of a notify (and of a completion that finds kick_pending): with
 * VBLK_MAX_INFLIGHT requests in flight it stops taking chains and sets
 * kick_pending; the flags are then read once more, after the last used
 * ring write.
 */
int vblk_serve_queue(struct virtio_blk *vb, const struct host *h)
{
	unsigned completed = 0, served = 0;
	uint16_t flags = 0, head;
	int n, rc = 0, ret = 0;
	bool full = false;

	for (;;) {
		n = virtq_avail(&vb->vq, h, vb->name, &flags);
		if (full && n > 0)
			n = 0; /* the flags read after the used ring; the chains wait */
		if (n <= 0 || served >= VBLK_NOTIFY_BUDGET) {
			if (n < 0)
				rc = n;
			break;
		}
		for (int i = 0; i < n && !rc; i++) {
			if (vb->nflight >= VBLK_MAX_INFLIGHT) {
				vb->kick_pending = true;
				full = true;
				break;
			}
			rc = virtq_pop(&vb->vq, h, vb->name, vb->segs,
				       VIRTIO_BLK_QUEUE_SIZE, &head, &vb->nseg);
			if (!rc)
				rc = vblk_serve(vb, h, head);
			served++;
			if (rc == VBLK_PENDING) {
				rc = 0;
				continue;
			}
			if (rc == 0 || rc == -EIO) {
				completed++;
				if (rc)
					ret = rc;
				rc = 0;
			}
		}
		if (rc)
			break;
	}
	if (rc) {
		/* 2.1.2: the device cannot go on; ask for a reset. */
		vb->status |= VIRTIO_STATUS_NEEDS_RESET;
		vb->isr |= ISR_CONFIG;
		ret = rc;
	}
	/* flags: as read after the last used->idx write (or, after a ring
	 * error, the last value seen) */
	if (completed && !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT))
		vb->isr |= ISR_QUEUE;
	vblk_irq_update(vb, h);
	return ret;
}

/* Device reset by the driver (status 0): like power-on, lowering the IRQ. */
static void vblk_driver_reset(struct virtio_blk *vb, const struct host *h)
{
	bool level = vb->irq_level;

	virtio_blk_reset(vb);
	vb->irq_level = level;
	vblk_irq_update(vb, h);
}

void virtio_blk_config(const struct virtio_blk *vb, uint8_t *cfg, unsigned len)
{
	uint8_t c[VIRTIO_BLK_CONFIG_SIZE] = { 0 };

	/* struct virtio_blk_config (5.2.4) */
	put_le(c + 0, vb->nsectors, 8);           /* capacity */
	put_le(c + 8, VIRTIO_BLK_SIZE_MAX, 4);    /* size_max */
	put_le(c + 12, VIRTIO_BLK_SEG_MAX, 4);    /* seg_max */
	put_le(c + 20, SECTOR_SIZE, 4);           /* blk_size */
	memset(cfg, 0, len);
	memcpy(cfg, c, len < sizeof(c) ? len : sizeof(c));
}

/* The register file as the guest reads it. */
static void vblk_regs(const struct virtio_blk *vb, uint8_t r[VIRTIO_BLK_IO_SIZE])
{
	memset(r, 0, VIRTIO_BLK_IO_SIZE);
	put_le(r + REG_DEVICE_FEATURES, DEVICE_FEATURES, 4);
	put_le(r + REG_GUEST_FEATURES, vb->guest_features, 4);
	put_le(r + REG_QUEUE_PFN, vb->queue_sel == 0 ? vb->vq.pfn : 0, 4);
	put_le(r + REG_QUEUE_SIZE, vb->queue_sel == 0 ? VIRTIO_BLK_QUEUE_SIZE : 0, 2);
	put_le(r + REG_QUEUE_SEL, vb->queue_sel, 2);
	r[REG_STATUS] = vb->status;
	r[REG_ISR] = vb->isr;
	virtio_blk_config(vb, r + REG_CONFIG, VIRTIO_BLK_IO_SIZE - REG_CONFIG);
}

static int vblk_write(struct virtio_blk *vb, const struct host *h,
		      uint64_t off, uint64_t v, uint32_t len)
{
	switch (off) {
	case REG_GUEST_FEATURES:
		if (len != 4)
			break;
		vb->guest_features = (uint32_t)v & DEVICE_FEATURES;
		return 0;
	case REG_QUEUE_PFN:
		if (len != 4)
			break;
		if (vb->queue_sel != 0)
			return -EINVAL;
		virtq_set_pfn(&vb->vq, (uint32_t)v);
		return 0;
	case REG_QUEUE_SEL:
		if (len != 2)
			break;
		vb->queue_sel = (uint16_t)v;
		return 0;
	case REG_QUEUE_NOTIFY:
		if (len != 2)
			break;
		return vblk_notify(vb, h, (uint16_t)v);
	case REG_STATUS:
		if (len != 1)
			break;
		if (v == 0)
			vblk_driver_reset(vb, h);
		else
			vb->status = (uint8_t)v | (vb->status & VIRTIO_STATUS_NEEDS_RESET);
		return 0;
	default:
		break;
	}
	return -EINVAL;
}

int virtio_blk_io(void *dev, const struct host *h, uint64_t off, void *data,
		  uint32_t len, bool is_write)
{
	struct virtio_blk *vb = dev;
	uint8_t regs[VIRTIO_BLK_IO_SIZE];

	if (off >= VIRTIO_BLK_IO_SIZE || len > VIRTIO_BLK_IO_SIZE - off || len > 8) {
		if (!is_write)
			memset(data, 0xff, len);
		return -EINVAL;
	}
	if (is_write)
		return vblk_write(vb, h, off, vblk_get_le(data, len), len);
	vblk_regs(vb, regs);
	memcpy(data, regs + off, len);
	if (off <= REG_ISR && off + len > REG_ISR) {
		/* Read-to-acknowledge: clear and deassert. */
		vb->isr = 0;
		vblk_irq_update(vb, h);
	}
	return 0;
}

const char *virtio_blk_regname(uint64_t off, bool is_write)
{
	(void)is_write;
	if (off < 0x04)
		return "device_features";
	if (off < 0x08)
		return "guest_features";
	if (off < 0x0c)
		return "queue_pfn";
	if (off < 0x0e)
		return "queue_size";
	if (off < 0x10)
		return "queue_select";
	if (off < 0x12)
		return "queue_notify";
	if (off == REG_STATUS)
		return "status";
	if (off == REG_ISR)
		return "isr";
	return "config";
}

/* The transport interface (virtio_blk.h), for virtio_pci_modern.c. */

int virtio_blk_notify(struct virtio_blk *vb, const struct host *h, uint16_t queue)
{
	return vblk_notify(vb, h, queue);
}

uint8_t virtio_blk_isr_ack(struct virtio_blk *vb, const struct host *h)
{
	uint8_t v = vb->isr;

	vb->isr = 0;
	vblk_irq_update(vb, h);
	return v;
}

uint8_t virtio_blk_status(const struct virtio_blk *vb)
{
	return vb->status;
}

void virtio_blk_set_status(struct virtio_blk *vb, const struct host *h, uint8_t v)
{
	if (v == 0)
		vblk_driver_reset(vb, h);
	else
		vb->status = v | (vb->status & VIRTIO_STATUS_NEEDS_RESET);
}

struct virtq *virtio_blk_queue(struct virtio_blk *vb)
{
	return &vb->vq;
}

const char *virtio_blk_name(const struct virtio_blk *vb)
{
	return vb->name;
}

int virtio_blk_irq(const struct virtio_blk *vb)
{
	return vb->irq;
}
