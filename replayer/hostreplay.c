/*
 * hostreplay.c - the replay host interface (see hostreplay.h): answers a
 * device model's host calls from the log rows of the current exit,
 * compares them, and (replay -o) logs them as the model made them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replayer/hostreplay.h"
#include "util/sha256.h"

static const char *const op_names[] = {
	[BLK_OP_READ] = "read", [BLK_OP_WRITE] = "write", [BLK_OP_FLUSH] = "flush",
};

const char *hostreplay_op_name(int op)
{
	return op >= 0 && op <= BLK_OP_FLUSH ? op_names[op] : "?";
}

__attribute__((format(printf, 4, 5)))
static void hr_div(struct hostreplay *hr, uint64_t seq, const char *dev,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr->ndiv++;
	if (hr->diverge)
		hr->diverge(hr->diverge_arg, seq, dev, msg);
}

static void hr_step(struct hostreplay *hr, struct log_cur *c)
{
	if (logread_next(c) < 0)
		hr->fatal = -EIO;
}

static const char *col_text(const struct log_cur *st, int i)
{
	const char *t = logread_text(st, i);

	return t ? (const char *)t : "";
}

static unsigned long long col_u64(const struct log_cur *st, int i)
{
	return (unsigned long long)logread_int(st, i);
}

static uint64_t hr_now_ns(void *ctx)
{
	return ((struct hostreplay *)ctx)->t_ns;
}

/* A row the -o store refused: the first error is kept for the walk. */
static void hr_keep(struct hostreplay *hr, int rc)
{
	if (rc && !hr->out_err)
		hr->out_err = rc;
}

static void hr_log_blk(struct hostreplay *hr, const struct blk_req *r,
		       const void *data, int status, uint64_t latency, uint64_t issue_seq)
{
	struct rec_blk b = {
		.seq = issue_seq ? issue_seq : hr->seq, .done_seq = issue_seq ? hr->seq : 0, .device = r->device, .disk = r->disk, .op = r->op,
		.sector = r->sector, .nsectors = r->nsectors, .status = status,
		.latency_ns = latency,
	};

	if (!hr->out)
		return;
	if (data && status == 0) {
		sha256(data, (size_t)r->nsectors * SECTOR_SIZE, b.hash);
		b.has_hash = true;
	}
	hr_keep(hr, store_put_blk(hr->out, &b));
}

/* Carry out a block request on the overlay; rbuf for reads, wbuf for writes. */
static int hr_blk_do(struct hostreplay *hr, const struct blk_req *r, void *rbuf,
		     const void *wbuf)
{
	struct overlay *ov;

	if (r->op == BLK_OP_FLUSH)
		return 0;
	if (r->disk < 0 || r->disk >= hr->ndisks || !hr->disks[r->disk])
		return -ENODEV;
	ov = hr->disks[r->disk];
	return rbuf ? overlay_read(ov, r->sector, r->nsectors, rbuf)
		    : overlay_write(ov, r->sector, r->nsectors, wbuf);
}

static int hr_blk(struct hostreplay *hr, const struct blk_req *r, void *rbuf,
		  const void *wbuf, uint64_t issue_seq)
{
	struct log_cur *c = hr->blk;
	const struct log_cur *st = c;
	const char *op = hostreplay_op_name(r->op);
	const void *data = rbuf ? (const void *)rbuf : wbuf;
	char want[65] = "", got[65];
	uint64_t latency = 0;
	bool match = false, hashed = false;
	int status = 0;

	hr->nblk++;
	if (c->seq == hr->seq) {
		const char *ldev = col_text(st, BLK_DEVICE), *lop = col_text(st, BLK_OP);
		unsigned long long lsec = col_u64(st, BLK_SECTOR), ln = col_u64(st, BLK_NSECTORS);

		match = !strcmp(ldev, r->device) && !strcmp(lop, op) &&
			lsec == r->sector && ln == r->nsectors;
		if (!match)
			hr_div(hr, hr->seq, r->device,
			       "blk: expected %s sector %llu n %llu (%s), model issued %s sector %llu n %u (%s)",
			       lop, lsec, ln, ldev, op, (unsigned long long)r->sector,
			       r->nsectors, r->device);
		status = (int)logread_int(st, BLK_STATUS);
		latency = col_u64(st, BLK_LATENCY);
		if (logread_is_text(st, BLK_HASH)) {
			snprintf(want, sizeof(want), "%s", col_text(st, BLK_HASH));
			hashed = true;
		}
		hr_step(hr, c);
	} else {
		hr_div(hr, hr->seq, r->device,
		       "blk: model issued %s sector %llu n %u, the recording has no request here",
		       op, (unsigned long long)r->sector, r->nsectors);
	}
	/* a logged failure is replayed as the same failure, nothing touched */
	if (status == 0) {
		status = hr_blk_do(hr, r, rbuf, wbuf);
		if (status && match)
			hr_div(hr, hr->seq, r->device, "blk %s sector %llu n %u: %s in the replay, 0 in the recording",
			       op, (unsigned long long)r->sector, r->nsectors, strerror(-status));
	}
	if (status == 0 && data && match) {
		uint8_t d[32];

		sha256(data, (size_t)r->nsectors * SECTOR_SIZE, d);
		sha256_hex(d, got);
		if (!hashed || strcmp(got, want))
			hr_div(hr, hr->seq, r->device,
			       "blk %s sector %llu n %u: data sha256 %s, recording has %s",
			       op, (unsigned long long)r->sector, r->nsectors, got,
			       hashed ? want : "none");
	}
	hr_log_blk(hr, r, data, status, latency, issue_seq);
	return status;
}

