/*
 * devacc.h - the record format of sum_devacc (schema/summary.sql): every
 * pio and mmio access of a block device (disks, or a blk_requests issuer)
 * with its exit's times, packed per device into BLOBs of varint records, so that `exitlog
 * iopath` reads a device's accesses without joining pio, exits and
 * registers row by row (analyzer/iopath_core.c).  The writer appends
 * (store/wdevacc.c), store_rebuild_devacc() rebuilds from the raw tables,
 * the analyzer decodes.  No SQLite here: encoder and decoder only.
 *
 * One record (all integers LEB128 varints; z() = zigzag of an int64):
 *   flags    DEVACC_F_*
 *   seq      z(seq - previous seq of the blob; 0 before the first)
 *   addr     z(port or gpa), only with DEVACC_F_ADDR (else the previous one's)
 *   bytes    z(size * count, or len)
 *   byte0    one raw byte, only with DEVACC_F_BYTE0 (the data's first byte)
 *   t_ns     z(t_ns - previous t_ns of the blob; 0 before the first)
 *   guest_ns z(guest_ns), handle_ns z(handle_ns)   (a NULL time is 0)
 * A row (blob) holds one device's records of the seqs
 * [k * DEVACC_CHUNK_SEQS, (k + 1) * DEVACC_CHUNK_SEQS), in strictly
 * increasing seq order; so the rows depend on the raw tables only.
 */
#ifndef EXITLOG_STORE_DEVACC_H
#define EXITLOG_STORE_DEVACC_H

#include <stddef.h>
#include <stdint.h>

#define DEVACC_F_WRITE 0x01   /* is_write = 1 (else 0) */
#define DEVACC_F_MMIO  0x02   /* an mmio row (else pio) */
#define DEVACC_F_BYTE0 0x04   /* byte0 present (else the data was empty) */
#define DEVACC_F_ADDR  0x08   /* addr present (else the previous record's) */
#define DEVACC_REC_MAX 64     /* the longest encoded record */
#define DEVACC_CHUNK_SEQS 4096 /* the seq range of one row */

struct devacc_rec {
	int64_t seq, addr, bytes, t_ns, guest_ns, handle_ns;
	uint8_t flags, byte0;
};

static inline uint64_t devacc_zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t devacc_unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint8_t *devacc_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Encode r after `prev` (zeroed before a blob's first record) into p (room
 * for DEVACC_REC_MAX bytes); returns the end; prev becomes r.  r->flags'
 * DEVACC_F_ADDR is decided here. */
static inline uint8_t *devacc_encode(uint8_t *p, struct devacc_rec *prev,
				     const struct devacc_rec *r)
{
	uint8_t flags = r->flags & (uint8_t)~DEVACC_F_ADDR;

	if (r->addr != prev->addr || !prev->seq)
		flags |= DEVACC_F_ADDR;
	*p++ = flags;
	p = devacc_put(p, devacc_zz((int64_t)((uint64_t)r->seq - (uint64_t)prev->seq)));
	if (flags & DEVACC_F_ADDR)
		p = devacc_put(p, devacc_zz(r->addr));
	p = devacc_put(p, devacc_zz(r->bytes));
	if (flags & DEVACC_F_BYTE0)
		*p++ = r->byte0;
	p = devacc_put(p, devacc_zz((int64_t)((uint64_t)r->t_ns - (uint64_t)prev->t_ns)));
	p = devacc_put(p, devacc_zz(r->guest_ns));
	p = devacc_put(p, devacc_zz(r->handle_ns));
	*prev = *r;
	return p;
}

/* One varint from [*p, end); -1 when truncated or too long. */
static inline int devacc_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned sh = 0; *p < end && sh < 64; sh += 7) {
		uint8_t b = *(*p)++;

		x |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* Decode the record at *p (r holds the previous one, zeroed before a
 * blob's first); 1 decoded, 0 at end, -1 corrupt. */
static inline int devacc_decode(const uint8_t **p, const uint8_t *end, struct devacc_rec *r)
{
	uint64_t v[6] = { 0 };
	uint8_t flags;

	if (*p >= end)
		return 0;
	flags = *(*p)++;
	if (devacc_get(p, end, &v[0]))
		return -1;
	if ((flags & DEVACC_F_ADDR) && devacc_get(p, end, &v[1]))
		return -1;
	if (devacc_get(p, end, &v[2]))
		return -1;
	if (flags & DEVACC_F_BYTE0) {
		if (*p >= end)
			return -1;
		r->byte0 = *(*p)++;
	}
	if (devacc_get(p, end, &v[3]) || devacc_get(p, end, &v[4]) || devacc_get(p, end, &v[5]))
		return -1;
	r->flags = flags;
	r->seq = (int64_t)((uint64_t)r->seq + (uint64_t)devacc_unzz(v[0]));
	if (flags & DEVACC_F_ADDR)
		r->addr = devacc_unzz(v[1]);
	r->bytes = devacc_unzz(v[2]);
	r->t_ns = (int64_t)((uint64_t)r->t_ns + (uint64_t)devacc_unzz(v[3]));
	r->guest_ns = devacc_unzz(v[4]);
	r->handle_ns = devacc_unzz(v[5]);
	return 1;
}

#endif
