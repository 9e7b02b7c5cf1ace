/*
 * vhostile.c - a hostile guest for the asynchronous and SMP paths of the
 * virtio-blk model (tests/e2e/t_hostile_smp.sh).  PID 1 of its own
 * initramfs (samples/linux/build-hostile-guest.sh): no virtio driver is
 * loaded, so the modern virtio-blk function stays unbound and this program
 * drives it from userspace (vhdrv.c), in phases separated by marks in the
 * recording (32-bit OUTs to port 0x510, vhostile.h):
 *
 *   basic   16 writes of 32 KiB (the reference region, sectors 0..1023),
 *           read back and compared;
 *   reset   ROUNDS times (more, up to 12, until 10 requests were caught
 *           in flight): 52 requests (26 writes, 26 reads, 4-32 KiB) made
 *           available with one notify, then at once device_status = 0;
 *           the device is set up again on other rings, the regions the
 *           in-flight writes wrote are read back, then a flush (a barrier
 *           on the recorder's IO threads: every earlier request has been
 *           delivered when it completes).  The old rings must show exactly
 *           the completions published before the reset: used->idx frozen,
 *           the status bytes and read buffers of the others untouched; and
 *           every write in flight at the reset must have reached the disk;
 *   hammer  two threads pinned to CPU 0 and CPU 1 hit the same device's
 *           registers at once for HAMMER_MS (vhhammer.c);
 *   garbage malformed requests and rings (vhhammer.c);
 *   flood   one 64 KiB read chain made available 256 times by one notify
 *           and 256 times more by the next, without waiting (vhhammer.c);
 *   final   the reference region and the reset rounds' regions read back.
 *
 * Prints "vhostile: ..." lines (the test compares them), "vhostile: done"
 * or "vhostile: FAILED n", then reboots (reboot=k: the i8042 reset ends the
 * recording).  Kernel command line: vhostile.rounds=N (at least 3),
 * vhostile.hammer_ms=MS (3000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "vhostile.h"

#define NPOOL 448u
#define MAXREQ 64u

struct vh_dev dev;
int fails;
static struct vh_page pool[NPOOL];
static unsigned pool_used;

struct vh_page *take(unsigned n)
{
	if (pool_used + n > NPOOL) {
		vh_say("FAILED page pool spent");
		exit(1);
	}
	pool_used += n;
	return &pool[pool_used - n];
}

void pattern(uint8_t *p, uint64_t sector, unsigned gen)
{
	for (unsigned k = 0; k < SECT; k++)
		p[k] = (uint8_t)(sector * 7 + k + gen * 13 + (sector >> 8));
}

struct vreq {
	uint32_t type;
	uint64_t sector;
	unsigned npages;
	struct vh_page *data;
	unsigned gen;            /* written, or expected when read */
	uint16_t head;
	bool done;
	volatile uint8_t *st;
};

struct batch {
	struct vh_ring ring;
	struct vh_page *hdr, *stp;
	struct vreq r[MAXREQ];
	unsigned n;
};

static void batch_alloc(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	vh_ring_setup(&b->ring, take(3), VH_QSIZE);
	b->hdr = take(1);
	b->stp = take(1);
}

static struct vreq *batch_add(struct batch *b, uint32_t type, uint64_t sector,
			      unsigned npages, struct vh_page *data, unsigned gen)
{
	struct vreq *r = &b->r[b->n++];

	r->type = type;
	r->sector = sector;
	r->npages = npages;
	r->data = data;
	r->gen = gen;
	return r;
}

