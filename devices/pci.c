/*
 * pci.c - PCI host bridge, configuration mechanism #1 (see pci.h).
 *
 * Follows the PCI Local Bus Specification 3.0: 3.2.2.3.2 (configuration
 * mechanism #1, CONFIG_ADDRESS layout: bit 31 enable, 23:16 bus, 15:11
 * device, 10:8 function, 7:2 register), 6.1 (type-0 header layout), 6.2.5.1
 * (BAR sizing by writing all ones).  The headers live here, one 256-byte
 * image per slot, rebuilt from the function's descriptor on reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"

/* Type-0 header offsets. */
#define CFG_VENDOR 0x00
#define CFG_DEVICE 0x02
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_REVISION 0x08
#define CFG_CLASS 0x09
#define CFG_CACHE_LINE 0x0c
#define CFG_LATENCY 0x0d
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_BAR_END 0x28
#define CFG_SUBSYS_VENDOR 0x2c
#define CFG_SUBSYS_ID 0x2e
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d

/* Writable command bits: IO, memory, bus master, parity, SERR#, INTx disable. */
#define CMD_WRITABLE 0x0547u

#define ADDR_ENABLE 0x80000000u
#define ADDR_RESERVED 0x7f000000u /* bits 30:24 (extended register on some chipsets) */

struct pci_fn {
	bool present;
	struct pci_function_desc d;
	uint8_t cfg[256];
	uint32_t bar_latch[PCI_NUM_BARS]; /* last value written to each BAR */
	bool sizing[PCI_NUM_BARS];        /* all ones written: read the size mask */
};

struct pci {
	const char *name;
	uint32_t addr; /* CONFIG_ADDRESS */
	struct pci_fn fn[PCI_MAX_SLOTS];
};

static const struct pci_function_desc host_bridge = {
	.name = "i440fx",
	.vendor = 0x8086,
	.device = 0x1237,
	.subsys_vendor = 0,
	.subsys_device = 0,
	.class_code = 0x060000,
	.revision = 0x02,
	.irq = -1,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint32_t bar_flags(const struct pci_bar_desc *b)
{
	return b->io ? 1u : 0u; /* memory: 32-bit, non-prefetchable */
}

/* The BAR as the guest reads it. */
static uint32_t bar_value(const struct pci_fn *f, int i)
{
	const struct pci_bar_desc *b = &f->d.bars[i];

	if (!b->size)
		return 0;
	if (f->sizing[i])
		return ~(b->size - 1) | bar_flags(b);
	return b->addr | bar_flags(b);
}

static void fn_build(struct pci_fn *f)
{
	const struct pci_function_desc *d = &f->d;

	memset(f->cfg, 0, sizeof(f->cfg));
	put16(f->cfg + CFG_VENDOR, d->vendor);
	put16(f->cfg + CFG_DEVICE, d->device);
	f->cfg[CFG_REVISION] = d->revision;
	f->cfg[CFG_CLASS] = (uint8_t)d->class_code;
	f->cfg[CFG_CLASS + 1] = (uint8_t)(d->class_code >> 8);
	f->cfg[CFG_CLASS + 2] = (uint8_t)(d->class_code >> 16);
	f->cfg[CFG_HEADER_TYPE] = 0x00; /* type 0, single function */
	put16(f->cfg + CFG_SUBSYS_VENDOR, d->subsys_vendor);
	put16(f->cfg + CFG_SUBSYS_ID, d->subsys_device);
	if (d->caps_len) {
		f->cfg[CFG_STATUS] |= 0x10; /* capabilities list */
		f->cfg[CFG_CAP_PTR] = PCI_CAPS_BASE;
		memcpy(f->cfg + PCI_CAPS_BASE, d->caps, d->caps_len);
	}
	if (d->irq >= 0) {
		f->cfg[CFG_INT_LINE] = (uint8_t)d->irq;
		f->cfg[CFG_INT_PIN] = 1; /* INTA# */
	}
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		f->sizing[i] = false;
		f->bar_latch[i] = bar_value(f, i);
	}
}

struct pci *pci_create(const char *name)
{
	struct pci *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = name;
	p->fn[0].present = true;
	p->fn[0].d = host_bridge;
	pci_reset(p);
	return p;
}

void pci_destroy(struct pci *p)
{
	free(p);
}

void pci_reset(struct pci *p)
{
	p->addr = 0;
	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		if (p->fn[i].present)
			fn_build(&p->fn[i]);
}

static bool bar_ok(const struct pci_bar_desc *b)
{
	if (!b->size)
		return true;
	if (b->size & (b->size - 1))
		return false;
	if (b->size < (b->io ? 4u : 16u))
		return false;
	return (b->addr & (b->size - 1)) == 0;
}

int pci_add_function(struct pci *p, int slot, const struct pci_function_desc *d)
{
	if (slot < 1 || slot >= PCI_MAX_SLOTS || d->caps_len > PCI_CAPS_MAX)
		return -EINVAL;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		if (!bar_ok(&d->bars[i]))
			return -EINVAL;
	if (p->fn[slot].present)
		return -EBUSY;
	p->fn[slot].present = true;
	p->fn[slot].d = *d;
	fn_build(&p->fn[slot]);
	return 0;
}

