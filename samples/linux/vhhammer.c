/*
 * vhhammer.c - two phases of the hostile guest (see vhostile.c):
 *
 * hammer: for HAMMER_MS and until each thread made 1000 accesses, thread
 * 0 (pinned to CPU 0) makes read and write chains available and notifies,
 * reads ISR and status, and resets and sets up the device every 64 turns
 * (without waiting for any answer); thread 1 (pinned to CPU 1) at the same
 * time writes queue_select, the queue addresses, queue_size, queue_enable,
 * status, the notify register, reads ISR and config, and makes accesses of
 * the wrong width.  Every address either thread gives the device is the right ring
 * page or lies outside guest RAM, and the descriptor table never changes,
 * so whatever interleaving the device sees, it may only touch our pages.
 *
 * flood: after a flush (so that nothing is in flight), one chain -- a 64
 * KiB read of the reference region -- made available 256 times, notify,
 * 256 times more, notify, without waiting: a driver reusing a chain still
 * in flight.  All 512 must complete with the right data; the model keeps
 * at most 256 in flight (the test checks the log).
 *
 * garbage: one malformed request or ring per case on a freshly set up
 * device, each reported as "garbage NN what: status .. used .. device_status
 * .. isr ..": sectors past the end, buffers / status byte / rings outside
 * RAM, looping chains, bad indexes, registers written with the wrong width.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vhostile.h"

#define OUTSIDE 0xf0000000u   /* no RAM there (the guest has 256 MiB) */
#define HCHAINS 85u           /* chains of 3 descriptors: heads 0, 3, ... 252 */
#define HAMMER_MIN 1000ul     /* register accesses of each thread, at least */

static struct vh_ring H;
static struct vh_page *hhdr, *hst, *hdata;
static volatile int stop;
static volatile unsigned long accesses[2];
static int ran_on[2];

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	sched_yield();
	ran_on[cpu] = sched_getcpu();
}

/* The constant descriptor table: chain j reads (j even) or writes (j odd) 8 sectors. */
static void hammer_descs(void)
{
	for (unsigned j = 0; j < HCHAINS; j++) {
		uint8_t *h = hhdr->va + 16 * j;
		uint32_t type = j & 1 ? VH_T_OUT : VH_T_IN;
		uint64_t sector = 8192 + 8 * j;
		uint16_t d = (uint16_t)(3 * j);

		memset(h, 0, 16);
		memcpy(h, &type, 4);
		memcpy(h + 8, &sector, 8);
		vh_desc_set(&H, d, hhdr->pa + 16 * j, 16, VH_D_NEXT, (uint16_t)(d + 1));
		vh_desc_set(&H, (uint16_t)(d + 1), hdata[j % 16].pa, VH_PAGE,
			    (uint16_t)((type == VH_T_IN ? VH_D_WRITE : 0) | VH_D_NEXT), (uint16_t)(d + 2));
		vh_desc_set(&H, (uint16_t)(d + 2), hst->pa + 16 * j, 1, VH_D_WRITE, 0);
	}
	vh_desc_set(&H, 255, hst->pa + 4000, 1, VH_D_WRITE, 0);
}

/*
 * Set the device up again on H (rings cleared, descriptors kept): the
 * status and feature writes of vh_init() without waiting for or checking
 * any answer (thread 1 writes status at the same time).
 */
static void hammer_reinit(void)
{
	uint32_t c = dev.common;

	memset(H.ap.va, 0, VH_PAGE);
	memset(H.up.va, 0, VH_PAGE);
	H.avail_idx = 0;
	__sync_synchronize();
	vh_w8(&dev, c + VH_STATUS, 0);
	vh_w8(&dev, c + VH_STATUS, VH_S_ACK | VH_S_DRIVER);
	vh_w32(&dev, c + VH_GFSELECT, 1);
	vh_w32(&dev, c + VH_GF, 1);
	vh_w8(&dev, c + VH_STATUS, VH_S_ACK | VH_S_DRIVER | VH_S_FEATURES_OK);
	vh_queue_setup(&dev, &H);
	vh_w8(&dev, c + VH_STATUS, VH_S_ACK | VH_S_DRIVER | VH_S_FEATURES_OK | VH_S_DRIVER_OK);
}