/* Descriptors, headers, status bytes (ST_UNTOUCHED) and data of every request. */
static void batch_build(struct batch *b)
{
	uint16_t nd = 0;

	for (unsigned i = 0; i < b->n; i++) {
		struct vreq *r = &b->r[i];
		uint8_t *h = b->hdr->va + 16 * i;
		uint64_t hpa = b->hdr->pa + 16 * i, spa = b->stp->pa + 16 * i;

		memset(h, 0, 16);
		memcpy(h, &r->type, 4);
		memcpy(h + 8, &r->sector, 8);
		r->st = b->stp->va + 16 * i;
		*r->st = ST_UNTOUCHED;
		r->done = false;
		r->head = nd;
		vh_desc_set(&b->ring, nd, hpa, 16, VH_D_NEXT, (uint16_t)(nd + 1));
		nd++;
		for (unsigned p = 0; p < r->npages; p++) {
			uint8_t *va = r->data[p].va;

			if (r->type == VH_T_OUT)
				for (unsigned s = 0; s < VH_PAGE / SECT; s++)
					pattern(va + s * SECT, r->sector + p * 8 + s, r->gen);
			else
				memset(va, POISON, VH_PAGE);
			vh_desc_set(&b->ring, nd, r->data[p].pa, VH_PAGE,
				    (uint16_t)((r->type == VH_T_IN ? VH_D_WRITE : 0) | VH_D_NEXT),
				    (uint16_t)(nd + 1));
			nd++;
		}
		vh_desc_set(&b->ring, nd, spa, 1, VH_D_WRITE, 0);
		nd++;
	}
}

/* Reset and set up the device on b's rings, make every request available, notify. */
static int batch_start(struct batch *b)
{
	vh_ring_clear(&b->ring);
	if (vh_init(&dev, &b->ring)) {
		FAIL("device initialisation refused");
		return -EIO;
	}
	batch_build(b);
	for (unsigned i = 0; i < b->n; i++)
		vh_post(&b->ring, b->r[i].head);
	vh_kick(&dev);
	return 0;
}

static bool data_is(const struct vreq *r, int gen)
{
	uint8_t want[SECT];

	for (unsigned p = 0; p < r->npages; p++)
		for (unsigned s = 0; s < VH_PAGE / SECT; s++) {
			const uint8_t *got = r->data[p].va + s * SECT;

			if (gen < 0)
				memset(want, POISON, SECT);
			else
				pattern(want, r->sector + p * 8 + s, (unsigned)gen);
			if (memcmp(got, want, SECT))
				return false;
		}
	return true;
}

/*
 * Used elements [0, count) of b: each names a request of b once, with the
 * right length, status 0 and (reads) the expected data.  Marks them done;
 * returns the number of problems (each printed).
 */
static int batch_check_used(struct batch *b, const char *what, uint16_t count)
{
	int bad = 0;

	for (uint16_t k = 0; k < count; k++) {
		uint32_t id, len, want;
		struct vreq *r = NULL;

		vh_used_elem(&b->ring, k, &id, &len);
		for (unsigned i = 0; i < b->n; i++)
			if (b->r[i].head == id && !b->r[i].done)
				r = &b->r[i];
		if (!r) {
			FAIL("%s: used[%u] id %u is no request in flight", what, k, id);
			bad++;
			continue;
		}
		r->done = true;
		want = r->type == VH_T_IN ? r->npages * VH_PAGE + 1 : 1;
		if (len != want || *r->st != 0 || (r->type == VH_T_IN && !data_is(r, (int)r->gen))) {
			FAIL("%s: request at sector %llu: len %u (want %u) status 0x%02x%s", what,
			     (unsigned long long)r->sector, len, want, *r->st,
			     r->type == VH_T_IN && !data_is(r, (int)r->gen) ? " data wrong" : "");
			bad++;
		}
	}
	return bad;
}

/* Run b to completion: start, wait for every used element, check them. */
static int batch_run(struct batch *b, const char *what)
{
	if (batch_start(b))
		return -EIO;
	if (vh_wait_used(&b->ring, (uint16_t)b->n)) {
		FAIL("%s: %u of %u requests completed in 20 s", what, vh_used_idx(&b->ring), b->n);
		return -ETIMEDOUT;
	}
	return batch_check_used(b, what, (uint16_t)b->n) ? -EIO : 0;
}

static struct vh_page *ref_pages;     /* 16 x 8 pages: the reference region */
static struct batch A, B;
static struct vh_page *a_pages, *b_pages;