static int hr_blk_read(void *ctx, const struct blk_req *r, void *buf)
{
	return hr_blk(ctx, r, buf, NULL, 0);
}

static int hr_blk_write(void *ctx, const struct blk_req *r, const void *buf)
{
	return hr_blk(ctx, r, NULL, buf, 0);
}

static int hr_blk_flush(void *ctx, const struct blk_req *r)
{
	return hr_blk(ctx, r, NULL, NULL, 0);
}

/*
 * Asynchronous block IO: nothing happens and nothing is compared at
 * submission (the recorder logs the request when it completes); the request
 * waits here for its blk_done event (hostreplay_blk_done).
 */
static int hr_blk_submit(void *ctx, const struct blk_req *r, void *buf, uint64_t tag)
{
	struct hostreplay *hr = ctx;
	struct hr_pending *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->r = *r;
	p->buf = buf;
	p->tag = tag;
	p->seq = hr->seq;
	p->next = hr->pending;
	hr->pending = p;
	return 0;
}

int hostreplay_blk_done(struct hostreplay *hr, const char *device, uint64_t tag)
{
	struct hr_pending **pp, *p;
	int status;

	for (pp = &hr->pending; *pp; pp = &(*pp)->next)
		if ((*pp)->tag == tag && !strcmp((*pp)->r.device, device))
			break;
	p = *pp;
	if (!p) {
		hr_div(hr, hr->seq, device, "blk_done: the recording completes %s request %llu here, "
		       "the model has no such request in flight", device, (unsigned long long)tag);
		return -ENOENT;
	}
	*pp = p->next;
	status = hr_blk(hr, &p->r, p->r.op == BLK_OP_READ ? p->buf : NULL,
			p->r.op == BLK_OP_WRITE ? p->buf : NULL, p->seq);
	free(p);
	return status;
}

void hostreplay_free_pending(struct hostreplay *hr)
{
	while (hr->pending) {
		struct hr_pending *p = hr->pending;

		hr->pending = p->next;
		free(p);
	}
}

static void hr_log_dma(struct hostreplay *hr, const char *dev, uint64_t gpa,
		       const void *data, size_t len, int is_write, int status)
{
	struct rec_dma d = {
		.seq = hr->seq, .device = dev, .gpa = gpa, .len = (uint32_t)len,
		.is_write = (uint8_t)is_write, .status = status,
		.data = status ? NULL : data,
	};

	if (hr->out)
		hr_keep(hr, store_put_dma(hr->out, &d));
}

/*
 * The next dma row against the model's access.  For a read, the logged
 * bytes are served into rbuf; for a write, wbuf is compared with them.
 */
