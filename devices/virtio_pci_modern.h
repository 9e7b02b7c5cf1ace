/*
 * virtio_pci_modern.h - the modern (virtio 1.x, 4.1.4) virtio-pci
 * transport for a virtio-blk device: PCI 1af4:1042 revision 1, class
 * 0x018000, one 32-bit memory BAR (BAR 0, VPCI_MODERN_BAR_SIZE bytes) that
 * the vendor capabilities (4.1.4.1, cap id 0x09) point into:
 *
 *   0x00 common cfg (4.1.4.3)  0x40 bytes: the fields of struct
 *        virtio_pci_common_cfg (+ queue_notify_data, queue_reset, read 0)
 *   0x40 ISR (4.1.4.5)         1 byte, read-to-clear (+3 reserved bytes)
 *   0x50 notify (4.1.4.4)      queue_notify_off 0, multiplier 4: queue 0's
 *        notify address is 0x50 (a 16-bit write of the queue index)
 *   0x80 device cfg (4.1.4.6)  struct virtio_blk_config
 *
 * Register names (bus_regname, the `registers` table): "common.<field>"
 * ("common.queue_enable", "common.device_status", ...), "isr", "notify",
 * "config".  Accesses reach the model as KVM_EXIT_MMIO.
 *
 * Features: the device's SIZE_MAX, SEG_MAX, FLUSH plus VIRTIO_F_VERSION_1
 * (bit 32).  INTx only: the MSI-X vector fields read VIRTIO_MSI_NO_VECTOR
 * and ignore writes.  One queue (num_queues 1) of up to 256 descriptors;
 * the driver may write a smaller power of two to queue_size before
 * queue_enable.  Writes must use the field's width (64-bit fields: one
 * 8-byte or two 4-byte halves); other writes are dropped with -EINVAL.
 * Reads of any width inside the BAR answer from the register image.
 *
 * Not implemented: MSI-X, the VIRTIO_PCI_CAP_PCI_CFG window, queue reset,
 * config writes, BAR relocation (pci.c keeps BARs where the board put them).
 */
#ifndef EXITLOG_VIRTIO_PCI_MODERN_H
#define EXITLOG_VIRTIO_PCI_MODERN_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"
#include "devices/pci.h"
#include "devices/virtio_blk.h"

#define VPCI_MODERN_BAR_SIZE 0x100u
#define VPCI_COMMON_OFF 0x00u
#define VPCI_COMMON_LEN 0x40u
#define VPCI_ISR_OFF 0x40u
#define VPCI_NOTIFY_OFF 0x50u
#define VPCI_NOTIFY_MULT 4u
#define VPCI_DEVICE_OFF 0x80u
#define VPCI_DEVICE_LEN 0x40u

/* virtio_pci_common_cfg offsets (4.1.4.3) */
#define VPCI_DFSELECT 0x00
#define VPCI_DF 0x04
#define VPCI_GFSELECT 0x08
#define VPCI_GF 0x0c
#define VPCI_MSIX_CONFIG 0x10
#define VPCI_NUM_QUEUES 0x12
#define VPCI_STATUS 0x14
#define VPCI_CFG_GENERATION 0x15
#define VPCI_Q_SELECT 0x16
#define VPCI_Q_SIZE 0x18
#define VPCI_Q_MSIX 0x1a
#define VPCI_Q_ENABLE 0x1c
#define VPCI_Q_NOFF 0x1e
#define VPCI_Q_DESC 0x20
#define VPCI_Q_DRIVER 0x28
#define VPCI_Q_DEVICE 0x30

#define VIRTIO_F_VERSION_1 32

struct virtio_pci_modern;

/*
 * The modern transport over `vb`, which it owns from now on (destroyed with
 * it).  NULL on ENOMEM (vb is then still the caller's).
 */
struct virtio_pci_modern *vpci_modern_create(struct virtio_blk *vb);
void vpci_modern_destroy(struct virtio_pci_modern *m);
/* Power-on state of the transport and of the device.  No host calls. */
void vpci_modern_reset(struct virtio_pci_modern *m);
/* The device behind the transport. */
struct virtio_blk *vpci_modern_dev(struct virtio_pci_modern *m);

/*
 * Fill *d with the PCI identity, the capability list and BAR 0 (memory,
 * VPCI_MODERN_BAR_SIZE bytes) at `bar_base` (aligned to the size).  The
 * board registers vpci_modern_mmio on BUS_MMIO at the same base.
 */
void vpci_modern_pci_desc(const struct virtio_pci_modern *m, uint32_t bar_base,
			  struct pci_function_desc *d);

/* bus_io_fn for the BAR (region length VPCI_MODERN_BAR_SIZE). */
int vpci_modern_mmio(void *dev, const struct host *h, uint64_t off, void *data,
		     uint32_t len, bool is_write);
/* bus_regname_fn (see above). */
const char *vpci_modern_regname(uint64_t off, bool is_write);

#endif