/* 16 x 32 KiB over sectors 0..1023, gen 0. */
static void phase_basic(void)
{
	int rc;

	vh_mark(MARK_BASIC);
	ref_pages = take(128);
	A.n = 0;
	for (unsigned i = 0; i < 16; i++)
		batch_add(&A, VH_T_OUT, 64 * i, 8, ref_pages + 8 * i, 0);
	rc = batch_run(&A, "basic writes");
	for (unsigned i = 0; i < 16; i++)
		A.r[i].type = VH_T_IN;
	if (!rc)
		rc = batch_run(&A, "basic reads");
	if (!rc)
		vh_say("basic: 16 writes and 16 reads of 32 KiB ok");
}

/* The requests of a reset round (writes of generation gen) in A, their read-backs in B. */
static void round_requests(unsigned gen)
{
	struct vh_page *pa = a_pages, *pb = b_pages;

	A.n = B.n = 0;
	for (unsigned k = 0; k < 6; k++) {
		batch_add(&A, VH_T_OUT, 2048 + 64 * k, 8, pa, gen);
		batch_add(&B, VH_T_IN, 2048 + 64 * k, 8, pb, gen);
		pa += 8;
		pb += 8;
		batch_add(&A, VH_T_IN, 64 * k, 8, pa, 0);
		pa += 8;
	}
	for (unsigned k = 0; k < 20; k++) {
		batch_add(&A, VH_T_OUT, 2560 + 8 * k, 1, pa++, gen);
		batch_add(&B, VH_T_IN, 2560 + 8 * k, 1, pb++, gen);
		batch_add(&A, VH_T_IN, 8 * (k * 5 % 128), 1, pa++, 0);
	}
	batch_add(&B, VH_T_FLUSH, 0, 0, NULL, 0);
}

/* One round: 52 requests in flight, reset, set up again, check.  Returns
 * how many were still in flight at the reset. */
static unsigned reset_round(unsigned round)
{
	uint16_t u1, u2;
	uint8_t st;
	unsigned orphans = 0, bad = 0;

	round_requests(round + 1);
	if (batch_start(&A))
		return 0;
	vh_w8(&dev, dev.common + VH_STATUS, 0);   /* the reset, requests in flight */
	st = vh_r8(&dev, dev.common + VH_STATUS);
	u1 = vh_used_idx(&A.ring);
	if (batch_start(&B))
		return 0;
	if (vh_wait_used(&B.ring, (uint16_t)B.n)) {
		FAIL("reset round %u: %u of %u requests after the reset completed in 20 s",
		     round, vh_used_idx(&B.ring), B.n);
		return 0;
	}
	u2 = vh_used_idx(&A.ring);
	bad += (unsigned)batch_check_used(&A, "before the reset", u1);
	for (unsigned i = 0; i < A.n; i++) {
		struct vreq *r = &A.r[i];

		if (r->done)
			continue;
		orphans++;
		if (*r->st != ST_UNTOUCHED || (r->type == VH_T_IN && !data_is(r, -1))) {
			FAIL("reset round %u: request at sector %llu completed after the reset: status 0x%02x",
			     round, (unsigned long long)r->sector, *r->st);
			bad++;
		}
	}
	if (u2 != u1) {
		FAIL("reset round %u: old used->idx moved from %u to %u after the reset", round, u1, u2);
		bad++;
	}
	bad += (unsigned)batch_check_used(&B, "read-back after the reset", (uint16_t)B.n);
	if (st != 0) {
		FAIL("reset round %u: device_status reads 0x%02x after the reset", round, st);
		bad++;
	}
	vh_say("reset round %u: in flight %u, completed before the reset %u, orphaned %u%s",
	       round, A.n, u1, orphans, bad ? "" : ": old rings untouched, all writes on disk");
	return orphans;
}

/*
 * At least `rounds` rounds, more (up to MAX_ROUNDS) until ORPHANS_WANTED
 * requests were caught in flight: the IO threads often finish all 52
 * before the vCPU's next exit.  Returns the number of rounds run.
 */
