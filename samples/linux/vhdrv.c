/*
 * vhdrv.c - the userspace virtio-blk driver of the hostile guest (see
 * vhdrv.h): sysfs discovery and BAR mapping, pagemap-backed rings, the
 * device initialisation, posting chains and waiting for used elements.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vhdrv.h"

void vh_say(const char *fmt, ...)
{
	va_list ap;

	fputs("vhostile: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

uint64_t vh_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int vh_mark_init(void)
{
	return ioperm(VH_MARK_PORT, 4, 1) ? -errno : 0;
}

void vh_mark(uint32_t v)
{
	__asm__ volatile("outl %0, %w1" : : "a"(v), "Nd"((uint16_t)VH_MARK_PORT) : "memory");
}

/* The whole of a small sysfs file into buf (NUL-terminated); bytes read or -errno. */
static int sysfs_read(const char *dir, const char *file, void *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	((char *)buf)[n] = 0;
	return (int)n;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the capability list of config space cfg (256 bytes) into d. */
static int walk_caps(struct vh_dev *d, const uint8_t *cfg)
{
	unsigned ptr = cfg[0x34] & 0xfc, seen = 0, guard = 0;

	if (!(cfg[0x06] & 0x10))
		return -ENOENT;
	d->bar_index = -1;
	while (ptr >= 0x40 && ptr <= 0xec && guard++ < 48) {
		const uint8_t *c = cfg + ptr;

		if (c[0] == 0x09) {
			uint32_t off = le32(c + 8);

			if (d->bar_index >= 0 && d->bar_index != c[4])
				return -EINVAL; /* one BAR is all this driver maps */
			d->bar_index = c[4];
			switch (c[3]) {
			case 1: d->common = off; seen |= 1; break;
			case 2: d->notify = off; d->notify_mult = le32(c + 16); seen |= 2; break;
			case 3: d->isr = off; seen |= 4; break;
			case 4: d->devcfg = off; seen |= 8; break;
			default: break;
			}
		}
		ptr = c[1] & 0xfc;
	}
	return seen == 15 ? 0 : -ENOENT;
}

/* The BAR's physical address, from the sysfs `resource` table. */
static int bar_addr(struct vh_dev *d)
{
	char buf[2048], *line = buf;
	unsigned long long start, end, flags;

	if (sysfs_read(d->pci, "resource", buf, sizeof(buf)) < 0)
		return -EIO;
	for (int i = 0; i < d->bar_index && line; i++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line || sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 || !start)
		return -ENOENT;
	d->bar_pa = start;
	return 0;
}

int vh_open(struct vh_dev *d)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char v[32], id[32], path[600], drv[256];
	uint8_t cfg[257];
	void *map;
	int fd, rc = -ENODEV;

	memset(d, 0, sizeof(*d));
	if (!dir) {
		vh_say("FAIL no /sys/bus/pci/devices");
		return -ENODEV;
	}
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (sysfs_read(e->d_name, "vendor", v, sizeof(v)) < 0 ||
		    sysfs_read(e->d_name, "device", id, sizeof(id)) < 0)
			continue;
		if (strtoul(v, NULL, 16) != 0x1af4 || strtoul(id, NULL, 16) != 0x1042)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", e->d_name);
		if (readlink(path, drv, sizeof(drv)) >= 0)
			continue; /* a kernel driver has it */
		snprintf(d->pci, sizeof(d->pci), "%s", e->d_name);
		rc = 0;
		break;
	}
	closedir(dir);
	if (rc) {
		vh_say("FAIL no unbound virtio-blk (1af4:1042) function");
		return rc;
	}
	memset(cfg, 0, sizeof(cfg));
	if (sysfs_read(d->pci, "config", cfg, sizeof(cfg)) < 0x40 || (rc = walk_caps(d, cfg))) {
		vh_say("FAIL %s: no virtio capabilities", d->pci);
		return -ENOENT;
	}
	if (bar_addr(d)) {
		vh_say("FAIL %s: BAR %d not assigned", d->pci, d->bar_index);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", d->pci);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			vh_say("note: %s: enable: %s", d->pci, strerror(errno));
		close(fd);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", d->pci, d->bar_index);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0) {
		vh_say("FAIL open %s: %s", path, strerror(errno));
		return -errno;
	}
	map = mmap(NULL, VH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		vh_say("FAIL mmap %s: %s", path, strerror(errno));
		return -EIO;
	}
	d->bar = map;
	return 0;
}

uint8_t vh_r8(struct vh_dev *d, uint32_t off) { return *(volatile uint8_t *)(d->bar + off); }
uint16_t vh_r16(struct vh_dev *d, uint32_t off) { return *(volatile uint16_t *)(d->bar + off); }
uint32_t vh_r32(struct vh_dev *d, uint32_t off) { return *(volatile uint32_t *)(d->bar + off); }
uint64_t vh_r64(struct vh_dev *d, uint32_t off) { return *(volatile uint64_t *)(d->bar + off); }
void vh_w8(struct vh_dev *d, uint32_t off, uint8_t v) { *(volatile uint8_t *)(d->bar + off) = v; }
void vh_w16(struct vh_dev *d, uint32_t off, uint16_t v) { *(volatile uint16_t *)(d->bar + off) = v; }
void vh_w32(struct vh_dev *d, uint32_t off, uint32_t v) { *(volatile uint32_t *)(d->bar + off) = v; }

