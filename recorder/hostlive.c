/*
 * hostlive.c - the live host interface (see hostlive.h).  Every call a
 * device model makes is carried out for real and, when recording, logged
 * with the seq of the current exit so the replayer can answer it from the
 * log.  Guest addresses are checked against guest RAM before any access.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "recorder/hostlive.h"
#include "recorder/iothread.h"
#include "util/sha256.h"

static uint64_t live_now_ns(void *ctx)
{
	return ((struct hostlive *)ctx)->t_ns;
}

static struct blkraw *live_disk(struct hostlive *hl, const struct blk_req *r)
{
	if (r->disk < 0 || r->disk >= hl->ndisks)
		return NULL;
	return &hl->disks[r->disk];
}

/* A row the store refused: the first such error of the run is kept (with
 * its seq and table) for the run step to end the run with. */
static void live_keep(struct hostlive *hl, int rc, const char *what)
{
	if (rc && !hl->log_err) {
		hl->log_err = rc;
		hl->log_err_seq = hl->seq;
		hl->log_err_what = what;
	}
}

static void live_log_blk(struct hostlive *hl, const struct blk_req *r,
			 const void *buf, int status, uint64_t latency)
{
	struct rec_blk b = {
		.seq = hl->seq, .device = r->device, .disk = r->disk, .op = r->op,
		.sector = r->sector, .nsectors = r->nsectors, .status = status,
		.latency_ns = latency,
	};

	if (!hl->prod)
		return;
	if (buf && status == 0) {
		sha256(buf, (size_t)r->nsectors * SECTOR_SIZE, b.hash);
		b.has_hash = true;
	}
	live_keep(hl, store_prod_put_blk(hl->prod, &b), "blk_requests row");
}

static int live_blk_read(void *ctx, const struct blk_req *r, void *buf)
{
	struct hostlive *hl = ctx;
	struct blkraw *d = live_disk(hl, r);
	uint64_t t0 = hostlive_clock();
	int rc = d ? blkraw_read(d, r->sector, r->nsectors, buf) : -ENODEV;

	if (rc)
		hl->dev_errors++;
	live_log_blk(hl, r, buf, rc, hostlive_clock() - t0);
	return rc;
}

static int live_blk_write(void *ctx, const struct blk_req *r, const void *buf)
{
	struct hostlive *hl = ctx;
	struct blkraw *d = live_disk(hl, r);
	uint64_t t0 = hostlive_clock();
	int rc = d ? blkraw_write(d, r->sector, r->nsectors, buf) : -ENODEV;

	if (rc)
		hl->dev_errors++;
	live_log_blk(hl, r, buf, rc, hostlive_clock() - t0);
	return rc;
}

static int live_blk_flush(void *ctx, const struct blk_req *r)
{
	struct hostlive *hl = ctx;
	struct blkraw *d = live_disk(hl, r);
	uint64_t t0 = hostlive_clock();
	int rc = d ? blkraw_flush(d) : -ENODEV;

	live_log_blk(hl, r, NULL, rc, hostlive_clock() - t0);
	return rc;
}

static int live_ram_check(struct hostlive *hl, uint64_t gpa, size_t len)
{
	if (gpa > hl->vm->ram_size || len > hl->vm->ram_size - gpa)
		return -EFAULT;
	return 0;
}

static void live_log_dma(struct hostlive *hl, const char *dev, uint64_t gpa,
			 const void *data, size_t len, int is_write, int status)
{
	struct rec_dma d = {
		.seq = hl->seq, .device = dev, .gpa = gpa, .len = (uint32_t)len,
		.is_write = (uint8_t)is_write, .status = status,
		.data = status ? NULL : data,
	};

	if (hl->prod)
		live_keep(hl, store_prod_put_dma(hl->prod, &d), "dma row");
}

static int live_dma_read(void *ctx, const char *dev, uint64_t gpa, void *buf,
			 size_t len)
{
	struct hostlive *hl = ctx;
	int rc = live_ram_check(hl, gpa, len);

	if (rc == 0)
		memcpy(buf, hl->vm->ram + gpa, len);
	else
		hl->dev_errors++;
	live_log_dma(hl, dev, gpa, buf, len, 0, rc);
	return rc;
}

