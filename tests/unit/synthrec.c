/*
 * synthrec.c - the synthetic recorder for tests (see synthrec.h): the
 * recorder's board, live host interface, boardlog and store, driven by a
 * script instead of KVM_RUN.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <sqlite3.h>

#include "util/err.h"
#include "backends/blkraw.h"
#include "devices/board.h"
#include "devices/dispatch.h"
#include "recorder/boardlog.h"
#include "recorder/hostlive.h"
#include "recorder/iothread.h"
#include "recorder/vm.h"
#include "replayer/replay.h"
#include "util/sha256.h"
#include "store/store.h"
#include "tests/unit/synthrec.h"

#define SYNTH_RAM (1u << 20)

struct synthrec {
	struct store *st;
	struct vm vm;
	struct board board;
	struct board_config cfg;
	struct blkraw disks[BOARD_MAX_DISKS];
	char paths[BOARD_MAX_DISKS][1024];
	struct hostlive hl;
	struct dispatch disp;
	struct iothread *io;    /* virtio disks: requests wait for synthrec_complete() */
	uint64_t seq;
	uint64_t nexits;
	uint8_t buf[65536];
};

static const uint8_t synth_bytes[256] = {
#define B4(n) (n), (n) + 1, (n) + 2, (n) + 3
#define B16(n) B4(n), B4((n) + 4), B4((n) + 8), B4((n) + 12)
#define B64(n) B16(n), B16((n) + 16), B16((n) + 32), B16((n) + 48)
	B64(0), B64(64), B64(128), B64(192)
};

static int synth_meta(struct synthrec *s, char (*hashes)[65])
{
	const char *paths[BOARD_MAX_DISKS];
	int rc = 0;

	rc = err_first(rc, store_meta_set(s->st, "tool_version", "synthrec"));
	rc = err_first(rc, store_meta_set(s->st, "kvm_api_version", "12"));
	rc = err_first(rc, store_meta_set(s->st, "guest", "synthetic"));
	rc = err_first(rc, store_meta_set(s->st, "guest_kind", "flat"));
	rc = err_first(rc, store_meta_set(s->st, "started_at", "2000-01-01T00:00:00Z"));
	rc = err_first(rc, store_meta_set(s->st, "mem_mb", "1"));
	rc = err_first(rc, store_meta_set(s->st, "vcpus", "1"));
	rc = err_first(rc, store_meta_set(s->st, "logging", "on"));
	for (int i = 0; i < s->cfg.ndisks; i++) {
		char k[64];

		paths[i] = s->paths[i];
		snprintf(k, sizeof(k), "disk%d.path", i);
		rc = err_first(rc, store_meta_set(s->st, k, s->paths[i]));
		snprintf(k, sizeof(k), "disk%d.initial_sha256", i);
		rc = err_first(rc, store_meta_set(s->st, k, hashes[i]));
	}
	if (rc)
		return -EIO;
	return boardlog_write(s->st, &s->board, &s->cfg, paths, hashes);
}

int synthrec_open(struct synthrec **out, const char *db,
		  const char *const *disks, int ndisks, char *err, size_t errlen)
{
	return synthrec_open_kind(out, db, disks, ndisks, DISK_IDE, err, errlen);
}

