/*
 * overlay.c - copy-on-write overlay over a read-only base image (see
 * overlay.h).
 *
 * Every written sector gets a slot number, in the order first written.
 * Slots below mem_max live in `mem` (grown by doubling up to mem_max
 * slots); the others live in an unlinked temp file at (slot - mem_max) *
 * 512.  The map sector -> slot is an open-addressing hash table with linear
 * probing, kept at most half full.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/blkraw.h"
#include "devices/hostif.h"
#include "backends/overlay.h"
#include "util/sha256.h"

#define EMPTY UINT64_MAX

struct overlay {
	struct blkraw base;
	char *path;
	uint64_t sectors;
	/* sector -> slot */
	uint64_t *keys;
	uint64_t *slots;
	uint64_t cap;        /* power of two */
	uint64_t n;          /* entries = slots handed out */
	/* slot storage */
	uint8_t *mem;
	uint64_t mem_cap;    /* slots allocated in mem */
	uint64_t mem_max;    /* slots allowed in mem */
	int tmpfd;           /* -1 until the first spill */
};

static uint64_t ov_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* The slot of `sector`, or EMPTY. */
static uint64_t ov_lookup(const struct overlay *o, uint64_t sector)
{
	uint64_t i;

	if (!o->n)
		return EMPTY;
	for (i = ov_hash(sector) & (o->cap - 1);; i = (i + 1) & (o->cap - 1)) {
		if (o->keys[i] == sector)
			return o->slots[i];
		if (o->keys[i] == EMPTY)
			return EMPTY;
	}
}

static void ov_put(uint64_t *keys, uint64_t *slots, uint64_t cap,
		   uint64_t sector, uint64_t slot)
{
	uint64_t i = ov_hash(sector) & (cap - 1);

	while (keys[i] != EMPTY)
		i = (i + 1) & (cap - 1);
	keys[i] = sector;
	slots[i] = slot;
}

static int ov_grow_map(struct overlay *o)
{
	uint64_t cap = o->cap ? o->cap * 2 : 1024;
	uint64_t *keys = malloc(cap * sizeof(*keys));
	uint64_t *slots = malloc(cap * sizeof(*slots));

	if (!keys || !slots) {
		free(keys);
		free(slots);
		return -ENOMEM;
	}
	memset(keys, 0xff, cap * sizeof(*keys));
	for (uint64_t i = 0; i < o->cap; i++)
		if (o->keys[i] != EMPTY)
			ov_put(keys, slots, cap, o->keys[i], o->slots[i]);
	free(o->keys);
	free(o->slots);
	o->keys = keys;
	o->slots = slots;
	o->cap = cap;
	return 0;
}

static int ov_spill_open(struct overlay *o)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/exitlog-overlay-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path); /* gone when closed, even if we crash */
	o->tmpfd = fd;
	return 0;
}