int vh_pages(struct vh_page *p, unsigned n)
{
	uint8_t *m = mmap(NULL, (size_t)n * VH_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int fd, rc = 0;

	if (m == MAP_FAILED)
		return -errno;
	if (mlock(m, (size_t)n * VH_PAGE))
		return -errno;
	memset(m, 0, (size_t)n * VH_PAGE);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < n && !rc; i++) {
		uint64_t va = (uint64_t)(uintptr_t)(m + (size_t)i * VH_PAGE), ent;

		if (pread(fd, &ent, 8, (off_t)(va / VH_PAGE * 8)) != 8)
			rc = -EIO;
		else if (!(ent >> 63) || !(ent & ((1ull << 55) - 1)))
			rc = -EPERM; /* not present, or PFNs hidden (not root) */
		p[i].va = m + (size_t)i * VH_PAGE;
		p[i].pa = (ent & ((1ull << 55) - 1)) * VH_PAGE;
	}
	close(fd);
	return rc;
}

void vh_ring_setup(struct vh_ring *r, const struct vh_page pg[3], uint16_t size)
{
	r->dp = pg[0];
	r->ap = pg[1];
	r->up = pg[2];
	r->desc = (volatile struct vh_desc *)pg[0].va;
	r->avail = (volatile uint16_t *)pg[1].va;
	r->used = (volatile uint16_t *)pg[2].va;
	r->size = size;
	vh_ring_clear(r);
}

void vh_ring_clear(struct vh_ring *r)
{
	memset(r->dp.va, 0, VH_PAGE);
	memset(r->ap.va, 0, VH_PAGE);
	memset(r->up.va, 0, VH_PAGE);
	r->avail_idx = 0;
	__sync_synchronize();
}

void vh_queue_setup(struct vh_dev *d, struct vh_ring *r)
{
	uint32_t c = d->common;

	vh_w16(d, c + VH_Q_SELECT, 0);
	vh_w16(d, c + VH_Q_SIZE, r->size);
	vh_w32(d, c + VH_Q_DESC, (uint32_t)r->dp.pa);
	vh_w32(d, c + VH_Q_DESC + 4, (uint32_t)(r->dp.pa >> 32));
	vh_w32(d, c + VH_Q_DRIVER, (uint32_t)r->ap.pa);
	vh_w32(d, c + VH_Q_DRIVER + 4, (uint32_t)(r->ap.pa >> 32));
	vh_w32(d, c + VH_Q_DEVICE, (uint32_t)r->up.pa);
	vh_w32(d, c + VH_Q_DEVICE + 4, (uint32_t)(r->up.pa >> 32));
	d->qnotify = d->notify + vh_r16(d, c + VH_Q_NOFF) * d->notify_mult;
	vh_w16(d, c + VH_Q_ENABLE, 1);
}

int vh_init(struct vh_dev *d, struct vh_ring *r)
{
	uint32_t c = d->common, lo, hi;
	int i;

	vh_w8(d, c + VH_STATUS, 0);
	for (i = 0; i < 1000 && vh_r8(d, c + VH_STATUS); i++)
		usleep(100);
	if (i == 1000)
		return -EIO;
	vh_w8(d, c + VH_STATUS, VH_S_ACK);
	vh_w8(d, c + VH_STATUS, VH_S_ACK | VH_S_DRIVER);
	vh_w32(d, c + VH_DFSELECT, 1);
	hi = vh_r32(d, c + VH_DF);
	vh_w32(d, c + VH_DFSELECT, 0);
	lo = vh_r32(d, c + VH_DF);
	if (!(hi & 1))
		return -EIO; /* not a modern device */
	vh_w32(d, c + VH_GFSELECT, 0);
	vh_w32(d, c + VH_GF, lo & (1u << 9)); /* FLUSH */
	vh_w32(d, c + VH_GFSELECT, 1);
	vh_w32(d, c + VH_GF, 1);              /* VERSION_1 */
	vh_w8(d, c + VH_STATUS, VH_S_ACK | VH_S_DRIVER | VH_S_FEATURES_OK);
	if (!(vh_r8(d, c + VH_STATUS) & VH_S_FEATURES_OK))
		return -EIO;
	vh_queue_setup(d, r);
	vh_w8(d, c + VH_STATUS, VH_S_ACK | VH_S_DRIVER | VH_S_FEATURES_OK | VH_S_DRIVER_OK);
	d->capacity = vh_r32(d, d->devcfg) | (uint64_t)vh_r32(d, d->devcfg + 4) << 32;
	return 0;
}

void vh_desc_set(struct vh_ring *r, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	volatile struct vh_desc *x = &r->desc[i];

	x->addr = addr;
	x->len = len;
	x->flags = flags;
	x->next = next;
}

void vh_post(struct vh_ring *r, uint16_t head)
{
	r->avail[2 + r->avail_idx % r->size] = head;
	__sync_synchronize();
	r->avail_idx++;
	r->avail[1] = r->avail_idx;
}

void vh_kick(struct vh_dev *d)
{
	__sync_synchronize();
	vh_w16(d, d->qnotify, 0);
}

uint16_t vh_used_idx(const struct vh_ring *r)
{
	return r->used[1];
}

void vh_used_elem(const struct vh_ring *r, uint16_t i, uint32_t *id, uint32_t *len)
{
	const volatile uint32_t *e = (const volatile uint32_t *)(r->up.va + 4 + 8u * (i % r->size));

	*id = e[0];
	*len = e[1];
}

int vh_wait_used(const struct vh_ring *r, uint16_t want)
{
	uint64_t t0 = vh_ms();

	while ((int16_t)(vh_used_idx(r) - want) < 0) {
		if (vh_ms() - t0 > 20000)
			return -ETIMEDOUT;
		usleep(200);
	}
	return 0;
}
