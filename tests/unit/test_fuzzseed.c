/*
 * test_fuzzseed.c - `export --fuzz-seed` (analyzer/fuzzseed.c) on a
 * synthetic recording (an ATA session and a UART hello): the seeds land in
 * DIR/ata and DIR/uart, start with the no-answers header and the recorded
 * accesses in order (port, width, direction, written bytes), a second
 * export takes the next free names instead of overwriting, devices map to
 * their targets, and a directory that cannot be made is an error.  A
 * modern virtio-blk recording with asynchronous completions becomes
 * vblk_modern seeds: MMIO ops at the fuzz board's BAR, the guest memory each
 * exit read poked before it, DONE ops in the recorded completion order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "analyzer/fuzzseed.h"
#include "devices/board.h"
#include "store/store.h"
#include "tests/unit/synthrec.h"

static char dir[64], img[128], rec[128], seeds[128];

static int setup(void **state)
{
	struct synth_access a[64];
	static uint8_t wbuf[3 * 512];
	const char *disks[1];
	struct synthrec *s;
	char e[256] = "";
	int rc;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_fuzzseed_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(img, sizeof(img), "%s/d.img", dir);
	snprintf(rec, sizeof(rec), "%s/rec.db", dir);
	snprintf(seeds, sizeof(seeds), "%s/seeds", dir);
	if (synthrec_make_image(img, 64, 1))
		return -1;
	disks[0] = img;
	if (synthrec_open(&s, rec, disks, 1, e, sizeof(e)))
		return -1;
	rc = synthrec_script(s, a, synthrec_ata_script(a, wbuf));
	rc |= synthrec_script(s, a, synthrec_hello_script(a, "ok"));
	rc |= synthrec_close(s, "hlt");
	return rc ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static long read_file(const char *p, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(p, "rb");
	long n;

	if (!f)
		return -1;
	n = (long)fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static int export(void)
{
	sqlite3 *db = NULL;
	char e[256] = "";
	int rc;

	assert_int_equal(store_open_ro(rec, &db, e, sizeof(e)), 0);
	rc = fuzzseed_write(db, "rec", seeds, e, sizeof(e));
	sqlite3_close(db);
	return rc;
}

static void test_fuzzseed_writes_accesses_in_order(void **state)
{
	static uint8_t buf[8192];
	char p[256];
	long n;

	(void)state;
	/* ata (3 sectors of writes need two seeds of 4 KiB) and uart */
	assert_true(export() >= 2);
	snprintf(p, sizeof(p), "%s/uart/rec-1", seeds);
	n = read_file(p, buf, sizeof(buf));
	/* header + per byte: IN 0x3fd (5 bytes) + OUT 0x3f8 (6 bytes) */
	assert_int_equal(n, 2 + 2 * (5 + 6));
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 0);
	assert_memory_equal(buf + 2, ((uint8_t[]){ FUZZSEED_OP_IO, FUZZSEED_SEL_RAW, 0,
						  0xfd, 0x03 }), 5);
	assert_memory_equal(buf + 7, ((uint8_t[]){ FUZZSEED_OP_IO, FUZZSEED_SEL_RAW,
						  FUZZSEED_IO_WRITE, 0xf8, 0x03, 'o' }), 6);
	assert_int_equal(buf[23], 'k'); /* second OUT: 2 + 5 + 6 + 5 + 5 */

	snprintf(p, sizeof(p), "%s/ata/rec-1", seeds);
	n = read_file(p, buf, sizeof(buf));
	assert_true(n > 2 && n <= FUZZSEED_MAX_BYTES);
	/* first access: OUT 0x1f6 = 0xe0, then OUT 0x1f7 = 0xec (IDENTIFY) */
	assert_memory_equal(buf + 2, ((uint8_t[]){ FUZZSEED_OP_IO, FUZZSEED_SEL_RAW,
						  FUZZSEED_IO_WRITE, 0xf6, 0x01, 0xe0,
						  FUZZSEED_OP_IO, FUZZSEED_SEL_RAW,
						  FUZZSEED_IO_WRITE, 0xf7, 0x01, 0xec }), 12);
	/* then IN 0x1f7 and a rep insw of 256 words: flags size 2 | rep */
	assert_memory_equal(buf + 14, ((uint8_t[]){ FUZZSEED_OP_IO, FUZZSEED_SEL_RAW, 0,
						   0xf7, 0x01, FUZZSEED_OP_IO,
						   FUZZSEED_SEL_RAW, 1 | FUZZSEED_IO_REP,
						   0xf0, 0x01, 255 }), 11);
	snprintf(p, sizeof(p), "%s/vblk", seeds);
	assert_int_equal(access(p, F_OK), -1); /* no virtio device, no seeds */
}

