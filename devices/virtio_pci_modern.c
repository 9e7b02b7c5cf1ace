/*
 * virtio_pci_modern.c - modern virtio-pci transport (virtio 1.x 4.1.4) in
 * a memory BAR: capability list, common cfg, notify, ISR and device cfg
 * (see virtio_pci_modern.h).  Only the transport lives here; requests are
 * served by virtio_blk.c through its transport interface, the same code
 * the legacy IO BAR uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_pci_modern.h"
#include "devices/virtq.h"

#define PCI_CAP_ID_VNDR 0x09
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define MSI_NO_VECTOR 0xffffu

#define DEVICE_FEATURES ((1ull << VIRTIO_BLK_F_SIZE_MAX) | \
			 (1ull << VIRTIO_BLK_F_SEG_MAX) | \
			 (1ull << VIRTIO_BLK_F_FLUSH) | \
			 (1ull << VIRTIO_F_VERSION_1))

struct virtio_pci_modern {
	struct virtio_blk *vb;
	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint16_t queue_sel, queue_size;
	uint64_t q_desc, q_driver, q_device;
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Transport registers back to power-on (the device is reset separately). */
static void vpm_regs_reset(struct virtio_pci_modern *m)
{
	m->dfselect = 0;
	m->gfselect = 0;
	m->driver_features = 0;
	m->queue_sel = 0;
	m->queue_size = VIRTIO_BLK_QUEUE_SIZE;
	m->q_desc = m->q_driver = m->q_device = 0;
}

struct virtio_pci_modern *vpci_modern_create(struct virtio_blk *vb)
{
	struct virtio_pci_modern *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->vb = vb;
	vpm_regs_reset(m);
	return m;
}

void vpci_modern_destroy(struct virtio_pci_modern *m)
{
	if (!m)
		return;
	virtio_blk_destroy(m->vb);
	free(m);
}

void vpci_modern_reset(struct virtio_pci_modern *m)
{
	vpm_regs_reset(m);
	virtio_blk_reset(m->vb);
}

struct virtio_blk *vpci_modern_dev(struct virtio_pci_modern *m)
{
	return m->vb;
}

/* One struct virtio_pci_cap (+ notify_off_multiplier when mult >= 0). */
static uint8_t *cap_put(uint8_t *p, uint8_t next, uint8_t type,
			uint32_t off, uint32_t len, int64_t mult)
{
	uint8_t clen = mult >= 0 ? 20 : 16;

	memset(p, 0, clen);
	p[0] = PCI_CAP_ID_VNDR;
	p[1] = next;
	p[2] = clen;
	p[3] = type;
	p[4] = 0; /* bar */
	put_le(p + 8, off, 4);
	put_le(p + 12, len, 4);
	if (mult >= 0)
		put_le(p + 16, (uint64_t)mult, 4);
	return p + clen;
}

void vpci_modern_pci_desc(const struct virtio_pci_modern *m, uint32_t bar_base,
			  struct pci_function_desc *d)
{
	uint8_t *p;
	uint8_t base = PCI_CAPS_BASE;

	memset(d, 0, sizeof(*d));
	d->name = virtio_blk_name(m->vb);
	d->vendor = 0x1af4;
	d->device = 0x1042;        /* 0x1040 + virtio device id 2 (block) */
	d->subsys_vendor = 0x1af4;
	d->subsys_device = 0x1100;
	d->class_code = 0x018000;
	d->revision = 1;           /* modern only */
	d->bars[0].addr = bar_base;
	d->bars[0].size = VPCI_MODERN_BAR_SIZE;
	d->bars[0].io = false;
	d->irq = virtio_blk_irq(m->vb);
	/* common @0x40 (16), notify @0x50 (20), isr @0x64 (16), device @0x74 (16) */
	p = d->caps;
	p = cap_put(p, base + 16, CAP_COMMON, VPCI_COMMON_OFF, VPCI_COMMON_LEN, -1);
	p = cap_put(p, base + 36, CAP_NOTIFY, VPCI_NOTIFY_OFF, 4, VPCI_NOTIFY_MULT);
	p = cap_put(p, base + 52, CAP_ISR, VPCI_ISR_OFF, 4, -1);
	p = cap_put(p, 0, CAP_DEVICE, VPCI_DEVICE_OFF, VPCI_DEVICE_LEN, -1);
	d->caps_len = (uint8_t)(p - d->caps);
}

