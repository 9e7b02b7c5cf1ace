/*
 * fuzzseed.c - a recording's port-IO accesses as fuzz seeds, one directory
 * per fuzz target (see fuzzseed.h for the format).
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

static const char *const seed_targets[] = { "uart", "ata", "i8042", "cmos", "pci", "vblk" };
#define NTARGETS (sizeof(seed_targets) / sizeof(seed_targets[0]))

struct seedbuf {
	size_t n;
	int nfiles;
	int next;                      /* next N to try for PREFIX-N */
	uint8_t buf[FUZZSEED_MAX_BYTES];
};

struct seedctx {
	const char *prefix, *dir;
	char *err;
	size_t errlen;
	int written;
	struct seedbuf t[NTARGETS];
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

/* Write target k's buffer as the next free DIR/TARGET/PREFIX-N. */
static int seed_flush(struct seedctx *c, size_t k)
{
	struct seedbuf *s = &c->t[k];
	char path[4096];
	int fd, rc;

	if (s->n <= 2)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c->dir, seed_targets[k]);
	rc = seed_mkdir(path, c);
	if (rc)
		return rc;
	do {
		snprintf(path, sizeof(path), "%s/%s/%s-%d", c->dir, seed_targets[k], c->prefix,
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
	s->n = 2; /* the header: no answers */
	s->nfiles++;
	c->written++;
	return 0;
}

/* Append one op; a full seed is written out first.  Targets that have
 * FUZZSEED_MAX_FILES seeds take no more. */
static int seed_put(struct seedctx *c, size_t k, const uint8_t *op, size_t len)
{
	struct seedbuf *s = &c->t[k];
	int rc;

	if (s->nfiles >= FUZZSEED_MAX_FILES)
		return 0;
	if (s->n + len > sizeof(s->buf)) {
		rc = seed_flush(c, k);
		if (rc || s->nfiles >= FUZZSEED_MAX_FILES)
			return rc;
	}
	memcpy(s->buf + s->n, op, len);
	s->n += len;
	return 0;
}

/* POKE ops for the guest memory device `dev` read during exit `seq`. */
static int seed_pokes(struct seedctx *c, size_t k, sqlite3_stmt *dq, int64_t seq,
		      const char *dev)
{
	int rc = 0;

	sqlite3_reset(dq);
	sqlite3_bind_int64(dq, 1, seq);
	sqlite3_bind_text(dq, 2, dev, -1, SQLITE_TRANSIENT);
	while (!rc && sqlite3_step(dq) == SQLITE_ROW) {
		int64_t gpa = sqlite3_column_int64(dq, 0);
		const uint8_t *d = sqlite3_column_blob(dq, 1);
		int64_t len = sqlite3_column_bytes(dq, 1);

		if (!d || gpa < 0 || len > FUZZSEED_RAM || gpa > FUZZSEED_RAM - len)
			continue; /* outside the fuzz host's RAM */
		for (int64_t o = 0; !rc && o < len; o += 256) {
			uint8_t op[6 + 256];
			uint32_t a = (uint32_t)(gpa + o);
			size_t n = (size_t)(len - o < 256 ? len - o : 256);

			op[0] = FUZZSEED_OP_POKE;
			memcpy(op + 1, &(uint8_t[4]){ a, a >> 8, a >> 16, a >> 24 }, 4);
			op[5] = (uint8_t)(n - 1);
			memcpy(op + 6, d + o, n);
			rc = seed_put(c, k, op, 6 + n);
		}
	}
	return rc;
}

/* IO ops for one pio row (rep strings split in runs of 256). */
static int seed_io(struct seedctx *c, size_t k, sqlite3_stmt *pq)
{
	int64_t port = sqlite3_column_int64(pq, 1), size = sqlite3_column_int64(pq, 2);
	int64_t count = sqlite3_column_int64(pq, 4);
	bool wr = sqlite3_column_int64(pq, 3) != 0;
	const uint8_t *d = sqlite3_column_blob(pq, 5);
	int64_t dlen = sqlite3_column_bytes(pq, 5);
	int rc = 0;

	if ((size != 1 && size != 2 && size != 4) || port < 0 || port > 0xffff ||
	    count < 1 || count > 65536 || (wr && (!d || dlen != size * count)))
		return 0; /* not a row the recorder writes: no seed from it */
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
		rc = seed_put(c, k, op, o);
	}
	return rc;
}

int fuzzseed_write(sqlite3 *db, const char *prefix, const char *dir,
		   char *err, size_t errlen)
{
	static struct seedctx c; /* large buffers: not on the stack */
	sqlite3_stmt *pq = NULL, *dq = NULL;
	int rc, step;

	memset(&c, 0, sizeof(c));
	c.prefix = prefix;
	c.dir = dir;
	c.err = err;
	c.errlen = errlen;
	for (size_t k = 0; k < NTARGETS; k++)
		c.t[k].n = 2; /* buf[0..1] = 0: no answer bytes */
	rc = seed_mkdir(dir, &c);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT seq, port, size, is_write, count, data, device "
			       "FROM pio WHERE device IS NOT NULL ORDER BY seq", -1, &pq,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT gpa, data FROM dma WHERE seq = ?1 AND device = ?2 "
			       "AND is_write = 0 AND status = 0 ORDER BY id", -1, &dq,
			       NULL) != SQLITE_OK) {
		store_seterr(err, errlen, "not a readable recording: %s", sqlite3_errmsg(db));
		rc = -EINVAL;
		goto out;
	}
	while (!rc && (step = sqlite3_step(pq)) == SQLITE_ROW) {
		const char *dev = (const char *)sqlite3_column_text(pq, 6);
		const char *t = fuzzseed_target(dev);
		size_t k;

		for (k = 0; t && k < NTARGETS && strcmp(seed_targets[k], t); k++)
			;
		if (!t || k == NTARGETS)
			continue;
		if (!strcmp(t, "vblk"))
			rc = seed_pokes(&c, k, dq, sqlite3_column_int64(pq, 0), dev);
		if (!rc)
			rc = seed_io(&c, k, pq);
	}
	if (!rc && step != SQLITE_DONE) {
		store_seterr(err, errlen, "reading pio: %s", sqlite3_errmsg(db));
		rc = -EIO;
	}
	for (size_t k = 0; !rc && k < NTARGETS; k++)
		rc = seed_flush(&c, k);
out:
	sqlite3_finalize(pq);
	sqlite3_finalize(dq);
	return rc ? rc : c.written;
}