int synthrec_open_kind(struct synthrec **out, const char *db,
		       const char *const *disks, int ndisks, int kind,
		       char *err, size_t errlen)
{
	char hashes[BOARD_MAX_DISKS][65];
	struct synthrec *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM, nopen = 0;

	*out = NULL;
	if (!s || !(s->vm.ram = calloc(1, SYNTH_RAM)))
		goto fail;
	s->vm.ram_size = SYNTH_RAM;
	s->vm.sys_fd = s->vm.vm_fd = s->vm.vcpu_fd = -1;
	for (int i = 0; i < ndisks; i++) {
		snprintf(s->paths[i], sizeof(s->paths[i]), "%s", disks[i]);
		rc = blkraw_open(&s->disks[i], s->paths[i], true, err, errlen);
		if (rc)
			goto fail;
		nopen++;
		s->cfg.disks[i].kind = kind;
		s->cfg.disks[i].sectors = s->disks[i].sectors;
		rc = sha256_file(s->paths[i], hashes[i]);
		if (rc)
			goto fail;
	}
	s->cfg.ndisks = ndisks;
	rc = board_create(&s->board, &s->cfg);
	if (rc)
		goto fail;
	rc = store_create(&s->st, db, false, err, errlen);
	if (rc) {
		board_destroy(&s->board);
		goto fail;
	}
	rc = synth_meta(s, hashes);
	if (rc) {
		store_close(s->st);
		board_destroy(&s->board);
		goto fail;
	}
	hostlive_init(&s->hl, s->st, &s->vm, &s->board, s->disks, ndisks);
	dispatch_init(&s->disp, &s->board.bus);
	s->hl.dispatch = &s->disp;
	s->hl.ev_prod = store_prod_main(s->st); /* one thread: one ring, put order */
	if (kind == DISK_VIRTIO) {
		/* no workers: the test delivers completions in the order it wants */
		rc = iothread_create(&s->io, &s->hl, &s->board, 0);
		if (!rc)
			rc = store_meta_set(s->st, "blk_async", "1");
		if (rc) {
			store_close(s->st);
			board_destroy(&s->board);
			goto fail;
		}
		s->hl.io = s->io;
	}
	*out = s;
	return 0;
fail:
	for (int i = 0; i < nopen; i++)
		blkraw_close(&s->disks[i]);
	if (s)
		free(s->vm.ram);
	free(s);
	if (err && errlen && !err[0])
		snprintf(err, errlen, "synthrec_open: %s", strerror(-rc));
	return rc;
}

int synthrec_exit(struct synthrec *s, const struct synth_access *a, void *answer)
{
	uint32_t reason = a->reason ? a->reason : KVM_EXIT_IO;
	struct host h = hostlive_host(&s->hl);
	struct rec_exit e;

	s->seq = dispatch_seq_next(&s->disp);
	s->hl.seq = s->seq;
	s->hl.t_ns = s->seq * 1000;
	if (reason == KVM_EXIT_IO) {
		uint32_t count = a->count ? a->count : 1;
		size_t n = (size_t)a->size * count;
		struct dispatch_access da = {
			.space = BUS_PIO, .addr = a->port, .size = a->size, .count = count,
			.is_write = a->is_write, .data = s->buf,
		};
		struct dispatch_result res;
		struct rec_pio p;
		int rc;

		if (n > sizeof(s->buf))
			return -E2BIG;
		if (a->is_write && a->data)
			memcpy(s->buf, a->data, n);
		else
			memset(s->buf, 0, n);
		dispatch_access(&s->disp, &h, &da, &res);
		if (res.err) {
			char detail[160];
			struct rec_info info = { .seq = s->seq, .code = res.err, .detail = detail };

			s->hl.dev_errors++;
			dispatch_describe(&da, res.region, res.err, detail, sizeof(detail));
			rc = store_put_info(s->st, &info);
			if (rc)
				return rc;
		}
		p = (struct rec_pio){
			.seq = s->seq, .port = a->port, .size = a->size,
			.is_write = a->is_write, .count = count, .data = s->buf,
			.device = res.region ? res.region->name : NULL,
		};
		rc = store_put_pio(s->st, &p);
		if (rc)
			return rc;
		if (answer)
			memcpy(answer, s->buf, n);
	}
	s->nexits++;
	e = (struct rec_exit){
		.seq = s->seq, .vcpu = 0, .reason = reason, .t_ns = s->seq * 1000,
		.guest_ns = 500 + s->seq % 7, .handle_ns = 100 + s->seq % 13,
	};
	return store_put_exit(s->st, &e);
}

int synthrec_script(struct synthrec *s, const struct synth_access *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = synthrec_exit(s, &a[i], NULL);
		if (rc)
			return rc;
	}
	return 0;
}

