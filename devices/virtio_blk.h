/*
 * virtio_blk.h - virtio-blk over LEGACY virtio-pci (virtio 1.x sections
 * 4.1.4.8 "Legacy Interfaces: A Note on PCI Device Layout", 4.1.5.1 legacy
 * virtqueue layout, 5.2 "Block Device"): PCI 1af4:1001, subsystem 1af4:0002,
 * revision 0, class 0x018000, one IO BAR of VIRTIO_BLK_IO_SIZE bytes, INTx.
 *
 * IO BAR (no MSI-X): 0x00 device features (R32), 0x04 guest features (RW32),
 * 0x08 queue PFN (RW32), 0x0c queue size (R16), 0x0e queue select (RW16),
 * 0x10 queue notify (W16), 0x12 device status (RW8; 0 resets the device),
 * 0x13 ISR (R8; reading clears it and lowers the IRQ), 0x14.. the
 * virtio_blk_config (capacity le64, size_max le32, seg_max le32, ...).
 * Reads may have any width at any offset; writes must hit a register with
 * its own width (anything else is dropped with -EINVAL).
 *
 * Offered features: SIZE_MAX (size_max 4096), SEG_MAX (seg_max 126),
 * FLUSH.  One queue of 256 descriptors; the biggest request the driver can
 * build, 126 * 4096 bytes, fits the 512 KiB bounce buffer allocated at
 * create.  With a synchronous host (no blk_submit) requests are processed in
 * the queue-notify access that announces them (with an asynchronous one,
 * see virtio_blk_complete() below): every available chain is completed, avail->idx is
 * read again after each pass and newly available chains are served too (up
 * to 4 x the queue size per notify); then, with the avail flags as read
 * AFTER the last used->idx write (virtio 1.x 2.7.7.2: the suppression
 * decision follows the used ring update, never precedes it), ISR bit 0 is
 * set and the IRQ line raised unless VRING_AVAIL_F_NO_INTERRUPT was set.
 * The IRQ is driven only on level changes; the line follows the ISR
 * (raised with it, lowered by the read that clears it).  One device per
 * line: the board gives each function its own ISA IRQ (docs/virtio-blk.md).
 *
 * Requests (one host block request per virtio request; blk_req.device is
 * the device's name): T_IN (read), T_OUT (write), T_FLUSH, T_GET_ID (the
 * 20-byte id "exitlog-<name>").  The first 16 device-readable bytes of a
 * chain are the header {le32 type, le32 ioprio, le64 sector}, the last
 * device-writable byte is the status; the bytes in between are the data.
 *
 * Error policy:
 *  - request errors with a known status byte -- unknown type (UNSUPP), a
 *    data length that is not a multiple of 512, larger than the bounce
 *    buffer, or past the end of the disk (IOERR, no host block call), a
 *    header or data buffer outside guest RAM (IOERR), a failed host block
 *    call (IOERR) -- complete the request normally with that status; the
 *    access returns -EIO so the recorder logs a device error.
 *  - ring errors -- ring or descriptor table outside RAM, a looping or
 *    over-long chain (bounded by the queue size), bad indexes, indirect
 *    descriptors, no status byte, the status byte or used ring outside RAM,
 *    a chain made available while a queue's worth of requests is in flight
 *    on the host (its descriptors cannot be free):
 *    the device sets DEVICE_NEEDS_RESET (status bit 0x40), raises a
 *    configuration-change interrupt (ISR bit 1), stops processing and
 *    ignores notifies until the driver resets it; the access returns
 *    -EFAULT, -ELOOP or -EINVAL.
 * A read whose data buffer is outside RAM has already been read from the
 * disk when the bad buffer is found (one host read, then IOERR).
 *
 * The modern (virtio 1.x) transport is devices/virtio_pci_modern.c, over
 * the transport interface at the end of this header.
 *
 * Not implemented: MSI-X, EVENT_IDX, indirect
 * descriptors, discard / write-zeroes, config writes (writeback toggle).
 */
#ifndef EXITLOG_VIRTIO_BLK_H
#define EXITLOG_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"
#include "devices/pci.h"

#define VIRTIO_BLK_IO_SIZE 0x40u /* IO BAR length (power of two) */
#define VIRTIO_BLK_QUEUE_SIZE 256u
#define VIRTIO_BLK_SEG_MAX 126u
#define VIRTIO_BLK_SIZE_MAX 4096u
#define VIRTIO_BLK_MAX_BYTES (512u * 1024u) /* bounce buffer */

