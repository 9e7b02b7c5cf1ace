/*
 * vblk_driver.h - a register-level model of the Linux 6.1 virtio_blk +
 * virtio_ring driver of a legacy virtio-pci disk, for the virtio-blk
 * queue-depth unit tests (test_virtio_blk_depth.c): up to MAXDEV devices
 * on one fake host, each with its rings in fake guest RAM, 4 KiB requests
 * of 3 descriptors per tag, kick_prepare / disable_cb / enable_cb /
 * get_buf / virtblk_done / vp_interrupt as the driver does them, and an
 * interrupt controller that latches edges (8259 in edge mode) or sees a
 * high line.  A second vCPU is modelled by `other`: driver code run once,
 * right after device `other_dev` writes used->idx.  Every completion's
 * data is checked against the fake disk (cmocka asserts).
 */
#ifndef EXITLOG_TESTS_VBLK_DRIVER_H
#define EXITLOG_TESTS_VBLK_DRIVER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/virtio_blk.h"
#include "devices/virtq.h"
#include "tests/unit/fakehost.h"

#define SECTORS 4096u
#define RAM_BYTES (2u << 20)
#define QSZ VIRTIO_BLK_QUEUE_SIZE
#define NTAGS 64u                         /* requests per disk; 3 descriptors each */
#define RING(d) (0x10000u + 0x10000u * (d)) /* pfn-aligned */
#define DESC(d) RING(d)
#define AVAIL(d) (RING(d) + 16u * QSZ)
#define USED(d) (RING(d) + 0x2000u)
#define HDR(d, t) (0x80000u + 0x10000u * (d) + 32u * (t))  /* 16 hdr + status at +16 */
#define DATA(d, t) (0x100000u + 0x40000u * (d) + 0x1000u * (t))
#define MAXDEV 2

enum { R_GUESTF = 0x04, R_PFN = 0x08, R_NOTIFY = 0x10, R_STATUS = 0x12, R_ISR = 0x13 };

struct vdrv_dev {
	struct virtio_blk *vb;
	int irq;
	uint16_t avail_idx, last_used;
	bool cb_disabled;
	bool busy[NTAGS];
	uint8_t op[NTAGS];
	uint32_t sector[NTAGS];
	unsigned completed, irqs_handled;
};

struct vdrv {
	struct fakehost *fh;
	struct host_ops ops;    /* fakehost's, with dma_write wrapped */
	struct host host;
	uint8_t *ram;
	struct vdrv_dev d[MAXDEV];
	int ndev;
	size_t irq_seen;        /* fakehost irq log entries looked at */
	bool latched[64];       /* edge-triggered PIC: an IRR bit per line */
	/* "another vCPU": run once, right after device `other_dev` publishes a used index */
	void (*other)(struct vdrv *f, int d);
	int other_dev;
};

/* cmocka setup/teardown: a fake host (2 disks of SECTORS, RAM_BYTES), no devices. */
int vdrv_setup(void **state);
int vdrv_teardown(void **state);
/* A register write to device d (asserts the device accepted it). */
void vdrv_io_wr(struct vdrv *f, int d, unsigned off, uint32_t v, unsigned len);
/* vp_interrupt's ISR read (read-to-clear). */
uint8_t vdrv_isr_read(struct vdrv *f, int d);
/* A device named vblk<d> on disk d, line irq, brought up like virtio_pci_legacy. */
void vdrv_add_dev(struct vdrv *f, int irq);
/* virtblk_add_req: a 4 KiB read or write of `sector` with tag t (descriptors 3t..3t+2). */
void vdrv_add(struct vdrv *f, int d, unsigned t, bool write, uint32_t sector);
/* virtqueue_kick: kick_prepare (used->flags NO_NOTIFY?) then the notify write. */
void vdrv_kick(struct vdrv *f, int d);
/* used->idx as the device last wrote it. */
uint16_t vdrv_used_idx(struct vdrv *f, int d);
/* virtqueue_disable_cb: avail->flags = VRING_AVAIL_F_NO_INTERRUPT. */
void vdrv_disable_cb(struct vdrv *f, int d);
/* virtqueue_enable_cb: flags = 0, then true when nothing more is used. */
bool vdrv_enable_cb(struct vdrv *f, int d);
/* virtqueue_get_buf + the request's completion (data checked). -1: none. */
int vdrv_get_buf(struct vdrv *f, int d);
/* Update the edge latches from the irq history; true if line has an edge
 * latched or is high (what a PIC in edge or level mode would deliver). */
bool vdrv_line_pending(struct vdrv *f, int line);
/* A completion hook: runs after each completed request (tag t of device d). */
typedef void vdrv_each_fn(struct vdrv *f, int d, int t);
/* virtblk_done: do { disable_cb; get_buf until empty (each) } while (!enable_cb). */
void vdrv_done(struct vdrv *f, int d, vdrv_each_fn *each);
/* The CPU takes the interrupt of `line`: vp_interrupt of every device on it. */
void vdrv_interrupt(struct vdrv *f, int line, vdrv_each_fn *each);
/* Deliver interrupts until no line has one pending. */
void vdrv_run_irqs(struct vdrv *f, vdrv_each_fn *each);
/* Requests of device d added and not yet completed. */
unsigned vdrv_inflight(struct vdrv *f, int d);
/* 16 requests (writes to even tags, reads to odd), one notify. */
void vdrv_add16(struct vdrv *f, int d, unsigned tag0, uint32_t sector0);

#endif
