/*
 * dispatch.c - one exit's device access to the bus, with the rep rule and
 * the first-error rule in one place (see dispatch.h).
 */
#include <stdio.h>
#include <string.h>

#include "devices/dispatch.h"

void dispatch_init(struct dispatch *d, struct bus *bus)
{
	d->bus = bus;
	d->seq = 0;
	pthread_mutex_init(&d->lock, NULL);
}

void dispatch_destroy(struct dispatch *d)
{
	pthread_mutex_destroy(&d->lock);
}

void dispatch_lock(struct dispatch *d)
{
	pthread_mutex_lock(&d->lock);
}

void dispatch_unlock(struct dispatch *d)
{
	pthread_mutex_unlock(&d->lock);
}

uint64_t dispatch_seq_next(struct dispatch *d)
{
	return ++d->seq;
}

void dispatch_access(struct dispatch *d, const struct host *h,
		     const struct dispatch_access *a, struct dispatch_result *res)
{
	uint32_t count = a->count ? a->count : 1;
	int err;

	res->region = NULL;
	res->err = 0;
	for (uint32_t i = 0; i < count; i++) {
		res->region = bus_access(d->bus, a->space, h, a->addr,
					 a->data + (size_t)i * a->size, a->size,
					 a->is_write, &err);
		if (err && !res->err)
			res->err = err;
	}
}

void dispatch_describe(const struct dispatch_access *a,
		       const struct bus_region *region, int err,
		       char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s %s 0x%llx: %s", region ? region->name : "?",
		 region ? bus_regname(region, a->addr, a->is_write) : "",
		 a->is_write ? "write" : "read", (unsigned long long)a->addr,
		 strerror(err < 0 ? -err : err));
}