uint64_t synthrec_seq(const struct synthrec *s)
{
	return s->seq;
}

int synthrec_complete(struct synthrec *s, unsigned i)
{
	int rc;

	if (!s->io)
		return -EINVAL;
	rc = iothread_run_one(s->io, i);
	s->seq = s->disp.seq;
	return rc ? rc : s->hl.log_err;
}

unsigned synthrec_pending(struct synthrec *s)
{
	return s->io ? iothread_pending(s->io) : 0;
}

uint8_t *synthrec_ram(struct synthrec *s)
{
	return s->vm.ram;
}

int synthrec_close(struct synthrec *s, const char *end_reason)
{
	int rc = 0;

	iothread_destroy(s->io); /* delivers what is left */
	s->seq = s->disp.seq;
	hostlive_console_flush(&s->hl);
	rc = err_first(rc, store_flush(s->st));
	rc = err_first(rc, store_meta_set(s->st, "end_reason", end_reason));
	rc = err_first(rc, store_meta_setf(s->st, "exit_count", "%llu", (unsigned long long)s->nexits));
	rc = err_first(rc, store_meta_setf(s->st, "device_errors", "%d", s->hl.dev_errors));
	for (int i = 0; i < s->cfg.ndisks; i++) {
		char k[64], hex[65], sql[160];

		blkraw_flush(&s->disks[i]);
		if (sha256_file(s->paths[i], hex)) {
			rc = -EIO;
			continue;
		}
		snprintf(k, sizeof(k), "disk%d.final_sha256", i);
		rc = err_first(rc, store_meta_set(s->st, k, hex));
		snprintf(sql, sizeof(sql), "UPDATE disks SET final_sha256='%s' WHERE idx=%d", hex, i);
		rc = err_first(rc, store_exec(s->st, sql, NULL, 0));
	}
	rc = err_first(rc, store_close(s->st));
	board_destroy(&s->board);
	for (int i = 0; i < s->cfg.ndisks; i++)
		blkraw_close(&s->disks[i]);
	free(s->vm.ram);
	free(s);
	return rc ? -EIO : 0;
}

int synthrec_make_image(const char *path, uint64_t sectors, int seed)
{
	uint8_t sec[512];
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -errno;
	for (uint64_t s = 0; s < sectors && !rc; s++) {
		for (size_t i = 0; i < sizeof(sec); i++)
			sec[i] = (uint8_t)((s * 512 + i) * 7 + (uint64_t)seed);
		if (fwrite(sec, 1, sizeof(sec), f) != sizeof(sec))
			rc = -EIO;
	}
	if (fclose(f))
		rc = -EIO;
	return rc;
}

int synthrec_copy(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out, rc = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	close(in);
	if (close(out))
		rc = -EIO;
	return rc;
}

#define OUTB(p, v) ((struct synth_access){ 0, (p), 1, true, 1, &synth_bytes[(v)] })
#define INB(p) ((struct synth_access){ 0, (p), 1, false, 1, NULL })
#define REP(p, w, buf) ((struct synth_access){ 0, (p), 2, (w), 256, (buf) })

/* Task file for `n` sectors at `lba` (LBA28, master) and the command. */
static size_t ata_cmd(struct synth_access *a, uint8_t n, uint8_t lba, uint8_t cmd)
{
	size_t k = 0;

	a[k++] = OUTB(0x1f2, n);
	a[k++] = OUTB(0x1f3, lba);
	a[k++] = OUTB(0x1f4, 0);
	a[k++] = OUTB(0x1f5, 0);
	a[k++] = OUTB(0x1f6, 0xe0);
	a[k++] = OUTB(0x1f7, cmd);
	return k;
}

