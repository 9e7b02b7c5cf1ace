/*
 * test_async.c - asynchronous events (issue 13) recorded by the recorder's
 * own pieces (synthrec: board, live host, IO queue, store) and replayed:
 * two virtio-blk requests issued by one notify complete in the opposite
 * order, each at an event with its own seq; the replay delivers them at
 * those seqs and reproduces every row (replay -o gives the same database).
 * Also: console input as an event, and a recording whose completion order
 * was tampered with diverges.  A fresh recording per test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>
#include <sqlite3.h>

#include "devices/board.h"
#include "replayer/replay.h"
#include "tests/unit/synthrec.h"

#define VB 0xc000u          /* vblk0's IO BAR */
#define RING 0x10000u       /* pfn 0x10: desc, avail at +0x1000, used at +0x2000 */
#define AVAIL (RING + 0x1000u)
#define USED (RING + 0x2000u)
#define HDR0 0x20000u
#define HDR1 0x20100u
#define DATA0 0x21000u
#define DATA1 0x22000u

static char dir[64], img[128], orig[128], db[128], out[16384], errs[4096];

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_async_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path(img, sizeof(img), "disk.img");
	path(orig, sizeof(orig), "orig.img");
	path(db, sizeof(db), "async.db");
	if (synthrec_make_image(orig, 64, 3) || synthrec_copy(orig, img))
		return -1;
	unlink(db);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void desc(uint8_t *ram, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t *d = ram + RING + 16 * i;

	put64(d, addr);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

static void pout(struct synthrec *s, uint16_t port, uint8_t size, uint32_t v)
{
	struct synth_access a = SYNTH_OUT(port, size, &v);

	assert_int_equal(synthrec_exit(s, &a, NULL), 0);
}

static uint32_t pin(struct synthrec *s, uint16_t port, uint8_t size)
{
	struct synth_access a = SYNTH_IN(port, size);
	uint32_t v = 0;

	assert_int_equal(synthrec_exit(s, &a, &v), 0);
	return v;
}

/* Bring vblk0 up and make two chains available: a 1-sector write of
 * sector 2 (head 0) and a 1-sector read of sector 5 (head 3); notify. */
static struct synthrec *two_requests(void)
{
	const char *disks[1] = { img };
	struct synthrec *s;
	char e[256] = "";
	uint8_t *ram;

	assert_int_equal(synthrec_open_kind(&s, db, disks, 1, DISK_VIRTIO, e, sizeof(e)), 0);
	ram = synthrec_ram(s);
	pout(s, VB + 0x12, 1, 3);            /* ACKNOWLEDGE | DRIVER */
	pout(s, VB + 0x04, 4, 0);            /* guest features */
	pout(s, VB + 0x0e, 2, 0);            /* queue select */
	pout(s, VB + 0x08, 4, RING >> 12);   /* queue pfn */
	pout(s, VB + 0x12, 1, 7);            /* DRIVER_OK */
	put32(ram + HDR0, 1);               /* T_OUT */
	put64(ram + HDR0 + 8, 2);
	memset(ram + DATA0, 0xa5, 512);
	desc(ram, 0, HDR0, 16, 1, 1);
	desc(ram, 1, DATA0, 512, 1, 2);
	desc(ram, 2, HDR0 + 16, 1, 2, 0);
	put32(ram + HDR1, 0);               /* T_IN */
	put64(ram + HDR1 + 8, 5);
	desc(ram, 3, HDR1, 16, 1, 4);
	desc(ram, 4, DATA1, 512, 3, 5);
	desc(ram, 5, HDR1 + 16, 1, 2, 0);
	put16(ram + AVAIL + 4, 0);
	put16(ram + AVAIL + 6, 3);
	put16(ram + AVAIL + 2, 2);          /* avail->idx */
	ram[HDR0 + 16] = ram[HDR1 + 16] = 0xff;
	pout(s, VB + 0x10, 2, 0);            /* notify */
	return s;
}

static int run(struct replay_opts *o)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	size_t n;
	int st;

	assert_non_null(fo);
	assert_non_null(fe);
	o->err = fe;
	st = replay_run(o, fo);
	rewind(fo);
	n = fread(out, 1, sizeof(out) - 1, fo);
	out[n] = 0;
	rewind(fe);
	n = fread(errs, 1, sizeof(errs) - 1, fe);
	errs[n] = 0;
	fclose(fo);
	fclose(fe);
	return st;
}

