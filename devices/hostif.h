/*
 * hostif.h - the host interface: the one seam between a device model and the
 * world outside it.
 *
 * A device model is a pure state machine: (state, access, host) -> (state,
 * answer).  Everything outside the model -- time, disk data, guest memory
 * (DMA), interrupt lines, console bytes -- goes through a `struct host`.
 * The recorder implements it live and logs every call (recorder/hostlive.c);
 * the replayer implements it from the log (replayer/hostreplay.c); unit tests
 * implement it with a small fake (tests/unit/fakehost.c).
 *
 * Devices must not make syscalls, read clocks, keep globals or start threads.
 */
#ifndef EXITLOG_HOSTIF_H
#define EXITLOG_HOSTIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECTOR_SIZE 512u

enum blk_op {
	BLK_OP_READ = 0,
	BLK_OP_WRITE = 1,
	BLK_OP_FLUSH = 2,
};

/* A block request as a device model issues it. */
struct blk_req {
	int disk;            /* index of the disk on the board (0..) */
	const char *device;  /* issuing device's name, e.g. "ata0" (static) */
	enum blk_op op;
	uint64_t sector;     /* first 512-byte sector */
	uint32_t nsectors;   /* number of sectors; 0 for flush */
};

struct host_ops {
	/* Virtual time of the exit being handled, in ns since recording start. */
	uint64_t (*now_ns)(void *ctx);
	/*
	 * Block IO.  buf holds nsectors*512 bytes.  Return 0 or -errno
	 * (-EINVAL for a range past the disk's end: the host refuses it and
	 * never touches its file outside the image).
	 */
	int (*blk_read)(void *ctx, const struct blk_req *r, void *buf);
	int (*blk_write)(void *ctx, const struct blk_req *r, const void *buf);
	int (*blk_flush)(void *ctx, const struct blk_req *r);
	/*
	 * Asynchronous block IO (optional: a host without it leaves every
	 * request synchronous, through blk_read/write/flush).  Start request r
	 * on buf (nsectors*512 bytes: the data of a write, filled by a read;
	 * NULL for a flush) and return at once.  `tag` is the device's name for
	 * the request.  The device keeps buf untouched and alive until the host
	 * calls the device's completion entry (e.g. virtio_blk_complete) with
	 * the same tag -- later, at an event with its own seq, under the
	 * dispatch lock.  Return 0 (a completion will come), or -errno (refused
	 * now: no completion will come).
	 */
	int (*blk_submit)(void *ctx, const struct blk_req *r, void *buf,
			  uint64_t tag);
	/*
	 * Guest-physical memory access (DMA) on behalf of `device`.  Return 0,
	 * or -EFAULT when [gpa, gpa+len) is not entirely inside guest RAM (the
	 * device then reports a device error; the host is never touched).
	 */
	int (*dma_read)(void *ctx, const char *device, uint64_t gpa, void *buf,
			size_t len);
	int (*dma_write)(void *ctx, const char *device, uint64_t gpa,
			 const void *buf, size_t len);
	/* Drive interrupt line `line` to `level` (0/1).  Every call is logged. */
	void (*irq_set)(void *ctx, int line, int level);
	/* A byte the guest wrote to a console (UART THR). */
	void (*console_out)(void *ctx, uint8_t byte);
	/* A byte of console input, if any: return 1 and set *byte, else 0. */
	int (*console_in)(void *ctx, uint8_t *byte);
	/* The guest asked the board for a reset or power-off (HOST_EV_*). */
	void (*system_event)(void *ctx, int event);
};

enum host_event {
	HOST_EV_RESET = 1,    /* e.g. i8042 pulse-reset command 0xfe */
	HOST_EV_POWEROFF = 2,
};

struct host {
	const struct host_ops *ops;
	void *ctx;
};

static inline uint64_t host_now_ns(const struct host *h)
{
	return h->ops->now_ns ? h->ops->now_ns(h->ctx) : 0;
}

static inline int host_blk_read(const struct host *h, const struct blk_req *r,
				void *buf)
{
	return h->ops->blk_read(h->ctx, r, buf);
}

static inline int host_blk_write(const struct host *h, const struct blk_req *r,
				 const void *buf)
{
	return h->ops->blk_write(h->ctx, r, buf);
}

static inline int host_blk_flush(const struct host *h, const struct blk_req *r)
{
	return h->ops->blk_flush ? h->ops->blk_flush(h->ctx, r) : 0;
}

static inline bool host_blk_async(const struct host *h)
{
	return h->ops->blk_submit != NULL;
}

static inline int host_blk_submit(const struct host *h, const struct blk_req *r,
				  void *buf, uint64_t tag)
{
	return h->ops->blk_submit(h->ctx, r, buf, tag);
}

static inline int host_dma_read(const struct host *h, const char *dev,
				uint64_t gpa, void *buf, size_t len)
{
	return h->ops->dma_read(h->ctx, dev, gpa, buf, len);
}

static inline int host_dma_write(const struct host *h, const char *dev,
				 uint64_t gpa, const void *buf, size_t len)
{
	return h->ops->dma_write(h->ctx, dev, gpa, buf, len);
}

static inline void host_irq_set(const struct host *h, int line, int level)
{
	if (h->ops->irq_set)
		h->ops->irq_set(h->ctx, line, level);
}

static inline void host_console_out(const struct host *h, uint8_t byte)
{
	if (h->ops->console_out)
		h->ops->console_out(h->ctx, byte);
}

static inline int host_console_in(const struct host *h, uint8_t *byte)
{
	return h->ops->console_in ? h->ops->console_in(h->ctx, byte) : 0;
}

static inline void host_system_event(const struct host *h, int event)
{
	if (h->ops->system_event)
		h->ops->system_event(h->ctx, event);
}

#endif
