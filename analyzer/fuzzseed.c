/*
 * fuzzseed.c - a recording's port-IO and MMIO accesses (and, for
 * virtio-blk, the guest memory they read and the order of completions) as
 * fuzz seeds, one directory per fuzz target (see fuzzseed.h for the
 * format).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/fuzzseed.h"
#include "store/store.h"

#define MAXDEVS 32      /* devices of one recording that get seeds */
#define MAXPEND 256     /* requests in flight one seed keeps track of */

/* Where the fuzz board has virtio-blk (tests/fuzz/target_vblk*.c). */
#define FUZZ_VBLK_IO 0xc000u
#define FUZZ_VBLK_MEM 0xfe000000u

enum src { SRC_PIO = 0, SRC_MMIO = 1, SRC_DONE = 2 };

/* The seeds of one device. */
struct seedbuf {
	char device[32];
	const char *target;
	int modern;                    /* virtio-blk on the modern transport */
	size_t n;
	int nfiles;
	int next;                      /* next N to try for PREFIX-N */
	unsigned npend;                /* its requests in flight in this seed, by tag */
	int64_t pend[MAXPEND];
	uint8_t buf[FUZZSEED_MAX_BYTES];
};

struct seedctx {
	const char *prefix, *dir;
	char *err;
	size_t errlen;
	int written;
	int ndev;
	struct seedbuf d[MAXDEVS];
	sqlite3_stmt *dq;              /* dma reads of (seq, device) */
	sqlite3_stmt *sq;              /* tags submitted by (seq, device); NULL without events */
	int nmodern;
	char modern[8][32];            /* devices of 'virtio-modern' disks */
};

const char *fuzzseed_target(const char *device)
{
	if (!device)
		return NULL;
	if (!strcmp(device, "com1"))
		return "uart";
	if (!strncmp(device, "ata", 3))
		return "ata";
	if (!strcmp(device, "i8042"))
		return "i8042";
	if (!strcmp(device, "rtc"))
		return "cmos";
	if (!strcmp(device, "pci"))
		return "pci";
	if (!strncmp(device, "vblk", 4))
		return "vblk";
	if (!strcmp(device, "acpi"))
		return "acpi_pm";
	return NULL;
}

static int seed_mkdir(const char *path, struct seedctx *c)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		int rc = -errno;

		store_seterr(c->err, c->errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}