#define MAX_ROUNDS 12u
#define ORPHANS_WANTED 10u
static unsigned phase_reset(unsigned rounds)
{
	unsigned r, orphans = 0;

	vh_mark(MARK_RESET);
	a_pages = take(136);
	b_pages = take(68);
	for (r = 0; r < MAX_ROUNDS && (r < rounds || orphans < ORPHANS_WANTED); r++)
		orphans += reset_round(r);
	vh_say("reset rounds: %u, requests in flight at the reset: %u", r, orphans);
	return r;
}

static void phase_final(unsigned rounds)
{
	int rc;

	vh_mark(MARK_FINAL);
	A.n = 0;
	for (unsigned i = 0; i < 16; i++)
		batch_add(&A, VH_T_IN, 64 * i, 8, ref_pages + 8 * i, 0);
	rc = batch_run(&A, "final reference read");
	round_requests(rounds);
	if (!rc)
		rc = batch_run(&B, "final read of the reset rounds' regions");
	if (!rc)
		vh_say("final: reference and reset-round regions read back ok");
}

static unsigned cmdline_arg(const char *key, unsigned dflt)
{
	char buf[1024], *p;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return dflt;
	buf[n] = 0;
	p = strstr(buf, key);
	return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : dflt;
}

static int cmp_pa(const void *a, const void *b)
{
	uint64_t x = ((const struct vh_page *)a)->pa, y = ((const struct vh_page *)b)->pa;

	return x < y ? -1 : x > y;
}

/* The pool's pages as sorted PFN ranges (the test checks every DMA write lands in one). */
static void say_pages(void)
{
	static struct vh_page s[NPOOL];
	char line[8192];
	size_t o = 0;

	memcpy(s, pool, sizeof(s));
	qsort(s, NPOOL, sizeof(s[0]), cmp_pa);
	for (unsigned i = 0; i < NPOOL && o < sizeof(line) - 64;) {
		unsigned j = i;

		while (j + 1 < NPOOL && s[j + 1].pa == s[j].pa + VH_PAGE)
			j++;
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%llx-%llx", i ? "," : "",
				      (unsigned long long)(s[i].pa / VH_PAGE),
				      (unsigned long long)(s[j].pa / VH_PAGE));
		i = j + 1;
	}
	vh_say("pages %s", line);
}

int main(void)
{
	unsigned rounds, hammer_ms;
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sys", "/sys", "sysfs", 0, NULL);
	mount("dev", "/dev", "devtmpfs", 0, NULL);
	fd = open("/proc/sys/vm/compact_unevictable_allowed", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			vh_say("note: compact_unevictable_allowed stays");
		close(fd);
	}
	rounds = cmdline_arg("vhostile.rounds=", 3);
	hammer_ms = cmdline_arg("vhostile.hammer_ms=", 3000);
	vh_say("started, %ld CPUs online", sysconf(_SC_NPROCESSORS_ONLN));
	if (vh_mark_init() || vh_open(&dev) || vh_pages(pool, NPOOL)) {
		vh_say("FAILED setting up (ioperm, device or pages)");
		goto out;
	}
	vh_say("device %s BAR%d 0x%llx: common +0x%x, notify +0x%x x%u, isr +0x%x, device +0x%x",
	       dev.pci, dev.bar_index, (unsigned long long)dev.bar_pa, dev.common,
	       dev.notify, dev.notify_mult, dev.isr, dev.devcfg);
	say_pages();
	batch_alloc(&A);
	batch_alloc(&B);
	phase_basic();
	vh_say("capacity %llu sectors", (unsigned long long)dev.capacity);
	rounds = phase_reset(rounds);
	phase_hammer(hammer_ms);
	phase_garbage();
	phase_flood();
	phase_final(rounds);
	vh_mark(MARK_END);
	if (fails)
		vh_say("FAILED %d", fails);
	else
		vh_say("done");
out:
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
