/*
 * vhdrv.h - a minimal virtio-blk driver in Linux userspace, for the
 * hostile guest vhostile.c (tests/e2e/t_hostile_smp.sh): it takes a modern
 * virtio-pci function (1af4:1042) that no kernel driver has bound, maps the
 * BAR its vendor capabilities point into (sysfs resourceN), and builds
 * split virtqueues in mlocked pages whose guest-physical addresses come
 * from /proc/self/pagemap.  Every register access is one load or store of
 * the field's width (one KVM_EXIT_MMIO each).  Layouts from the virtio 1.x
 * spec (4.1.4 modern PCI, 2.7 split virtqueues, 5.2 block device).
 */
#ifndef VHDRV_H
#define VHDRV_H

#include <stdbool.h>
#include <stdint.h>

#define VH_PAGE 4096u
#define VH_QSIZE 256u

/* common cfg fields (4.1.4.3) */
#define VH_DFSELECT 0x00
#define VH_DF 0x04
#define VH_GFSELECT 0x08
#define VH_GF 0x0c
#define VH_STATUS 0x14
#define VH_Q_SELECT 0x16
#define VH_Q_SIZE 0x18
#define VH_Q_ENABLE 0x1c
#define VH_Q_NOFF 0x1e
#define VH_Q_DESC 0x20
#define VH_Q_DRIVER 0x28
#define VH_Q_DEVICE 0x30

#define VH_S_ACK 0x01
#define VH_S_DRIVER 0x02
#define VH_S_DRIVER_OK 0x04
#define VH_S_FEATURES_OK 0x08
#define VH_S_NEEDS_RESET 0x40

#define VH_D_NEXT 1u
#define VH_D_WRITE 2u

#define VH_T_IN 0u
#define VH_T_OUT 1u
#define VH_T_FLUSH 4u

/* A page of our own: where we see it and where the device sees it. */
struct vh_page {
	uint8_t *va;
	uint64_t pa;
};

struct vh_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* One split virtqueue in three pages of ours. */
struct vh_ring {
	struct vh_page dp, ap, up;
	volatile struct vh_desc *desc;
	volatile uint16_t *avail;  /* [0] flags, [1] idx, [2 + i] ring[i] */
	volatile uint16_t *used;   /* [0] flags, [1] idx; elements at +4 bytes */
	uint16_t size;
	uint16_t avail_idx;        /* the driver's copy */
};

struct vh_dev {
	char pci[256];             /* sysfs name, "0000:00:01.0" */
	volatile uint8_t *bar;
	uint32_t common, notify, isr, devcfg, notify_mult;
	uint32_t qnotify;          /* queue 0's notify address in the BAR */
	int bar_index;
	uint64_t bar_pa;           /* where the BAR is (for the log checks) */
	uint64_t capacity;         /* sectors, from the device config */
};

/* Print a line prefixed "vhostile: " on stdout, flushed. */
void vh_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Find the first unbound 1af4:1042 function, walk its capability list in
 * config space and map the BAR the capabilities name.  0 or -errno (with a
 * line saying why).
 */
int vh_open(struct vh_dev *d);

/* MMIO accessors, offsets relative to the BAR. */
uint8_t vh_r8(struct vh_dev *d, uint32_t off);
uint16_t vh_r16(struct vh_dev *d, uint32_t off);
uint32_t vh_r32(struct vh_dev *d, uint32_t off);
uint64_t vh_r64(struct vh_dev *d, uint32_t off);
void vh_w8(struct vh_dev *d, uint32_t off, uint8_t v);
void vh_w16(struct vh_dev *d, uint32_t off, uint16_t v);
void vh_w32(struct vh_dev *d, uint32_t off, uint32_t v);

/*
 * n mlocked, zeroed pages with their guest-physical addresses (pagemap).
 * 0 or -errno.
 */
int vh_pages(struct vh_page *p, unsigned n);

/* Point r at three pages (zeroed) for a queue of `size` descriptors. */
void vh_ring_setup(struct vh_ring *r, const struct vh_page pg[3], uint16_t size);
/* Zero the rings again (the driver's avail index too). */
void vh_ring_clear(struct vh_ring *r);

/*
 * Reset the device (status 0, waiting until it reads 0), then the 3.1.1
 * initialisation: ACK, DRIVER, VERSION_1 | FLUSH, FEATURES_OK, queue 0 on
 * ring r, DRIVER_OK.  0, or -EIO when the device refuses a step.
 */
int vh_init(struct vh_dev *d, struct vh_ring *r);
/* The queue registers and enable only (no reset, no status change). */
void vh_queue_setup(struct vh_dev *d, struct vh_ring *r);

/* Write descriptor i. */
void vh_desc_set(struct vh_ring *r, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next);
/* Make chain `head` available (not yet notified). */
void vh_post(struct vh_ring *r, uint16_t head);
/* Notify queue 0 (after a full barrier). */
void vh_kick(struct vh_dev *d);
/* used->idx as the device last wrote it. */
uint16_t vh_used_idx(const struct vh_ring *r);
/* Used element i: id and len. */
void vh_used_elem(const struct vh_ring *r, uint16_t i, uint32_t *id, uint32_t *len);
/*
 * Wait until used->idx reaches `want` (poll, 20 s at most).  0, or
 * -ETIMEDOUT.
 */
int vh_wait_used(const struct vh_ring *r, uint16_t want);

/* Monotonic milliseconds. */
uint64_t vh_ms(void);
/* A mark in the recording: a 32-bit OUT of `v` to VH_MARK_PORT (no
 * device there: logged as a pio row with device NULL). */
#define VH_MARK_PORT 0x510
void vh_mark(uint32_t v);
int vh_mark_init(void);

#endif