static void *driver_thread(void *arg)
{
	uint32_t s = 0x12345u;
	unsigned long n = 0;

	(void)arg;
	pin(0);
	while (!stop) {
		n++;
		if (n % 64 == 0) {
			hammer_reinit();
			accesses[0] += 16;
			continue;
		}
		switch (rnd(&s) % 4) {
		case 0:
		case 1:
			for (unsigned k = rnd(&s) % 4; k < 4; k++)
				vh_post(&H, (uint16_t)(3 * (rnd(&s) % HCHAINS)));
			vh_kick(&dev);
			accesses[0]++;
			break;
		case 2:
			vh_r8(&dev, dev.isr);
			accesses[0]++;
			break;
		default:
			vh_r8(&dev, dev.common + VH_STATUS);
			accesses[0]++;
			break;
		}
	}
	return NULL;
}

static void *register_thread(void *arg)
{
	uint32_t s = 0x9876u, c = dev.common;
	static const uint16_t sel[] = { 0, 1, 7 }, qsz[] = { 256, 64, 3 };
	static const uint8_t stv[] = { 0, 0x0f, 0x03 };

	(void)arg;
	pin(1);
	while (!stop) {
		uint32_t r = rnd(&s), pick = (r >> 8) % 3, two = (r >> 12) & 1;

		switch (r % 14) {
		case 0: vh_w16(&dev, c + VH_Q_SELECT, sel[pick]); break;
		case 1: vh_w32(&dev, c + VH_Q_DESC, two ? (uint32_t)H.dp.pa : OUTSIDE); break;
		case 2: vh_w32(&dev, c + VH_Q_DESC + 4, two); break; /* 1: above 4 GiB */
		case 3: vh_w32(&dev, c + VH_Q_DRIVER, two ? (uint32_t)H.ap.pa : OUTSIDE + 0x1000); break;
		case 4: vh_w32(&dev, c + VH_Q_DEVICE, two ? (uint32_t)H.up.pa : OUTSIDE + 0x2000); break;
		case 5: vh_w16(&dev, c + VH_Q_SIZE, qsz[pick]); break;
		case 6: vh_w16(&dev, c + VH_Q_ENABLE, 1); break;
		case 7: vh_w16(&dev, dev.qnotify, 0); break;
		case 8: vh_r8(&dev, dev.isr); break;
		case 9: vh_w8(&dev, c + VH_STATUS, stv[pick]); break;
		case 10: vh_w32(&dev, c + VH_DFSELECT, two); vh_r32(&dev, c + VH_DF); accesses[1]++; break;
		case 11: vh_r64(&dev, dev.devcfg); break;
		case 12:
			if (pick == 0)
				vh_w32(&dev, c + VH_Q_SELECT, 0);  /* wrong width */
			else if (pick == 1)
				vh_w8(&dev, dev.qnotify, 0);
			else
				vh_w32(&dev, dev.isr, 0);          /* ISR is read-only */
			break;
		default: vh_r16(&dev, c + VH_Q_SIZE); vh_r8(&dev, c + VH_STATUS); accesses[1]++; break;
		}
		accesses[1]++;
	}
	return NULL;
}

void phase_hammer(unsigned ms)
{
	pthread_t t[2];
	uint64_t t0;

	vh_mark(MARK_HAMMER);
	vh_ring_setup(&H, take(3), VH_QSIZE);
	hhdr = take(1);
	hst = take(1);
	hdata = take(16);
	hammer_descs();
	hammer_reinit();
	t0 = vh_ms();
	if (pthread_create(&t[0], NULL, driver_thread, NULL) ||
	    pthread_create(&t[1], NULL, register_thread, NULL)) {
		FAIL("hammer: no threads");
		return;
	}
	/* at least `ms`, and until each thread made HAMMER_MIN accesses (a
	 * loaded host runs the vCPUs slowly), but never more than 10 x ms */
	while (vh_ms() - t0 < ms ||
	       ((accesses[0] < HAMMER_MIN || accesses[1] < HAMMER_MIN) && vh_ms() - t0 < 10ull * ms))
		usleep(10000);
	stop = 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	vh_mark(MARK_HAMMER_END);
	if (ran_on[0] != 0 || ran_on[1] != 1)
		FAIL("hammer: threads ran on CPUs %d and %d", ran_on[0], ran_on[1]);
	vh_say("hammer: threads on CPU %d and CPU %d for %llu ms, accesses %lu and %lu",
	       ran_on[0], ran_on[1], (unsigned long long)(vh_ms() - t0), accesses[0], accesses[1]);
}

static struct vh_ring G;
static struct vh_page *ghdr, *gst, *gdata;