/* The common configuration structure as the driver reads it. */
static void vpm_common(const struct virtio_pci_modern *m, uint8_t c[VPCI_COMMON_LEN])
{
	bool q0 = m->queue_sel == 0;
	struct virtq *q = virtio_blk_queue(m->vb);

	memset(c, 0, VPCI_COMMON_LEN);
	put_le(c + VPCI_DFSELECT, m->dfselect, 4);
	put_le(c + VPCI_DF, m->dfselect < 2 ? (uint32_t)(DEVICE_FEATURES >> (32 * m->dfselect)) : 0, 4);
	put_le(c + VPCI_GFSELECT, m->gfselect, 4);
	put_le(c + VPCI_GF, m->gfselect < 2 ? (uint32_t)(m->driver_features >> (32 * m->gfselect)) : 0, 4);
	put_le(c + VPCI_MSIX_CONFIG, MSI_NO_VECTOR, 2);
	put_le(c + VPCI_NUM_QUEUES, 1, 2);
	c[VPCI_STATUS] = virtio_blk_status(m->vb);
	c[VPCI_CFG_GENERATION] = 0;
	put_le(c + VPCI_Q_SELECT, m->queue_sel, 2);
	put_le(c + VPCI_Q_SIZE, q0 ? m->queue_size : 0, 2);
	put_le(c + VPCI_Q_MSIX, MSI_NO_VECTOR, 2);
	put_le(c + VPCI_Q_ENABLE, q0 && virtq_ready(q), 2);
	put_le(c + VPCI_Q_NOFF, 0, 2);
	put_le(c + VPCI_Q_DESC, q0 ? m->q_desc : 0, 8);
	put_le(c + VPCI_Q_DRIVER, q0 ? m->q_driver : 0, 8);
	put_le(c + VPCI_Q_DEVICE, q0 ? m->q_device : 0, 8);
}

/* A 64-bit field written whole or by halves at `off` - base (0 or 4). */
static int set64(uint64_t *field, uint64_t rel, uint64_t v, uint32_t len)
{
	if (len == 8 && rel == 0)
		*field = v;
	else if (len == 4 && rel == 0)
		*field = (*field & 0xffffffff00000000ull) | (uint32_t)v;
	else if (len == 4 && rel == 4)
		*field = (*field & 0xffffffffull) | v << 32;
	else
		return -EINVAL;
	return 0;
}

/*
 * queue_enable = 1 places the rings and starts both indexes at 0.  On a
 * queue already enabled it changes nothing (its size and addresses cannot
 * have changed: those writes are refused while it is enabled): restarting
 * the indexes there would serve the chains already served a second time
 * and publish the completions of requests in flight into used slots the
 * driver has consumed (seen while writing the register hammer of
 * tests/e2e/t_hostile_smp.sh; QEMU keeps the indexes too).
 */
static int vpm_queue_enable(struct virtio_pci_modern *m, uint64_t v)
{
	struct virtq *q = virtio_blk_queue(m->vb);

	if (m->queue_sel != 0 || v != 1)
		return -EINVAL; /* 4.1.4.3.2: the driver MUST NOT write 0 */
	if (virtq_ready(q))
		return 0;
	return virtq_set_rings(q, m->queue_size, m->q_desc, m->q_driver, m->q_device);
}