/* Write s's buffer as the next free DIR/TARGET/PREFIX-N. */
static int seed_flush(struct seedctx *c, struct seedbuf *s)
{
	char path[4096];
	int fd, rc;

	if (s->n <= 2)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c->dir, s->target);
	rc = seed_mkdir(path, c);
	if (rc)
		return rc;
	do {
		snprintf(path, sizeof(path), "%s/%s/%s-%d", c->dir, s->target, c->prefix,
			 ++s->next);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	} while (fd < 0 && errno == EEXIST && s->next < 1000000);
	if (fd < 0 || write(fd, s->buf, s->n) != (ssize_t)s->n) {
		rc = errno ? -errno : -EIO;
		store_seterr(c->err, c->errlen, "%s: %s", path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (close(fd)) {
		store_seterr(c->err, c->errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	s->n = 2;    /* the header: no answers */
	s->npend = 0; /* a new seed starts on a board in its power-on state */
	s->nfiles++;
	c->written++;
	return 0;
}

/* Append one op; a full seed is written out first.  Devices that have
 * FUZZSEED_MAX_FILES seeds take no more. */
static int seed_put(struct seedctx *c, struct seedbuf *s, const uint8_t *op, size_t len)
{
	int rc;

	if (s->nfiles >= FUZZSEED_MAX_FILES)
		return 0;
	if (s->n + len > sizeof(s->buf)) {
		rc = seed_flush(c, s);
		if (rc || s->nfiles >= FUZZSEED_MAX_FILES)
			return rc;
	}
	memcpy(s->buf + s->n, op, len);
	s->n += len;
	return 0;
}

/* The seeds of `device`, NULL when it has no target (or too many devices). */
static struct seedbuf *seed_dev(struct seedctx *c, const char *device)
{
	const char *t = fuzzseed_target(device);
	struct seedbuf *s;

	if (!t || strlen(device) >= sizeof(s->device))
		return NULL;
	for (int i = 0; i < c->ndev; i++)
		if (!strcmp(c->d[i].device, device))
			return &c->d[i];
	if (c->ndev == MAXDEVS)
		return NULL;
	s = &c->d[c->ndev++];
	memset(s, 0, offsetof(struct seedbuf, buf));
	snprintf(s->device, sizeof(s->device), "%s", device);
	s->target = t;
	for (int i = 0; !strcmp(t, "vblk") && i < c->nmodern; i++)
		if (!strcmp(c->modern[i], device)) {
			s->target = "vblk_modern";
			s->modern = 1;
		}
	s->n = 2; /* buf[0..1] = 0: no answer bytes */
	return s;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* POKE ops for the guest memory s's device read at `seq` (an exit or an
 * event), as far as the target's RAM holds it. */
static int seed_pokes(struct seedctx *c, struct seedbuf *s, int64_t seq)
{
	int64_t ram = s->modern ? FUZZSEED_MODERN_RAM : FUZZSEED_RAM;
	sqlite3_stmt *dq = c->dq;
	int rc = 0;

	sqlite3_reset(dq);
	sqlite3_bind_int64(dq, 1, seq);
	sqlite3_bind_text(dq, 2, s->device, -1, SQLITE_TRANSIENT);
	while (!rc && sqlite3_step(dq) == SQLITE_ROW) {
		int64_t gpa = sqlite3_column_int64(dq, 0);
		const uint8_t *d = sqlite3_column_blob(dq, 1);
		int64_t len = sqlite3_column_bytes(dq, 1);

		if (!d || gpa < 0 || len > FUZZSEED_POKE_MAX || gpa > ram - len)
			continue; /* a write's data, or outside the fuzz host's RAM */
		for (int64_t o = 0; !rc && o < len; o += 256) {
			uint8_t op[6 + 256];
			size_t n = (size_t)(len - o < 256 ? len - o : 256);

			op[0] = FUZZSEED_OP_POKE;
			le32(op + 1, (uint32_t)(gpa + o));
			op[5] = (uint8_t)(n - 1);
			memcpy(op + 6, d + o, n);
			rc = seed_put(c, s, op, 6 + n);
		}
	}
	return rc;
}

/* IO ops for one pio row (rep strings split in runs of 256). */
static int seed_io(struct seedctx *c, struct seedbuf *s, sqlite3_stmt *pq)
{
	int64_t port = sqlite3_column_int64(pq, 2), size = sqlite3_column_int64(pq, 3);
	int64_t count = sqlite3_column_int64(pq, 5);
	bool wr = sqlite3_column_int64(pq, 4) != 0;
	const uint8_t *d = sqlite3_column_blob(pq, 6);
	int64_t dlen = sqlite3_column_bytes(pq, 6);
	int rc = 0;

	if ((size != 1 && size != 2 && size != 4) || port < 0 || port > 0xffff ||
	    count < 1 || count > 65536 || (wr && (!d || dlen != size * count)))
		return 0; /* not a row the recorder writes: no seed from it */
	if (!strcmp(s->target, "vblk"))
		port = FUZZ_VBLK_IO + (port & 0x3f); /* the fuzz board's device */
	for (int64_t i = 0; !rc && i < count; i += 256) {
		int64_t n = count - i < 256 ? count - i : 256;
		uint8_t op[6 + 256 * 4];
		size_t o = 0;

		op[o++] = FUZZSEED_OP_IO;
		op[o++] = FUZZSEED_SEL_RAW;
		op[o++] = (uint8_t)((size == 1 ? 0 : size == 2 ? 1 : 2) |
				    (wr ? FUZZSEED_IO_WRITE : 0) | (n > 1 ? FUZZSEED_IO_REP : 0));
		op[o++] = (uint8_t)port;
		op[o++] = (uint8_t)(port >> 8);
		if (n > 1)
			op[o++] = (uint8_t)(n - 1);
		if (wr) {
			memcpy(op + o, d + i * size, (size_t)(n * size));
			o += (size_t)(n * size);
		}
		rc = seed_put(c, s, op, o);
	}
	return rc;
}

/* An MMIO op for one mmio row. */
static int seed_mmio(struct seedctx *c, struct seedbuf *s, sqlite3_stmt *pq)
{
	int64_t gpa = sqlite3_column_int64(pq, 2), size = sqlite3_column_int64(pq, 3);
	bool wr = sqlite3_column_int64(pq, 4) != 0;
	const uint8_t *d = sqlite3_column_blob(pq, 6);
	int64_t dlen = sqlite3_column_bytes(pq, 6);
	uint8_t op[7 + 8];
	size_t o = 0;

	if ((size != 1 && size != 2 && size != 4 && size != 8) || gpa < 0 ||
	    gpa > UINT32_MAX || (wr && (!d || dlen != size)))
		return 0;
	if (s->modern)
		gpa = FUZZ_VBLK_MEM + (gpa & 0xfff); /* the fuzz board's device */
	op[o++] = FUZZSEED_OP_MMIO;
	op[o++] = FUZZSEED_SEL_RAW;
	op[o++] = (uint8_t)((size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3) |
			    (wr ? FUZZSEED_IO_WRITE : 0));
	le32(op + o, (uint32_t)gpa);
	o += 4;
	if (wr) {
		memcpy(op + o, d, (size_t)size);
		o += (size_t)size;
	}
	return seed_put(c, s, op, o);
}

/* After an exit of s's device: the requests it handed to the IO thread are
 * in flight (in tag order, the order of submission). */
static void seed_submitted(struct seedctx *c, struct seedbuf *s, int64_t seq)
{
	if (!c->sq || !s->modern)
		return;
	sqlite3_reset(c->sq);
	sqlite3_bind_int64(c->sq, 1, seq);
	sqlite3_bind_text(c->sq, 2, s->device, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(c->sq) == SQLITE_ROW && s->npend < MAXPEND)
		s->pend[s->npend++] = sqlite3_column_int64(c->sq, 0);
}

/* A blk_done event: DONE with the request's place among those in flight
 * (none when the seed did not submit it: an earlier seed did). */
static int seed_done(struct seedctx *c, struct seedbuf *s, int64_t tag)
{
	for (unsigned i = 0; i < s->npend && i < 255; i++)
		if (s->pend[i] == tag) {
			uint8_t op[2] = { FUZZSEED_OP_DONE, (uint8_t)i };

			memmove(&s->pend[i], &s->pend[i + 1], (s->npend - i - 1) * sizeof(s->pend[0]));
			s->npend--;
			return seed_put(c, s, op, sizeof(op));
		}
	return 0;
}

/* One row of the walk: an access of a device, or a completion. */
static int seed_row(struct seedctx *c, sqlite3_stmt *pq)
{
	int64_t seq = sqlite3_column_int64(pq, 0);
	enum src src = (enum src)sqlite3_column_int(pq, 1);
	struct seedbuf *s = seed_dev(c, (const char *)sqlite3_column_text(pq, 7));
	bool vblk;
	int rc = 0;

	if (!s)
		return 0;
	vblk = !strncmp(s->target, "vblk", 4);
	if (src == SRC_DONE && !s->modern)
		return 0; /* a synchronous target: requests complete in the notify */
	if (vblk)
		rc = seed_pokes(c, s, seq);
	if (rc)
		return rc;
	if (src == SRC_PIO)
		rc = seed_io(c, s, pq);
	else if (src == SRC_MMIO)
		rc = seed_mmio(c, s, pq);
	else
		return seed_done(c, s, sqlite3_column_int64(pq, 2));
	if (!rc && vblk)
		seed_submitted(c, s, seq);
	return rc;
}

/* The devices of 'virtio-modern' disks (none in recordings older than the
 * modern transport, whose disks are 'virtio'). */
static void seed_modern(struct seedctx *c, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT device FROM disks WHERE kind = 'virtio-modern'", -1,
			       &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW && c->nmodern < 8) {
		const char *d = (const char *)sqlite3_column_text(st, 0);

		if (d)
			snprintf(c->modern[c->nmodern++], sizeof(c->modern[0]), "%s", d);
	}
	sqlite3_finalize(st);
}

#define WALK_ACCESSES \
	"SELECT seq, 0, port, size, is_write, count, data, device FROM pio " \
	"WHERE device IS NOT NULL UNION ALL " \
	"SELECT seq, 1, gpa, len, is_write, 1, data, device FROM mmio WHERE device IS NOT NULL"
#define WALK_EVENTS \
	" UNION ALL SELECT seq, 2, tag, status, 0, 1, NULL, device FROM events " \
	"WHERE kind = 'blk_done' AND device IS NOT NULL"

int fuzzseed_write(sqlite3 *db, const char *prefix, const char *dir,
		   char *err, size_t errlen)
{
	static struct seedctx c; /* large buffers: not on the stack */
	sqlite3_stmt *pq = NULL;
	int rc, step = SQLITE_DONE;

	memset(&c, 0, sizeof(c));
	c.prefix = prefix;
	c.dir = dir;
	c.err = err;
	c.errlen = errlen;
	rc = seed_mkdir(dir, &c);
	if (rc)
		return rc;
	seed_modern(&c, db);
	/* recordings from before asynchronous events have no events table */
	if (sqlite3_prepare_v2(db, WALK_ACCESSES WALK_EVENTS " ORDER BY seq", -1, &pq,
			       NULL) == SQLITE_OK)
		sqlite3_prepare_v2(db, "SELECT e.tag FROM blk_requests b JOIN events e ON "
				   "e.seq = b.done_seq AND e.kind = 'blk_done' AND e.device = "
				   "b.device WHERE b.seq = ?1 AND b.device = ?2 AND b.done_seq "
				   "<> b.seq ORDER BY e.tag", -1, &c.sq, NULL);
	else
		sqlite3_prepare_v2(db, WALK_ACCESSES " ORDER BY seq", -1, &pq, NULL);
	if (!pq || sqlite3_prepare_v2(db, "SELECT gpa, data FROM dma WHERE seq = ?1 AND "
				      "device = ?2 AND is_write = 0 AND status = 0 ORDER BY id",
				      -1, &c.dq, NULL) != SQLITE_OK) {
		store_seterr(err, errlen, "not a readable recording: %s", sqlite3_errmsg(db));
		rc = -EINVAL;
		goto out;
	}
	while (!rc && (step = sqlite3_step(pq)) == SQLITE_ROW)
		rc = seed_row(&c, pq);
	if (!rc && step != SQLITE_DONE) {
		store_seterr(err, errlen, "reading pio/mmio: %s", sqlite3_errmsg(db));
		rc = -EIO;
	}
	for (int k = 0; !rc && k < c.ndev; k++)
		rc = seed_flush(&c, &c.d[k]);
out:
	sqlite3_finalize(pq);
	sqlite3_finalize(c.dq);
	sqlite3_finalize(c.sq);
	return rc ? rc : c.written;
}