/* Reset and set up the device on G, with ring addresses overridden when non-zero. */
static void g_setup(uint64_t desc, uint64_t device)
{
	struct vh_ring x;

	vh_ring_clear(&G);
	x = G;
	if (desc)
		x.dp.pa = desc;
	if (device)
		x.up.pa = device;
	if (vh_init(&dev, &x))
		FAIL("garbage: device initialisation refused");
	*gst->va = ST_UNTOUCHED;
	memset(ghdr->va, 0, 64);
}

/* Header i: type and sector; returns its guest-physical address. */
static uint64_t g_hdr(unsigned i, uint32_t type, uint64_t sector)
{
	memcpy(ghdr->va + 16 * i, &type, 4);
	memcpy(ghdr->va + 16 * i + 8, &sector, 8);
	return ghdr->pa + 16 * i;
}

/* A 3-descriptor chain at d: header, one data buffer, status byte at st. */
static void g_chain(uint16_t d, uint32_t type, uint64_t sector, uint64_t data,
		    uint32_t len, uint64_t st)
{
	vh_desc_set(&G, d, g_hdr(d / 3, type, sector), 16, VH_D_NEXT, (uint16_t)(d + 1));
	vh_desc_set(&G, (uint16_t)(d + 1), data, len,
		    (uint16_t)((type == VH_T_IN ? VH_D_WRITE : 0) | VH_D_NEXT), (uint16_t)(d + 2));
	vh_desc_set(&G, (uint16_t)(d + 2), st, 1, VH_D_WRITE, 0);
}

/* Kick (unless wait_ms is 0), wait up to wait_ms for one used element or
 * for NEEDS_RESET, report. */
static void g_report(unsigned n, const char *what, unsigned wait_ms)
{
	uint64_t t0;
	uint8_t ds;

	if (wait_ms)
		vh_kick(&dev);
	t0 = vh_ms();
	while (vh_used_idx(&G) == 0 && !(vh_r8(&dev, dev.common + VH_STATUS) & VH_S_NEEDS_RESET) &&
	       vh_ms() - t0 < wait_ms)
		usleep(1000);
	ds = vh_r8(&dev, dev.common + VH_STATUS);
	vh_say("garbage %02u %s: status 0x%02x used %u device_status 0x%02x isr 0x%02x",
	       n, what, *gst->va, vh_used_idx(&G), ds, vh_r8(&dev, dev.isr));
}

void phase_garbage(void)
{
	uint64_t cap, st;
	uint32_t c = dev.common;

	vh_mark(MARK_GARBAGE);
	vh_ring_setup(&G, take(3), VH_QSIZE);
	ghdr = take(1);
	gst = take(1);
	gdata = take(1);
	st = gst->pa;
	cap = dev.capacity;

	g_setup(0, 0); g_chain(0, VH_T_IN, cap, gdata->pa, 512, st); vh_post(&G, 0);
	g_report(1, "read at sector capacity", 20000);
	g_setup(0, 0); g_chain(0, VH_T_IN, cap - 1, gdata->pa, 1024, st); vh_post(&G, 0);
	g_report(2, "read 2 sectors at capacity-1", 20000);
	g_setup(0, 0); g_chain(0, VH_T_IN, ~0ull, gdata->pa, 512, st); vh_post(&G, 0);
	g_report(3, "read at sector 2^64-1", 20000);
	g_setup(0, 0); g_chain(0, VH_T_IN, 0, OUTSIDE, 512, st); vh_post(&G, 0);
	g_report(4, "read into a buffer outside RAM (async)", 20000);
	g_setup(0, 0); g_chain(0, VH_T_OUT, 0, OUTSIDE, 512, st); vh_post(&G, 0);
	g_report(5, "write from a buffer outside RAM", 20000);
	g_setup(0, 0); g_chain(0, VH_T_OUT, cap - 4, gdata->pa, 4096, st); vh_post(&G, 0);
	g_report(6, "write 8 sectors at capacity-4", 20000);

	g_setup(0, 0); g_chain(0, VH_T_IN, 0, gdata->pa, 512, st);
	vh_desc_set(&G, 2, st, 1, VH_D_WRITE | VH_D_NEXT, 1); vh_post(&G, 0);
	g_report(7, "looping chain 0->1->2->1", 20000);
	g_setup(0, 0); g_chain(0, VH_T_IN, 0, gdata->pa, 512, st);
	g_chain(3, VH_T_IN, 8, gdata->pa, 512, st + 8);
	vh_desc_set(&G, 5, st + 8, 1, VH_D_WRITE | VH_D_NEXT, 4);
	vh_post(&G, 0); vh_post(&G, 3);
	vh_kick(&dev);
	usleep(500000); /* the good read's completion reaches a device that needs a reset */
	g_report(8, "good read in flight, then a looping chain", 0);
	g_setup(0, 0); G.avail[1] = VH_QSIZE + 5;
	g_report(9, "avail idx = queue size + 5", 20000);
	g_setup(0, 0); G.avail[2] = 300; G.avail[1] = 1;
	g_report(10, "head 300", 20000);
	g_setup(0, 0); vh_desc_set(&G, 0, g_hdr(0, VH_T_IN, 0), 16, VH_D_NEXT, 300); vh_post(&G, 0);
	g_report(11, "next 300", 20000);
	g_setup(OUTSIDE, 0); vh_post(&G, 0);
	g_report(12, "descriptor table outside RAM", 20000);
	g_setup(0, 0); g_chain(0, VH_T_IN, 0, gdata->pa, 512, OUTSIDE); vh_post(&G, 0);
	g_report(13, "status byte outside RAM (async)", 20000);
	g_setup(0, OUTSIDE + 0x2000); g_chain(0, VH_T_IN, 0, gdata->pa, 512, st); vh_post(&G, 0);
	g_report(14, "used ring outside RAM (async)", 20000);

	g_setup(0, 0);
	vh_w32(&dev, c + VH_Q_SELECT, 0);
	vh_w16(&dev, c + VH_Q_SIZE, 3);
	vh_w8(&dev, dev.qnotify, 0);
	vh_w32(&dev, dev.isr, 0);
	vh_w32(&dev, dev.devcfg, 0);
	vh_w16(&dev, c + VH_Q_ENABLE, 0);
	g_chain(0, VH_T_IN, 0, gdata->pa, 512, st); vh_post(&G, 0);
	g_report(15, "6 refused register writes, then a good read", 20000);
}