size_t synthrec_ata_script(struct synth_access *a, uint8_t *wbuf)
{
	size_t k = 0;

	for (int i = 0; i < 3 * 512; i++)
		wbuf[i] = (uint8_t)(i * 13 + i / 512 * 7 + 5);
	a[k++] = OUTB(0x1f6, 0xe0);
	a[k++] = OUTB(0x1f7, 0xec);             /* IDENTIFY */
	a[k++] = INB(0x1f7);
	a[k++] = REP(0x1f0, false, NULL);
	a[k++] = INB(0x1f7);
	k += ata_cmd(a + k, 3, 5, 0x30);        /* WRITE SECTORS 3 @ 5 */
	for (int s = 0; s < 3; s++) {
		a[k++] = INB(0x1f7);
		a[k++] = REP(0x1f0, true, wbuf + s * 512);
	}
	a[k++] = INB(0x1f7);
	a[k++] = OUTB(0x1f7, 0xe7);             /* FLUSH CACHE */
	a[k++] = INB(0x1f7);
	k += ata_cmd(a + k, 3, 5, 0x20);        /* READ SECTORS 3 @ 5 */
	for (int s = 0; s < 3; s++) {
		a[k++] = INB(0x1f7);
		a[k++] = REP(0x1f0, false, NULL);
	}
	a[k++] = INB(0x3f6);
	a[k++] = INB(0x1f7);
	a[k++] = (struct synth_access){ .reason = KVM_EXIT_HLT };
	return k;
}

size_t synthrec_hello_script(struct synth_access *a, const char *text)
{
	size_t k = 0;

	for (const char *p = text; *p && k < 60; p++) {
		a[k++] = INB(0x3fd);
		a[k++] = OUTB(0x3f8, (uint8_t)*p);
	}
	a[k++] = (struct synth_access){ .reason = KVM_EXIT_HLT };
	return k;
}

static void synth_volatile_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *k = sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, k && replay_meta_is_volatile((const char *)k));
}

static int64_t synth_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int synthrec_db_diff(const char *a, const char *b, char *why, size_t whylen)
{
	static const char tables[] =
		"SELECT name FROM %s.sqlite_master WHERE type = 'table' ORDER BY name";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[1024], la[2048] = "", lb[2048] = "";
	int rc = 1;

	snprintf(why, whylen, "cannot open");
	if (sqlite3_open_v2(a, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_create_function(db, "volatile_key", 1, SQLITE_UTF8, NULL, synth_volatile_fn,
				NULL, NULL);
	snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s' AS b", b);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	for (int side = 0; side < 2; side++) {
		char *l = side ? lb : la;
		size_t o = 0;

		snprintf(sql, sizeof(sql), tables, side ? "b" : "main");
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			goto out;
		while (sqlite3_step(st) == SQLITE_ROW && o + 64 < sizeof(la))
			o += (size_t)snprintf(l + o, sizeof(la) - o, "%s ",
					      (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		st = NULL;
	}
	if (strcmp(la, lb)) {
		snprintf(why, whylen, "tables differ: [%s] vs [%s]", la, lb);
		goto out;
	}
	for (char *t = strtok(la, " "); t; t = strtok(NULL, " ")) {
		const char *flt = strcmp(t, "meta") ? "" : " WHERE NOT volatile_key(key)";

		for (int dir = 0; dir < 2; dir++) {
			snprintf(sql, sizeof(sql),
				 "SELECT count(*) FROM (SELECT * FROM %s.\"%s\"%s EXCEPT"
				 " SELECT * FROM %s.\"%s\"%s)", dir ? "b" : "main", t, flt,
				 dir ? "main" : "b", t, flt);
			if (synth_count(db, sql) != 0) {
				snprintf(why, whylen, "table %s: rows of %s not in %s", t,
					 dir ? b : a, dir ? a : b);
				goto out;
			}
		}
		snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM main.\"%s\"%s) -"
			 " (SELECT count(*) FROM b.\"%s\"%s)", t, flt, t, flt);
		if (synth_count(db, sql) != 0) {
			snprintf(why, whylen, "table %s: row counts differ", t);
			goto out;
		}
	}
	rc = 0;
	why[0] = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