static int vpm_common_write(struct virtio_pci_modern *m, const struct host *h,
			    uint64_t off, uint64_t v, uint32_t len)
{
	bool enabled = virtq_ready(virtio_blk_queue(m->vb));

	if (off >= VPCI_Q_DESC && off < VPCI_Q_DEVICE + 8) {
		uint64_t base = off - (off - VPCI_Q_DESC) % 8;
		uint64_t *f = base == VPCI_Q_DESC ? &m->q_desc :
			      base == VPCI_Q_DRIVER ? &m->q_driver : &m->q_device;

		if (m->queue_sel != 0 || enabled)
			return -EINVAL;
		return set64(f, off - base, v, len);
	}
	switch (off) {
	case VPCI_DFSELECT:
		if (len != 4)
			break;
		m->dfselect = (uint32_t)v;
		return 0;
	case VPCI_GFSELECT:
		if (len != 4)
			break;
		m->gfselect = (uint32_t)v;
		return 0;
	case VPCI_GF:
		if (len != 4 || m->gfselect >= 2)
			break;
		m->driver_features &= ~(0xffffffffull << (32 * m->gfselect));
		m->driver_features |= (v << (32 * m->gfselect)) & DEVICE_FEATURES;
		return 0;
	case VPCI_MSIX_CONFIG:
	case VPCI_Q_MSIX:
		return len == 2 ? 0 : -EINVAL; /* INTx only: stays NO_VECTOR */
	case VPCI_STATUS:
		if (len != 1)
			break;
		if (v == 0)
			vpm_regs_reset(m);
		virtio_blk_set_status(m->vb, h, (uint8_t)v);
		return 0;
	case VPCI_Q_SELECT:
		if (len != 2)
			break;
		m->queue_sel = (uint16_t)v;
		return 0;
	case VPCI_Q_SIZE:
		if (len != 2 || m->queue_sel != 0 || enabled)
			break;
		if (!v || v > VIRTIO_BLK_QUEUE_SIZE || (v & (v - 1)))
			return -EINVAL;
		m->queue_size = (uint16_t)v;
		return 0;
	case VPCI_Q_ENABLE:
		if (len != 2)
			break;
		return vpm_queue_enable(m, v);
	default:
		break;
	}
	return -EINVAL;
}

int vpci_modern_mmio(void *dev, const struct host *h, uint64_t off, void *data,
		     uint32_t len, bool is_write)
{
	struct virtio_pci_modern *m = dev;
	uint8_t r[VPCI_MODERN_BAR_SIZE];

	if (off >= VPCI_MODERN_BAR_SIZE || len > VPCI_MODERN_BAR_SIZE - off || len > 8) {
		if (!is_write)
			memset(data, 0xff, len);
		return -EINVAL;
	}
	if (is_write) {
		uint64_t v = get_le(data, len);

		if (off < VPCI_COMMON_OFF + VPCI_COMMON_LEN)
			return vpm_common_write(m, h, off - VPCI_COMMON_OFF, v, len);
		if (off == VPCI_NOTIFY_OFF && len == 2)
			return virtio_blk_notify(m->vb, h, (uint16_t)v);
		return -EINVAL; /* ISR, device cfg, notify of another width */
	}
	memset(r, 0, sizeof(r));
	vpm_common(m, r + VPCI_COMMON_OFF);
	r[VPCI_ISR_OFF] = 0; /* filled below only when read */
	virtio_blk_config(m->vb, r + VPCI_DEVICE_OFF, VPCI_DEVICE_LEN);
	if (off <= VPCI_ISR_OFF && off + len > VPCI_ISR_OFF)
		r[VPCI_ISR_OFF] = virtio_blk_isr_ack(m->vb, h); /* read-to-clear */
	memcpy(data, r + off, len);
	return 0;
}

static const char *const common_names[VPCI_COMMON_LEN / 2] = {
	"common.device_feature_select", "common.device_feature_select",
	"common.device_feature", "common.device_feature",
	"common.driver_feature_select", "common.driver_feature_select",
	"common.driver_feature", "common.driver_feature",
	"common.config_msix_vector", "common.num_queues",
	"common.device_status", /* 0x14 status, 0x15 config_generation */
	"common.queue_select", "common.queue_size", "common.queue_msix_vector",
	"common.queue_enable", "common.queue_notify_off",
	"common.queue_desc", "common.queue_desc", "common.queue_desc", "common.queue_desc",
	"common.queue_driver", "common.queue_driver", "common.queue_driver", "common.queue_driver",
	"common.queue_device", "common.queue_device", "common.queue_device", "common.queue_device",
	"common.queue_notify_data", "common.queue_reset",
	"common.reserved", "common.reserved",
};

const char *vpci_modern_regname(uint64_t off, bool is_write)
{
	(void)is_write;
	if (off < VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
		if (off == VPCI_CFG_GENERATION)
			return "common.config_generation";
		return common_names[(off - VPCI_COMMON_OFF) / 2];
	}
	if (off >= VPCI_ISR_OFF && off < VPCI_ISR_OFF + 4)
		return "isr";
	if (off >= VPCI_NOTIFY_OFF && off < VPCI_NOTIFY_OFF + 4)
		return "notify";
	if (off >= VPCI_DEVICE_OFF && off < VPCI_DEVICE_OFF + VPCI_DEVICE_LEN)
		return "config";
	return "reserved";
}