static uint8_t cfg_read_byte(const struct pci_fn *f, unsigned reg)
{
	if (reg >= CFG_BAR0 && reg < CFG_BAR_END) {
		unsigned i = (reg - CFG_BAR0) / 4;

		return (uint8_t)(bar_value(f, (int)i) >> (8 * (reg & 3)));
	}
	return f->cfg[reg];
}

static void cfg_write_byte(struct pci_fn *f, unsigned reg, uint8_t v)
{
	if (reg >= CFG_BAR0 && reg < CFG_BAR_END) {
		unsigned i = (reg - CFG_BAR0) / 4, sh = 8 * (reg & 3);

		f->bar_latch[i] = (f->bar_latch[i] & ~(0xffu << sh)) | ((uint32_t)v << sh);
		return;
	}
	switch (reg) {
	case CFG_COMMAND:
		f->cfg[reg] = v & (uint8_t)CMD_WRITABLE;
		break;
	case CFG_COMMAND + 1:
		f->cfg[reg] = v & (uint8_t)(CMD_WRITABLE >> 8);
		break;
	case CFG_CACHE_LINE:
	case CFG_LATENCY:
	case CFG_INT_LINE:
		f->cfg[reg] = v;
		break;
	default:
		break; /* read-only, or RW1C status bits we never set */
	}
}

/* A function at bus 0, or NULL. */
static struct pci_fn *fn_at(struct pci *p, int slot)
{
	if (slot < 0 || slot >= PCI_MAX_SLOTS || !p->fn[slot].present)
		return NULL;
	return &p->fn[slot];
}

static bool range_ok(unsigned reg, unsigned len)
{
	if (len != 1 && len != 2 && len != 4)
		return false;
	return reg + len <= 256 && (reg & 3) + len <= 4;
}

int pci_config_read(struct pci *p, int slot, unsigned reg, uint32_t *val, unsigned len)
{
	struct pci_fn *f;
	uint32_t v = 0;

	if (!range_ok(reg, len))
		return -EINVAL;
	f = fn_at(p, slot);
	if (!f) {
		*val = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
		return 0;
	}
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)cfg_read_byte(f, reg + i) << (8 * i);
	*val = v;
	return 0;
}

int pci_config_write(struct pci *p, int slot, unsigned reg, uint32_t val, unsigned len)
{
	struct pci_fn *f;

	if (!range_ok(reg, len))
		return -EINVAL;
	f = fn_at(p, slot);
	if (!f)
		return 0;
	for (unsigned i = 0; i < len; i++)
		cfg_write_byte(f, reg + i, (uint8_t)(val >> (8 * i)));
	if (reg >= CFG_BAR0 && reg < CFG_BAR_END) {
		unsigned b = (reg - CFG_BAR0) / 4;

		f->sizing[b] = f->bar_latch[b] == 0xffffffffu;
	}
	return 0;
}

static uint32_t le_get(const void *data, uint32_t len)
{
	const uint8_t *b = data;
	uint32_t v = 0;

	for (uint32_t i = 0; i < len && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void le_put(void *data, uint32_t len, uint32_t v)
{
	uint8_t *b = data;

	for (uint32_t i = 0; i < len; i++)
		b[i] = i < 4 ? (uint8_t)(v >> (8 * i)) : 0xff;
}

int pci_io_addr(void *dev, const struct host *h, uint64_t off, void *data,
		uint32_t len, bool is_write)
{
	struct pci *p = dev;

	(void)h;
	if (off != 0 || len != 4) {
		/* Not a CONFIG_ADDRESS access: behaves like an empty ISA port. */
		if (!is_write)
			memset(data, 0xff, len);
		return 0;
	}
	if (is_write)
		p->addr = le_get(data, 4) & ~3u;
	else
		le_put(data, 4, p->addr);
	return 0;
}

int pci_io_data(void *dev, const struct host *h, uint64_t off, void *data,
		uint32_t len, bool is_write)
{
	struct pci *p = dev;
	uint32_t a = p->addr, v = 0xffffffffu;
	unsigned bus, slot, fn, reg;
	int rc = 0;

	(void)h;
	if (off >= 4 || off + len > 4 || (len != 1 && len != 2 && len != 4)) {
		if (!is_write)
			memset(data, 0xff, len);
		return -EINVAL;
	}
	bus = (a >> 16) & 0xff;
	slot = (a >> 11) & 0x1f;
	fn = (a >> 8) & 7;
	reg = (a & 0xfc) + (unsigned)off;
	if (!(a & ADDR_ENABLE) || (a & ADDR_RESERVED) || bus != 0 || fn != 0) {
		/* Not a configuration cycle, or nobody answers it. */
		if (!is_write)
			le_put(data, len, v);
		return 0;
	}
	if (is_write) {
		rc = pci_config_write(p, (int)slot, reg, le_get(data, len), len);
	} else {
		rc = pci_config_read(p, (int)slot, reg, &v, len);
		le_put(data, len, v);
	}
	return rc;
}

const char *pci_regname_addr(uint64_t off, bool is_write)
{
	(void)off;
	(void)is_write;
	return "config_address";
}

const char *pci_regname_data(uint64_t off, bool is_write)
{
	(void)off;
	(void)is_write;
	return "config_data";
}