/* Feature bits (legacy device features register). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_FLUSH 9

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

struct virtio_blk;

/*
 * A virtio-blk device for board disk number `disk`, `nsectors` 512-byte
 * sectors long, interrupting on ISA line `irq`.  `name` (e.g. "vblk0") is
 * kept by pointer and used as blk_req.device and as the DMA device name.
 * Allocates the bounce buffer.  NULL on ENOMEM.
 */
struct virtio_blk *virtio_blk_create(const char *name, int disk,
				     uint64_t nsectors, int irq);
/* Power-on state (status 0, queue down, ISR 0, IRQ considered low).  No host calls. */
void virtio_blk_reset(struct virtio_blk *vb);
void virtio_blk_destroy(struct virtio_blk *vb);

/*
 * Fill *d with the PCI identity of this device and one IO BAR (BAR 0) at
 * the fixed address `io_base` (aligned to VIRTIO_BLK_IO_SIZE), for
 * pci_add_function().  The board registers virtio_blk_io at the same base.
 */
void virtio_blk_pci_desc(const struct virtio_blk *vb, uint16_t io_base,
			 struct pci_function_desc *d);

/* bus_io_fn for the IO BAR (region length VIRTIO_BLK_IO_SIZE). */
int virtio_blk_io(void *dev, const struct host *h, uint64_t off, void *data,
		  uint32_t len, bool is_write);
/*
 * Asynchronous requests.  When the host has blk_submit (the recorder, with
 * its IO thread; the replayer of such a recording), read, write and flush
 * requests are handed to it and the notify returns with them in flight
 * (queue depth > 1; GET_ID and requests refused by the checks above still
 * complete inside the notify).  The host later calls virtio_blk_complete()
 * under the dispatch lock, at an event with its own seq: for a read the
 * data goes to the guest, then the status byte, the used element and
 * used->idx; then the avail flags are read and, unless NO_INTERRUPT, ISR
 * bit 0 is set and the line raised.  A completion for a request the driver
 * reset away (or of a device that needs a reset) only frees it.  Returns 0,
 * -EIO (completed with an error status), -ENOENT (no such tag: nothing
 * done), or a ring error (DEVICE_NEEDS_RESET as for a notify).  The device
 * keeps at most 2 x VIRTIO_BLK_QUEUE_SIZE requests in flight, orphans of
 * resets included; a request beyond that completes at once with IOERR.
 */
int virtio_blk_complete(struct virtio_blk *vb, const struct host *h, uint64_t tag,
			int status);

/* bus_regname_fn: "device_features", "guest_features", "queue_pfn",
 * "queue_size", "queue_select", "queue_notify", "status", "isr", "config". */
const char *virtio_blk_regname(uint64_t off, bool is_write);

/*
 * The transport interface: what a virtio-pci transport other than the
 * legacy IO BAR above (virtio_pci_modern.c) needs from the device.  The
 * request path is the same for every transport.
 */
#define VIRTIO_BLK_CONFIG_SIZE 0x3cu /* struct virtio_blk_config (5.2.4) */
/* Queue notify for `queue` (serves the queue, see vblk_notify); 0 or -errno
 * as for a legacy queue_notify write. */
int virtio_blk_notify(struct virtio_blk *vb, const struct host *h, uint16_t queue);
/* Read-to-clear ISR: return it, clear it, lower the line. */
uint8_t virtio_blk_isr_ack(struct virtio_blk *vb, const struct host *h);
uint8_t virtio_blk_status(const struct virtio_blk *vb);
/* Device status write; 0 resets the device (queue down, ISR 0, line low). */
void virtio_blk_set_status(struct virtio_blk *vb, const struct host *h, uint8_t v);
/* The first `len` bytes of the device configuration (zero past its end). */
void virtio_blk_config(const struct virtio_blk *vb, uint8_t *cfg, unsigned len);
/* The request queue (queue 0), for placing its rings. */
struct virtq *virtio_blk_queue(struct virtio_blk *vb);
const char *virtio_blk_name(const struct virtio_blk *vb);
int virtio_blk_irq(const struct virtio_blk *vb);

#endif
