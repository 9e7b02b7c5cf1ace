/*
 * bus.h - port-IO and MMIO dispatch with one handler shape (kvmtool's idea).
 *
 * A region is [base, base+len) in one address space, claimed by one device
 * handler.  Overlapping regions are refused at registration.  An access that
 * no region claims is "unclaimed": reads answer all ones (0xff bytes, like a
 * floating ISA bus), writes are dropped, and the caller logs it with device
 * NULL.  The bus does no logging itself; it only says who answered.
 */
#ifndef EXITLOG_BUS_H
#define EXITLOG_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

enum bus_space {
	BUS_PIO = 0,
	BUS_MMIO = 1,
};

/*
 * The one handler shape.  `off` is the offset of the access inside the
 * region; `data` holds `len` bytes (1, 2, 4 or 8), little endian: the guest's
 * value for a write, the device's answer to fill for a read.  Returns 0, or
 * -errno for an access the device cannot make sense of (the caller logs it;
 * the guest still gets the bytes in `data`).
 */
typedef int (*bus_io_fn)(void *dev, const struct host *h, uint64_t off,
			 void *data, uint32_t len, bool is_write);

/*
 * Register names for reports: `name(dev, off, is_write)` returns a static
 * string such as "status" or NULL.  Optional.
 */
typedef const char *(*bus_regname_fn)(uint64_t off, bool is_write);

struct bus_region {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	bus_regname_fn regname;
	void *dev;
	const char *name; /* device name, static or owned by the board */
};

struct bus {
	struct bus_region *regions[2]; /* per space, sorted by base */
	unsigned n[2];
	unsigned cap[2];
	const struct bus_region *last[2]; /* one-entry lookup cache */
};

/* Initialise an empty bus.  bus_destroy() frees what it allocated. */
void bus_init(struct bus *b);
void bus_destroy(struct bus *b);

/*
 * Claim [base, base+len) in `space` for `fn(dev, ...)`.  `name` is kept by
 * pointer.  Returns 0, -EBUSY when the range overlaps an existing region,
 * -EINVAL for len 0 or a range that wraps, -ENOMEM.
 */
int bus_register(struct bus *b, enum bus_space space, uint64_t base,
		 uint64_t len, bus_io_fn fn, bus_regname_fn regname, void *dev,
		 const char *name);

/* The region that contains `addr`, or NULL. */
const struct bus_region *bus_find(struct bus *b, enum bus_space space,
				  uint64_t addr);

/*
 * Dispatch one access of `len` bytes at `addr`.  Returns the claiming region
 * (so the caller can log its name) or NULL when unclaimed, in which case a
 * read fills `data` with 0xff.  *err, if not NULL, receives the handler's
 * return value (0 when unclaimed).
 */
const struct bus_region *bus_access(struct bus *b, enum bus_space space,
				    const struct host *h, uint64_t addr,
				    void *data, uint32_t len, bool is_write,
				    int *err);

/* Register name for an access, "" when unknown. */
const char *bus_regname(const struct bus_region *r, uint64_t addr,
			bool is_write);

#endif