static int hr_dma(struct hostreplay *hr, const char *dev, uint64_t gpa,
		  void *rbuf, const void *wbuf, size_t len)
{
	struct log_cur *c = hr->dma;
	const struct log_cur *st = c;
	int is_write = wbuf != NULL, status = -EFAULT;
	const char *dir = is_write ? "write" : "read";

	hr->ndma++;
	if (c->seq == hr->seq) {
		const char *ldev = col_text(st, DMA_DEVICE);
		unsigned long long lgpa = col_u64(st, DMA_GPA), llen = col_u64(st, DMA_LEN);
		int lw = (int)logread_int(st, DMA_IS_WRITE);
		const uint8_t *ld = logread_blob(st, DMA_DATA);
		size_t nb = logread_bytes(st, DMA_DATA);
		bool match = !strcmp(ldev, dev) && lgpa == gpa && llen == len && lw == is_write;

		status = (int)logread_int(st, DMA_STATUS);
		if (!match)
			hr_div(hr, hr->seq, dev,
			       "dma: expected %s gpa 0x%llx len %llu (%s), model issued %s gpa 0x%llx len %zu (%s)",
			       lw ? "write" : "read", lgpa, llen, ldev, dir,
			       (unsigned long long)gpa, len, dev);
		if (status == 0 && !is_write) {
			size_t n = nb < len ? nb : len;

			if (n)
				memcpy(rbuf, ld, n);
			memset((uint8_t *)rbuf + n, 0, len - n);
			if (match && nb != len)
				hr_div(hr, hr->seq, dev, "dma read gpa 0x%llx len %zu: the recording holds %zu bytes",
				       (unsigned long long)gpa, len, nb);
		} else if (status == 0 && match) {
			size_t i = 0;

			while (i < len && i < nb && ld[i] == ((const uint8_t *)wbuf)[i])
				i++;
			if (i < len || nb != len)
				hr_div(hr, hr->seq, dev,
				       "dma write gpa 0x%llx len %zu: data differs at byte %zu (expected %02x got %02x)",
				       (unsigned long long)gpa, len, i, i < nb ? ld[i] : 0,
				       i < len ? ((const uint8_t *)wbuf)[i] : 0);
		}
		hr_step(hr, c);
	} else {
		hr_div(hr, hr->seq, dev, "dma: model issued %s gpa 0x%llx len %zu, the recording has none here",
		       dir, (unsigned long long)gpa, len);
		if (!is_write)
			memset(rbuf, 0, len);
	}
	hr_log_dma(hr, dev, gpa, is_write ? wbuf : rbuf, len, is_write, status);
	return status;
}

static int hr_dma_read(void *ctx, const char *dev, uint64_t gpa, void *buf,
		       size_t len)
{
	return hr_dma(ctx, dev, gpa, buf, NULL, len);
}

static int hr_dma_write(void *ctx, const char *dev, uint64_t gpa,
			const void *buf, size_t len)
{
	return hr_dma(ctx, dev, gpa, NULL, buf, len);
}

static const char *hr_irq_dev(const struct hostreplay *hr, int line)
{
	return line >= 0 && line < HOSTREPLAY_MAX_IRQ ? hr->irq_dev[line] : NULL;
}

static void hr_irq_set(void *ctx, int line, int level)
{
	struct hostreplay *hr = ctx;
	struct log_cur *c = hr->irq;
	const char *dev = hr_irq_dev(hr, line);

	hr->nirq++;
	if (c->seq == hr->seq) {
		int ll = (int)logread_int(c, IRQ_LINE);
		int lv = (int)logread_int(c, IRQ_LEVEL);

		if (ll != line || lv != level)
			hr_div(hr, hr->seq, dev, "irq: expected line %d level %d, model set line %d level %d",
			       ll, lv, line, level);
		hr_step(hr, c);
	} else {
		hr_div(hr, hr->seq, dev, "irq: model set line %d level %d, the recording has none here",
		       line, level);
	}
	if (hr->out) {
		struct rec_irq r = { .seq = hr->seq, .line = line, .level = level, .device = dev };
		hr_keep(hr, store_put_irq(hr->out, &r));
	}
}

void hostreplay_console_flush(struct hostreplay *hr)
{
	if (hr->console && hr->ncon)
		fprintf(hr->console, "console: %.*s\n", (int)hr->ncon, hr->con);
	hr->ncon = 0;
}

static void hr_console_out(void *ctx, uint8_t byte)
{
	struct hostreplay *hr = ctx;

	if (!hr->console)
		return;
	if (byte == '\n') {
		if (!hr->ncon)
			fprintf(hr->console, "console: \n");
		hostreplay_console_flush(hr);
		return;
	}
	hr->con[hr->ncon++] = (char)byte;
	if (hr->ncon == sizeof(hr->con))
		hostreplay_console_flush(hr);
}

static int hr_console_in(void *ctx, uint8_t *byte)
{
	(void)ctx;
	(void)byte;
	return 0;
}

static void hr_system_event(void *ctx, int event)
{
	struct hostreplay *hr = ctx;

	if (!hr->event) {
		hr->event = event;
		hr->event_seq = hr->seq;
	}
}