static int ov_pio(int fd, void *buf, uint64_t off, bool wr)
{
	size_t done = 0;

	while (done < SECTOR_SIZE) {
		ssize_t r = wr ? pwrite(fd, (const char *)buf + done, SECTOR_SIZE - done,
					(off_t)(off + done))
			       : pread(fd, (char *)buf + done, SECTOR_SIZE - done,
				       (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

/* Copy slot contents to/from buf. */
static int ov_slot_io(struct overlay *o, uint64_t slot, void *buf, bool wr)
{
	if (slot < o->mem_max) {
		uint8_t *p = o->mem + slot * SECTOR_SIZE;
		if (wr)
			memcpy(p, buf, SECTOR_SIZE);
		else
			memcpy(buf, p, SECTOR_SIZE);
		return 0;
	}
	return ov_pio(o->tmpfd, buf, (slot - o->mem_max) * SECTOR_SIZE, wr);
}

/* A new slot for a sector written for the first time. */
static int ov_new_slot(struct overlay *o, uint64_t sector, uint64_t *slot)
{
	uint64_t s = o->n;
	int rc;

	if ((o->n + 1) * 2 > o->cap) {
		rc = ov_grow_map(o);
		if (rc)
			return rc;
	}
	if (s < o->mem_max && s >= o->mem_cap) {
		uint64_t cap = o->mem_cap ? o->mem_cap * 2 : 64;
		uint8_t *m;

		if (cap > o->mem_max)
			cap = o->mem_max;
		m = realloc(o->mem, cap * SECTOR_SIZE);
		if (!m)
			return -ENOMEM;
		o->mem = m;
		o->mem_cap = cap;
	}
	if (s >= o->mem_max && o->tmpfd < 0) {
		rc = ov_spill_open(o);
		if (rc)
			return rc;
	}
	ov_put(o->keys, o->slots, o->cap, sector, s);
	o->n++;
	*slot = s;
	return 0;
}

int overlay_open(struct overlay **out, const char *base_path,
		 uint64_t spill_bytes, char *err, size_t errlen)
{
	struct overlay *o;
	int rc;

	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, errlen, "%s: out of memory", base_path);
		return -ENOMEM;
	}
	o->tmpfd = -1;
	o->path = strdup(base_path);
	if (!o->path) {
		free(o);
		snprintf(err, errlen, "%s: out of memory", base_path);
		return -ENOMEM;
	}
	rc = blkraw_open(&o->base, o->path, false, err, errlen);
	if (rc) {
		free(o->path);
		free(o);
		return rc;
	}
	o->sectors = o->base.sectors;
	if (!spill_bytes)
		spill_bytes = OVERLAY_DEFAULT_SPILL;
	o->mem_max = spill_bytes / SECTOR_SIZE;
	*out = o;
	return 0;
}

uint64_t overlay_sectors(const struct overlay *o)
{
	return o->sectors;
}

static int ov_check(const struct overlay *o, uint64_t sector, uint32_t n)
{
	if (sector > o->sectors || n > o->sectors - sector)
		return -EINVAL;
	return 0;
}

int overlay_read(struct overlay *o, uint64_t sector, uint32_t n, void *buf)
{
	uint8_t *p = buf;
	uint32_t i = 0, j;
	int rc = ov_check(o, sector, n);

	if (rc)
		return rc;
	if (!o->n)
		return n ? blkraw_read(&o->base, sector, n, buf) : 0;
	while (i < n) {
		uint64_t slot = ov_lookup(o, sector + i);

		if (slot != EMPTY) {
			rc = ov_slot_io(o, slot, p + (size_t)i * SECTOR_SIZE, false);
			if (rc)
				return rc;
			i++;
			continue;
		}
		/* a run of sectors the overlay does not hold: one base read */
		for (j = i + 1; j < n && ov_lookup(o, sector + j) == EMPTY; j++)
			;
		rc = blkraw_read(&o->base, sector + i, j - i, p + (size_t)i * SECTOR_SIZE);
		if (rc)
			return rc;
		i = j;
	}
	return 0;
}

int overlay_write(struct overlay *o, uint64_t sector, uint32_t n,
		  const void *buf)
{
	const uint8_t *p = buf;
	int rc = ov_check(o, sector, n);

	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t slot = ov_lookup(o, sector + i);

		if (slot == EMPTY) {
			rc = ov_new_slot(o, sector + i, &slot);
			if (rc)
				return rc;
		}
		rc = ov_slot_io(o, slot, (void *)(p + (size_t)i * SECTOR_SIZE), true);
		if (rc)
			return rc;
	}
	return 0;
}

int overlay_sha256(struct overlay *o, char hex[65])
{
	const uint32_t chunk = 2048; /* sectors: 1 MiB */
	struct sha256 c;
	uint8_t d[32];
	uint8_t *buf = malloc((size_t)chunk * SECTOR_SIZE);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	sha256_init(&c);
	for (uint64_t s = 0; s < o->sectors; s += chunk) {
		uint32_t n = o->sectors - s < chunk ? (uint32_t)(o->sectors - s) : chunk;

		rc = overlay_read(o, s, n, buf);
		if (rc)
			goto out;
		sha256_update(&c, buf, (size_t)n * SECTOR_SIZE);
	}
	sha256_final(&c, d);
	sha256_hex(d, hex);
out:
	free(buf);
	return rc;
}

void overlay_stats(const struct overlay *o, struct overlay_stats *s)
{
	s->dirty_sectors = o->n;
	s->mem_sectors = o->n < o->mem_max ? o->n : o->mem_max;
	s->file_sectors = o->n - s->mem_sectors;
}

void overlay_close(struct overlay *o)
{
	if (!o)
		return;
	blkraw_close(&o->base);
	if (o->tmpfd >= 0)
		close(o->tmpfd);
	free(o->keys);
	free(o->slots);
	free(o->mem);
	free(o->path);
	free(o);
}