static int live_dma_write(void *ctx, const char *dev, uint64_t gpa,
			  const void *buf, size_t len)
{
	struct hostlive *hl = ctx;
	int rc = live_ram_check(hl, gpa, len);

	if (rc == 0)
		memcpy(hl->vm->ram + gpa, buf, len);
	else
		hl->dev_errors++;
	live_log_dma(hl, dev, gpa, buf, len, 1, rc);
	return rc;
}

static void live_irq_set(void *ctx, int line, int level)
{
	struct hostlive *hl = ctx;
	struct rec_irq r = { .seq = hl->seq, .line = line, .level = level };

	for (int i = 0; hl->board && i < hl->board->ndevs; i++)
		if (hl->board->devs[i].irq == line)
			r.device = hl->board->devs[i].name;
	if (hl->prod)
		live_keep(hl, store_prod_put_irq(hl->prod, &r), "irqs row");
	vm_irq_line(hl->vm, line, level);
}

void hostlive_console_flush(struct hostlive *hl)
{
	size_t done = 0;

	while (done < hl->ncon) {
		ssize_t n = write(STDOUT_FILENO, hl->con + done, hl->ncon - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* stdout gone: the guest's output is lost, not the recording */
		done += (size_t)n;
	}
	hl->ncon = 0;
}

static void live_console_out(void *ctx, uint8_t byte)
{
	struct hostlive *hl = ctx;

	hl->con[hl->ncon++] = (char)byte;
	if (byte == '\n' || hl->ncon == sizeof(hl->con))
		hostlive_console_flush(hl);
}

/* Asynchronous block IO: the IO thread logs the row at completion. */
static int live_blk_submit(void *ctx, const struct blk_req *r, void *buf, uint64_t tag)
{
	struct hostlive *hl = ctx;

	return iothread_submit(hl->io, r, buf, tag, hl->seq);
}

uint64_t hostlive_event_begin(struct hostlive *hl)
{
	uint64_t seq = dispatch_seq_next(hl->dispatch);

	hl->seq = seq;
	hl->t_ns = hostlive_clock() - hl->t0;
	hl->prod = hl->ev_prod;
	hl->events++;
	return seq;
}

void hostlive_put_blk(struct hostlive *hl, const struct rec_blk *b)
{
	if (hl->prod)
		live_keep(hl, store_prod_put_blk(hl->prod, b), "blk_requests row");
}

void hostlive_put_event(struct hostlive *hl, const struct rec_event *e)
{
	if (hl->prod)
		live_keep(hl, store_prod_put_event(hl->prod, e), "events row");
}

static int live_console_in(void *ctx, uint8_t *byte)
{
	(void)ctx;
	(void)byte;
	return 0; /* console input is not wired yet */
}

static void live_system_event(void *ctx, int event)
{
	struct hostlive *hl = ctx;

	if (!hl->event)
		hl->event = event;
}

static const struct host_ops live_ops = {
	.now_ns = live_now_ns,
	.blk_read = live_blk_read,
	.blk_write = live_blk_write,
	.blk_flush = live_blk_flush,
	.dma_read = live_dma_read,
	.dma_write = live_dma_write,
	.irq_set = live_irq_set,
	.console_out = live_console_out,
	.console_in = live_console_in,
	.system_event = live_system_event,
};

static const struct host_ops live_ops_async = {
	.now_ns = live_now_ns,
	.blk_read = live_blk_read,
	.blk_write = live_blk_write,
	.blk_flush = live_blk_flush,
	.blk_submit = live_blk_submit,
	.dma_read = live_dma_read,
	.dma_write = live_dma_write,
	.irq_set = live_irq_set,
	.console_out = live_console_out,
	.console_in = live_console_in,
	.system_event = live_system_event,
};

void hostlive_init(struct hostlive *hl, struct store *store, struct vm *vm,
		   const struct board *board, struct blkraw *disks, int ndisks)
{
	memset(hl, 0, sizeof(*hl));
	hl->prod = store ? store_prod_main(store) : NULL;
	hl->vm = vm;
	hl->board = board;
	hl->disks = disks;
	hl->ndisks = ndisks;
}

struct host hostlive_host(struct hostlive *hl)
{
	return (struct host){ .ops = hl->io ? &live_ops_async : &live_ops, .ctx = hl };
}