static const struct host_ops replay_ops = {
	.now_ns = hr_now_ns,
	.blk_read = hr_blk_read,
	.blk_write = hr_blk_write,
	.blk_flush = hr_blk_flush,
	.dma_read = hr_dma_read,
	.dma_write = hr_dma_write,
	.irq_set = hr_irq_set,
	.console_out = hr_console_out,
	.console_in = hr_console_in,
	.system_event = hr_system_event,
};

static const struct host_ops replay_ops_async = {
	.now_ns = hr_now_ns,
	.blk_read = hr_blk_read,
	.blk_write = hr_blk_write,
	.blk_flush = hr_blk_flush,
	.blk_submit = hr_blk_submit,
	.dma_read = hr_dma_read,
	.dma_write = hr_dma_write,
	.irq_set = hr_irq_set,
	.console_out = hr_console_out,
	.console_in = hr_console_in,
	.system_event = hr_system_event,
};

void hostreplay_init(struct hostreplay *hr, struct logread *log,
		     const struct board *b, struct overlay **disks, int ndisks,
		     hostreplay_diverge_fn diverge, void *arg)
{
	memset(hr, 0, sizeof(*hr));
	hr->blk = &log->c[LT_BLK];
	hr->irq = &log->c[LT_IRQ];
	hr->dma = &log->c[LT_DMA];
	hr->disks = disks;
	hr->ndisks = ndisks;
	hr->diverge = diverge;
	hr->diverge_arg = arg;
	for (int i = 0; b && i < b->ndevs; i++)
		if (b->devs[i].irq >= 0 && b->devs[i].irq < HOSTREPLAY_MAX_IRQ)
			hr->irq_dev[b->devs[i].irq] = b->devs[i].name;
}

struct host hostreplay_host(struct hostreplay *hr)
{
	return (struct host){ .ops = hr->async ? &replay_ops_async : &replay_ops, .ctx = hr };
}

/* Consume every row with seq <= upto; report each unless `quiet`. */
static void hr_left(struct hostreplay *hr, uint64_t upto, bool quiet)
{
	struct log_cur *c;

	for (c = hr->blk; c->seq <= upto && !hr->fatal; hr_step(hr, c)) {
		if (quiet)
			continue;
		hr_div(hr, c->seq, col_text(c, BLK_DEVICE),
		       "blk: expected %s sector %llu n %llu (%s), model issued nothing",
		       col_text(c, BLK_OP), col_u64(c, BLK_SECTOR),
		       col_u64(c, BLK_NSECTORS), col_text(c, BLK_DEVICE));
	}
	for (c = hr->irq; c->seq <= upto && !hr->fatal; hr_step(hr, c)) {
		if (quiet)
			continue;
		hr_div(hr, c->seq, hr_irq_dev(hr, (int)logread_int(c, IRQ_LINE)),
		       "irq: expected line %d level %d, model set nothing",
		       (int)logread_int(c, IRQ_LINE), (int)logread_int(c, IRQ_LEVEL));
	}
	for (c = hr->dma; c->seq <= upto && !hr->fatal; hr_step(hr, c)) {
		if (quiet)
			continue;
		hr_div(hr, c->seq, col_text(c, DMA_DEVICE),
		       "dma: expected %s gpa 0x%llx len %llu (%s), model issued nothing",
		       (int)logread_int(c, DMA_IS_WRITE) ? "write" : "read",
		       col_u64(c, DMA_GPA), col_u64(c, DMA_LEN),
		       col_text(c, DMA_DEVICE));
	}
}

void hostreplay_begin(struct hostreplay *hr, uint64_t seq, uint64_t t_ns)
{
	if (hr->blk->seq < seq || hr->irq->seq < seq || hr->dma->seq < seq)
		hr_left(hr, seq - 1, false);
	hr->seq = seq;
	hr->t_ns = t_ns;
}

void hostreplay_end(struct hostreplay *hr)
{
	if (hr->blk->seq <= hr->seq || hr->irq->seq <= hr->seq || hr->dma->seq <= hr->seq)
		hr_left(hr, hr->seq, false);
}

void hostreplay_skip(struct hostreplay *hr, uint64_t seq)
{
	hr->seq = seq;
	if (hr->blk->seq <= seq || hr->irq->seq <= seq || hr->dma->seq <= seq)
		hr_left(hr, seq, true);
}

void hostreplay_rest(struct hostreplay *hr)
{
	hr_left(hr, LOG_SEQ_END - 1, false);
}