static int64_t query_int(const char *file, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(file, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void replay_opts_for(struct replay_opts *o, const char *file)
{
	memset(o, 0, sizeof(*o));
	o->db = file;
	o->disks[0] = orig;
	o->ndisks = 1;
}

static void test_async_completions_reversed_replayed_exactly(void **state)
{
	struct replay_opts o;
	struct synthrec *s;
	char r1[128], why[512];
	uint8_t *ram, sec[512];
	FILE *f;

	(void)state;
	s = two_requests();
	ram = synthrec_ram(s);
	/* both in flight after the notify: nothing on the used ring yet */
	assert_int_equal(synthrec_pending(s), 2);
	assert_int_equal(ram[USED + 2] | ram[USED + 3] << 8, 0);
	/* the read (issued second) completes first, then the write */
	assert_int_equal(synthrec_complete(s, 1), 0);
	assert_int_equal(synthrec_complete(s, 0), 0);
	assert_int_equal(synthrec_pending(s), 0);
	assert_int_equal(ram[USED + 2], 2);             /* used->idx */
	assert_int_equal(ram[USED + 4], 3);             /* used[0].id: the read's head */
	assert_int_equal(ram[USED + 12], 0);            /* used[1].id: the write's head */
	assert_int_equal(ram[HDR0 + 16], 0);            /* both statuses OK */
	assert_int_equal(ram[HDR1 + 16], 0);
	f = fopen(orig, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 5 * 512, SEEK_SET), 0);
	assert_int_equal(fread(sec, 1, 512, f), 512);
	fclose(f);
	assert_memory_equal(ram + DATA1, sec, 512);     /* the read's data */
	assert_int_equal(pin(s, VB + 0x13, 1), 1);       /* ISR: a used-buffer interrupt */
	{
		struct synth_access h = { .reason = KVM_EXIT_HLT };
		assert_int_equal(synthrec_exit(s, &h, NULL), 0);
	}
	assert_int_equal(synthrec_close(s, "hlt"), 0);

	/* the log: two events, completion order opposite to the issue order */
	assert_int_equal(query_int(db, "SELECT count(*) FROM events WHERE kind = 'blk_done'"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM blk_requests WHERE done_seq > seq"), 2);
	assert_int_equal(query_int(db, "SELECT (SELECT done_seq FROM blk_requests WHERE op = 'write')"
				   " > (SELECT done_seq FROM blk_requests WHERE op = 'read')"), 1);
	assert_int_equal(query_int(db, "SELECT (SELECT seq FROM blk_requests WHERE op = 'write')"
				   " = (SELECT seq FROM blk_requests WHERE op = 'read')"), 1);
	assert_int_equal(query_int(db, "SELECT max(seq) = count(*) FROM v_seq"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM irqs WHERE seq IN"
				   " (SELECT seq FROM events) AND level = 1"), 1);

	/* replayed at the same seqs: clean, and -o reproduces every row */
	replay_opts_for(&o, db);
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "2 events"));
	assert_non_null(strstr(out, "clean; disk 0 final sha256 matches"));
	path(r1, sizeof(r1), "r1.db");
	unlink(r1);
	o.out_db = r1;
	assert_int_equal(run(&o), 0);
	assert_int_equal(synthrec_db_diff(db, r1, why, sizeof(why)), 0);
}

static void test_async_tampered_order_diverges(void **state)
{
	struct replay_opts o;
	struct synthrec *s;

	(void)state;
	s = two_requests();
	assert_int_equal(synthrec_complete(s, 0), 0); /* in issue order this time */
	assert_int_equal(synthrec_complete(s, 0), 0);
	assert_int_equal(synthrec_close(s, "hlt"), 0);
	replay_opts_for(&o, db);
	assert_int_equal(run(&o), 0);
	/* swap which request each event completes: the model's DMA differs */
	query_int(db, "UPDATE events SET tag = 3 - tag");
	assert_int_equal(run(&o), 1);
	assert_non_null(strstr(out, "divergence"));
}

static void test_async_close_delivers_in_flight(void **state)
{
	struct synthrec *s;

	(void)state;
	s = two_requests();
	assert_int_equal(synthrec_close(s, "hlt"), 0); /* after the last exit */
	assert_int_equal(query_int(db, "SELECT count(*) FROM events"), 2);
	assert_int_equal(query_int(db, "SELECT min(seq) > (SELECT max(seq) FROM exits)"
				   " FROM events"), 1);
	{
		struct replay_opts o;

		replay_opts_for(&o, db);
		assert_int_equal(run(&o), 0);
		assert_non_null(strstr(out, "clean; disk 0 final sha256 matches"));
	}
}

static void test_async_reset_drops_the_completion(void **state)
{
	struct replay_opts o;
	struct synthrec *s;
	uint8_t *ram;

	(void)state;
	s = two_requests();
	ram = synthrec_ram(s);
	pout(s, VB + 0x12, 1, 0);                     /* the driver resets the device */
	assert_int_equal(synthrec_complete(s, 1), 0);  /* the read finishes anyway */
	assert_int_equal(ram[USED + 2], 0);            /* nothing published */
	assert_int_equal(ram[HDR1 + 16], 0xff);
	assert_int_equal(synthrec_close(s, "hlt"), 0); /* the write, after the end */
	assert_int_equal(query_int(db, "SELECT count(*) FROM events"), 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM dma WHERE seq IN (SELECT seq FROM events)"), 0);
	replay_opts_for(&o, db);
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "clean; disk 0 final sha256 matches"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_async_completions_reversed_replayed_exactly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_tampered_order_diverges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_close_delivers_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_reset_drops_the_completion, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