void phase_flood(void)
{
	struct vh_ring F;
	struct vh_page *hdr, *stp, *data;
	uint32_t type = VH_T_FLUSH, id, len;
	uint64_t sector = 0;
	uint16_t want = 0;
	unsigned bad = 0;

	vh_mark(MARK_FLOOD);
	vh_ring_setup(&F, take(3), VH_QSIZE);
	hdr = take(1);
	stp = take(1);
	data = take(16);
	if (vh_init(&dev, &F)) {
		FAIL("flood: device initialisation refused");
		return;
	}
	/* a flush first: every request of before has been delivered when it completes */
	memcpy(hdr->va + 16, &type, 4);
	vh_desc_set(&F, 20, hdr->pa + 16, 16, VH_D_NEXT, 21);
	vh_desc_set(&F, 21, stp->pa + 16, 1, VH_D_WRITE, 0);
	vh_post(&F, 20);
	vh_kick(&dev);
	want = 1;
	if (vh_wait_used(&F, want)) {
		FAIL("flood: the flush did not complete");
		return;
	}
	type = VH_T_IN;
	memcpy(hdr->va, &type, 4);
	memcpy(hdr->va + 8, &sector, 8);
	vh_desc_set(&F, 0, hdr->pa, 16, VH_D_NEXT, 1);
	for (uint16_t p = 0; p < 16; p++)
		vh_desc_set(&F, (uint16_t)(1 + p), data[p].pa, VH_PAGE,
			    VH_D_WRITE | VH_D_NEXT, (uint16_t)(2 + p));
	vh_desc_set(&F, 17, stp->pa, 1, VH_D_WRITE, 0);
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < VH_QSIZE; i++)
			vh_post(&F, 0);
		vh_kick(&dev);
	}
	want = (uint16_t)(want + 2 * VH_QSIZE);
	for (int t = 0; t < 6 && vh_wait_used(&F, want); t++)
		;
	for (uint16_t k = 1; k < vh_used_idx(&F); k++) {
		vh_used_elem(&F, k, &id, &len);
		if (id != 0 || len != 16 * VH_PAGE + 1)
			bad++;
	}
	for (unsigned s = 0; s < 128; s++) {
		uint8_t w[SECT];

		pattern(w, s, 0);
		if (memcmp(data[s / 8].va + (s % 8) * SECT, w, SECT))
			bad++;
	}
	if (vh_used_idx(&F) != want || *stp->va != 0 || bad)
		FAIL("flood: %u of 512 completed, status 0x%02x, %u wrong", (uint16_t)(vh_used_idx(&F) - 1),
		     *stp->va, bad);
	else
		vh_say("flood: one chain made available 512 times by 2 notifies: 512 completed, data ok");
}