static void test_fuzzseed_never_overwrites(void **state)
{
	struct stat st;
	char p[256];
	int n1, n2;

	(void)state;
	n1 = export();
	n2 = export();
	assert_true(n1 > 0);
	assert_int_equal(n1, n2);
	snprintf(p, sizeof(p), "%s/uart/rec-3", seeds); /* 3rd export overall */
	assert_int_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/uart/rec-4", seeds);
	assert_int_equal(stat(p, &st), -1);
}

static void test_fuzzseed_target_names(void **state)
{
	(void)state;
	assert_string_equal(fuzzseed_target("com1"), "uart");
	assert_string_equal(fuzzseed_target("ata1"), "ata");
	assert_string_equal(fuzzseed_target("rtc"), "cmos");
	assert_string_equal(fuzzseed_target("vblk3"), "vblk");
	assert_string_equal(fuzzseed_target("pci"), "pci");
	assert_string_equal(fuzzseed_target("acpi"), "acpi_pm");
	assert_null(fuzzseed_target("nosuch"));
	assert_null(fuzzseed_target(NULL));
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void out(struct synthrec *s, uint16_t port, uint8_t size, uint32_t v)
{
	struct synth_access a = SYNTH_OUT(port, size, &v);

	assert_int_equal(synthrec_exit(s, &a, NULL), 0);
}

/*
 * An asynchronous virtio-blk recording (synthrec: legacy registers, two
 * requests of one notify completed newest first), then made into what a
 * modern device's recording looks like for the exporter: the disk's kind
 * 'virtio-modern' and its register accesses MMIO rows in vblk1's BAR.
 */
static void make_async_rec(const char *path)
{
	const char *disks[1] = { img };
	struct synthrec *s;
	sqlite3 *db = NULL;
	char e[256] = "";
	uint8_t *ram;

	assert_int_equal(synthrec_open_kind(&s, path, disks, 1, DISK_VIRTIO, e, sizeof(e)), 0);
	ram = synthrec_ram(s);
	out(s, 0xc012, 1, 3);
	out(s, 0xc008, 4, 0x10);            /* rings at 0x10000 */
	out(s, 0xc012, 1, 7);
	for (unsigned i = 0; i < 2; i++) {  /* 1-sector reads of sectors 4, 5 */
		uint8_t *d = ram + 0x10000 + 48 * i;

		put32(ram + 0x20000 + 0x100 * i, 0);
		put64(ram + 0x20008 + 0x100 * i, 4 + i);
		put64(d, 0x20000 + 0x100 * i);
		put32(d + 8, 16);
		put16(d + 12, 1);
		put16(d + 14, (uint16_t)(3 * i + 1));
		put64(d + 16, 0x30000 + 0x1000 * i);
		put32(d + 24, 512);
		put16(d + 28, 3);
		put16(d + 30, (uint16_t)(3 * i + 2));
		put64(d + 32, 0x20010 + 0x100 * i);
		put32(d + 40, 1);
		put16(d + 44, 2);
		put16(ram + 0x11004 + 2 * i, (uint16_t)(3 * i));
	}
	put16(ram + 0x11002, 2);
	out(s, 0xc010, 2, 0);               /* notify: both submitted */
	assert_int_equal(synthrec_pending(s), 2);
	assert_int_equal(synthrec_complete(s, 1), 0); /* sector 5 first */
	assert_int_equal(synthrec_complete(s, 0), 0);
	assert_int_equal(synthrec_close(s, "hlt"), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE disks SET kind = 'virtio-modern';"
				      "INSERT INTO mmio SELECT seq, 0xfe001000 + port - 0xc000, "
				      "size, is_write, data, device FROM pio WHERE device = 'vblk0';"
				      "DELETE FROM pio WHERE device = 'vblk0'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}

static void test_fuzzseed_modern_async(void **state)
{
	static uint8_t buf[8192];
	char p[256], arec[160], aseeds[160];
	sqlite3 *db = NULL;
	char e[256] = "";
	size_t o, ndone = 0, npoke = 0, nmmio = 0;
	uint8_t done[2] = { 0xff, 0xff };
	long n;

	(void)state;
	snprintf(arec, sizeof(arec), "%s/async.db", dir);
	snprintf(aseeds, sizeof(aseeds), "%s/aseeds", dir);
	make_async_rec(arec);
	assert_int_equal(store_open_ro(arec, &db, e, sizeof(e)), 0);
	assert_int_equal(fuzzseed_write(db, "a", aseeds, e, sizeof(e)), 1);
	sqlite3_close(db);
	snprintf(p, sizeof(p), "%s/vblk_modern/a-1", aseeds);
	n = read_file(p, buf, sizeof(buf));
	assert_true(n > 2);
	assert_int_equal(buf[0] | buf[1], 0);
	/* first op: the status write, moved to the fuzz board's BAR 0xfe000000 */
	assert_memory_equal(buf + 2, ((uint8_t[]){ FUZZSEED_OP_MMIO, FUZZSEED_SEL_RAW,
						  FUZZSEED_IO_WRITE, 0x12, 0, 0, 0xfe, 3 }), 8);
	for (o = 2; o < (size_t)n;) {
		switch (buf[o]) {
		case FUZZSEED_OP_MMIO:
			nmmio++;
			o += 7 + ((buf[o + 2] & FUZZSEED_IO_WRITE) ? 1u << (buf[o + 2] & 3) : 0);
			break;
		case FUZZSEED_OP_POKE:
			npoke++;
			o += 6 + buf[o + 5] + 1u;
			break;
		case FUZZSEED_OP_DONE:
			assert_true(ndone < 2);
			done[ndone++] = buf[o + 1];
			o += 2;
			break;
		default:
			fail_msg("unexpected op %u at %zu", buf[o], o);
		}
	}
	assert_int_equal(o, (size_t)n);
	assert_int_equal(nmmio, 4);
	assert_true(npoke >= 7); /* avail, 2 heads, 6 descriptors, 2 headers, avail flags */
	/* newest first: the 2nd request in flight, then the only one left */
	assert_int_equal(ndone, 2);
	assert_int_equal(done[0], 1);
	assert_int_equal(done[1], 0);
}

static void test_fuzzseed_bad_dir_is_error(void **state)
{
	sqlite3 *db = NULL;
	char e[256] = "", p[256];

	(void)state;
	snprintf(p, sizeof(p), "%s/rec.db/sub", dir); /* under a file */
	assert_int_equal(store_open_ro(rec, &db, e, sizeof(e)), 0);
	assert_int_equal(fuzzseed_write(db, "rec", p, e, sizeof(e)), -ENOTDIR);
	assert_non_null(strstr(e, "rec.db/sub"));
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzzseed_writes_accesses_in_order),
		cmocka_unit_test(test_fuzzseed_never_overwrites),
		cmocka_unit_test(test_fuzzseed_target_names),
		cmocka_unit_test(test_fuzzseed_modern_async),
		cmocka_unit_test(test_fuzzseed_bad_dir_is_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
