/*
 * virtq.c - device side of a split virtqueue (see virtq.h).
 *
 * Layout (virtio 1.x 2.7.2, legacy 4.1.5.1 "Virtqueue Layout"), for a queue
 * of N descriptors at base = pfn * 4096:
 *   desc  base                      N * 16  {le64 addr, le32 len, le16 flags, le16 next}
 *   avail base + 16N                le16 flags, le16 idx, le16 ring[N], le16 used_event
 *   used  align4096(avail + 6 + 2N) le16 flags, le16 idx, {le32 id, le32 len}[N], le16 avail_event
 * All fields little endian (x86 guests; legacy virtio is guest-endian).
 */
#include <errno.h>
#include <string.h>

#include "devices/virtq.h"

static uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void virtq_init(struct virtq *q, uint16_t size)
{
	memset(q, 0, sizeof(*q));
	q->size = size;
	q->max_size = size;
}

void virtq_disable(struct virtq *q)
{
	virtq_init(q, q->max_size);
}

int virtq_set_rings(struct virtq *q, uint16_t size, uint64_t desc,
		    uint64_t avail, uint64_t used)
{
	if (!size || size > q->max_size || (size & (size - 1)))
		return -EINVAL;
	q->size = size;
	q->pfn = 0;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return 0;
}

void virtq_set_pfn(struct virtq *q, uint32_t pfn)
{
	uint64_t base = (uint64_t)pfn * VIRTQ_LEGACY_ALIGN;
	uint64_t avail_end;

	q->size = q->max_size;
	q->pfn = pfn;
	q->ready = pfn != 0;
	q->desc = base;
	q->avail = base + 16u * q->size;
	avail_end = q->avail + 6u + 2u * q->size;
	q->used = (avail_end + VIRTQ_LEGACY_ALIGN - 1) & ~(uint64_t)(VIRTQ_LEGACY_ALIGN - 1);
	q->last_avail = 0;
	q->used_idx = 0;
}

int virtq_avail(struct virtq *q, const struct host *h, const char *dev,
		uint16_t *flags)
{
	uint8_t b[4];
	uint16_t pending;

	if (host_dma_read(h, dev, q->avail, b, sizeof(b)))
		return -EFAULT;
	*flags = ld16(b);
	pending = (uint16_t)(ld16(b + 2) - q->last_avail);
	if (pending > q->size)
		return -EINVAL;
	return pending;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static int desc_read(const struct virtq *q, const struct host *h,
		     const char *dev, uint16_t i, struct desc *d)
{
	uint8_t b[16];

	if (host_dma_read(h, dev, q->desc + 16u * i, b, sizeof(b)))
		return -EFAULT;
	d->addr = (uint64_t)ld32(b) | (uint64_t)ld32(b + 4) << 32;
	d->len = ld32(b + 8);
	d->flags = ld16(b + 12);
	d->next = ld16(b + 14);
	return 0;
}

int virtq_pop(struct virtq *q, const struct host *h, const char *dev,
	      struct virtq_seg *segs, unsigned max, uint16_t *head, unsigned *nseg)
{
	uint8_t b[2];
	uint16_t slot = q->last_avail % q->size, i;
	unsigned n = 0, limit = max < q->size ? max : q->size;
	bool seen_write = false;
	struct desc d;

	*nseg = 0;
	if (host_dma_read(h, dev, q->avail + 4u + 2u * slot, b, sizeof(b)))
		return -EFAULT;
	q->last_avail++;
	i = ld16(b);
	*head = i;
	if (i >= q->size)
		return -EINVAL;
	for (;;) {
		if (n >= limit)
			return -ELOOP;
		if (desc_read(q, h, dev, i, &d))
			return -EFAULT;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return -EINVAL;
		if (d.flags & VIRTQ_DESC_F_WRITE)
			seen_write = true;
		else if (seen_write)
			return -EINVAL;
		segs[n].addr = d.addr;
		segs[n].len = d.len;
		segs[n].write = (d.flags & VIRTQ_DESC_F_WRITE) != 0;
		n++;
		*nseg = n;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= q->size)
			return -EINVAL;
		i = d.next;
	}
}

int virtq_push(struct virtq *q, const struct host *h, const char *dev,
	       uint16_t head, uint32_t len)
{
	uint8_t e[8], idx[2];
	uint16_t slot = q->used_idx % q->size;

	st32(e, head);
	st32(e + 4, len);
	if (host_dma_write(h, dev, q->used + 4u + 8u * slot, e, sizeof(e)))
		return -EFAULT;
	q->used_idx++;
	st16(idx, q->used_idx);
	if (host_dma_write(h, dev, q->used + 2u, idx, sizeof(idx)))
		return -EFAULT;
	return 0;
}
