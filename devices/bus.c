/*
 * bus.c - port-IO and MMIO dispatch (see bus.h).
 *
 * Each address space keeps its regions in an array sorted by base; lookup is
 * a binary search, fronted by a one-entry cache of the last region hit
 * (accesses come in bursts to the same device).  Regions never overlap, so
 * "the last region whose base <= addr" is the only candidate.
 * Not implemented: removing a region, accesses that straddle two regions
 * (the region holding the first byte gets the whole access).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/bus.h"

void bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
}

void bus_destroy(struct bus *b)
{
	for (int s = 0; s < 2; s++)
		free(b->regions[s]);
	memset(b, 0, sizeof(*b));
}

static bool bus_space_ok(enum bus_space space)
{
	return space == BUS_PIO || space == BUS_MMIO;
}

/* Index of the first region whose base is > addr (0..n). */
static unsigned bus_upper(const struct bus_region *r, unsigned n, uint64_t addr)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool bus_contains(const struct bus_region *r, uint64_t addr)
{
	return addr >= r->base && addr - r->base < r->len;
}

int bus_register(struct bus *b, enum bus_space space, uint64_t base,
		 uint64_t len, bus_io_fn fn, bus_regname_fn regname, void *dev,
		 const char *name)
{
	struct bus_region *r;
	uint64_t last;
	unsigned i, n;

	if (!bus_space_ok(space) || !fn || len == 0)
		return -EINVAL;
	last = base + (len - 1);
	if (last < base)
		return -EINVAL; /* wraps around the address space */

	r = b->regions[space];
	n = b->n[space];
	i = bus_upper(r, n, base);
	/* The region before the slot must end before base... */
	if (i > 0 && r[i - 1].base + (r[i - 1].len - 1) >= base)
		return -EBUSY;
	/* ...and the one after it must start after our last byte. */
	if (i < n && r[i].base <= last)
		return -EBUSY;

	if (n == b->cap[space]) {
		unsigned cap = b->cap[space] ? b->cap[space] * 2 : 8;
		struct bus_region *nr = realloc(r, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		b->regions[space] = r = nr;
		b->cap[space] = cap;
	}
	memmove(&r[i + 1], &r[i], (n - i) * sizeof(*r));
	r[i] = (struct bus_region){
		.base = base,
		.len = len,
		.fn = fn,
		.regname = regname,
		.dev = dev,
		.name = name,
	};
	b->n[space] = n + 1;
	/* The array moved or shifted: the cached pointer may be stale. */
	b->last[space] = NULL;
	return 0;
}

const struct bus_region *bus_find(struct bus *b, enum bus_space space,
				  uint64_t addr)
{
	const struct bus_region *r;
	unsigned i;

	if (!bus_space_ok(space))
		return NULL;
	r = b->last[space];
	if (r && bus_contains(r, addr))
		return r;
	i = bus_upper(b->regions[space], b->n[space], addr);
	if (i == 0)
		return NULL;
	r = &b->regions[space][i - 1];
	if (!bus_contains(r, addr))
		return NULL;
	b->last[space] = r;
	return r;
}

const struct bus_region *bus_access(struct bus *b, enum bus_space space,
				    const struct host *h, uint64_t addr,
				    void *data, uint32_t len, bool is_write,
				    int *err)
{
	const struct bus_region *r = bus_find(b, space, addr);
	int rc = 0;

	if (!r) {
		if (!is_write)
			memset(data, 0xff, len);
	} else {
		rc = r->fn(r->dev, h, addr - r->base, data, len, is_write);
	}
	if (err)
		*err = rc;
	return r;
}

const char *bus_regname(const struct bus_region *r, uint64_t addr,
			bool is_write)
{
	const char *s;

	if (!r || !r->regname || !bus_contains(r, addr))
		return "";
	s = r->regname(addr - r->base, is_write);
	return s ? s : "";
}
