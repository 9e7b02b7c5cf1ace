/*
 * board.c - the board table: the devices of the exitlog PC, where they sit
 * on the bus, and their interrupt lines (see board.h).
 */
#include <errno.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/ata.h"
#include "devices/board.h"
#include "devices/cmos.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/uart.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_pci_modern.h"

/* IDE channels, in the order disks of kind "ide" take them. */
static const struct ide_slot {
	const char *name;
	uint16_t cmd, ctrl;
	int irq;
} ide_slots[] = {
	{ "ata0", 0x1f0, 0x3f6, 14 },
	{ "ata1", 0x170, 0x376, 15 },
};

static struct board_dev *board_add(struct board *b, const char *name,
				   const char *kind, int irq, int disk,
				   void *state, void (*destroy)(void *),
				   void (*reset)(void *))
{
	struct board_dev *d;

	if (b->ndevs >= BOARD_MAX_DEVS)
		return NULL;
	d = &b->devs[b->ndevs++];
	d->name = name;
	d->kind = kind;
	d->irq = irq;
	d->disk = disk;
	d->state = state;
	d->destroy = destroy;
	d->reset = reset;
	return d;
}

/* virtio-blk functions, in the order disks of kind "virtio" take them. */
static const struct vblk_slot {
	const char *name;
	uint16_t io;   /* legacy IO BAR */
	uint32_t mem;  /* modern memory BAR */
	int irq;
} vblk_slots[] = {
	{ "vblk0", 0xc000, 0xfe000000u, 11 },
	{ "vblk1", 0xc040, 0xfe001000u, 10 },
	{ "vblk2", 0xc080, 0xfe002000u, 9 },
	{ "vblk3", 0xc0c0, 0xfe003000u, 5 },
};

static void uart_destroy_v(void *p) { uart_destroy(p); }
static void uart_reset_v(void *p) { uart_reset(p); }
static void i8042_destroy_v(void *p) { i8042_destroy(p); }
static void i8042_reset_v(void *p) { i8042_reset(p); }
static void ata_destroy_v(void *p) { ata_destroy(p); }
static void ata_reset_v(void *p) { ata_reset(p); }
static void pci_destroy_v(void *p) { pci_destroy(p); }
static void pci_reset_v(void *p) { pci_reset(p); }
static void cmos_destroy_v(void *p) { cmos_destroy(p); }
static void cmos_reset_v(void *p) { cmos_reset(p); }
static void vblk_destroy_v(void *p) { virtio_blk_destroy(p); }
static void vblk_reset_v(void *p) { virtio_blk_reset(p); }
static void vpm_destroy_v(void *p) { vpci_modern_destroy(p); }
static void vpm_reset_v(void *p) { vpci_modern_reset(p); }
static void acpi_pm_destroy_v(void *p) { acpi_pm_destroy(p); }
static void acpi_pm_reset_v(void *p) { acpi_pm_reset(p); }

static int board_add_fixed(struct board *b, const struct board_config *cfg)
{
	uint64_t below4g = cfg->ram_bytes < 0xc0000000ULL ? cfg->ram_bytes : 0xc0000000ULL;
	struct uart *u;
	struct i8042 *k;
	struct acpi_pm *pm;
	struct cmos *c;
	struct pci *p;
	int rc;

	u = uart_create("com1", 4);
	if (!u)
		return -ENOMEM;
	if (!board_add(b, "com1", "uart16550", 4, -1, u, uart_destroy_v, uart_reset_v)) {
		uart_destroy(u);
		return -E2BIG;
	}
	rc = bus_register(&b->bus, BUS_PIO, 0x3f8, 8, uart_io, uart_regname, u, "com1");
	if (rc)
		return rc;

	k = i8042_create("i8042");
	if (!k)
		return -ENOMEM;
	if (!board_add(b, "i8042", "i8042", -1, -1, k, i8042_destroy_v, i8042_reset_v)) {
		i8042_destroy(k);
		return -E2BIG;
	}
	rc = bus_register(&b->bus, BUS_PIO, 0x60, 1, i8042_io_data, i8042_regname_data, k, "i8042");
	if (!rc)
		rc = bus_register(&b->bus, BUS_PIO, 0x64, 1, i8042_io_cmd, i8042_regname_cmd, k, "i8042");
	if (rc)
		return rc;

	c = cmos_create("rtc", cfg->rtc_epoch, below4g, cfg->ram_bytes - below4g);
	if (!c)
		return -ENOMEM;
	if (!board_add(b, "rtc", "mc146818", 8, -1, c, cmos_destroy_v, cmos_reset_v)) {
		cmos_destroy(c);
		return -E2BIG;
	}
	rc = bus_register(&b->bus, BUS_PIO, 0x70, 2, cmos_io, cmos_regname, c, "rtc");
	if (rc)
		return rc;

	p = pci_create("pci");
	if (!p)
		return -ENOMEM;
	if (!board_add(b, "pci", "pci-host", -1, -1, p, pci_destroy_v, pci_reset_v)) {
		pci_destroy(p);
		return -E2BIG;
	}
	b->pci = p;
	rc = bus_register(&b->bus, BUS_PIO, 0xcf8, 4, pci_io_addr, pci_regname_addr, p, "pci");
	if (!rc)
		rc = bus_register(&b->bus, BUS_PIO, 0xcfc, 4, pci_io_data, pci_regname_data, p, "pci");
	if (rc)
		return rc;

	pm = acpi_pm_create("acpi");
	if (!pm)
		return -ENOMEM;
	if (!board_add(b, "acpi", "acpi-pm", -1, -1, pm, acpi_pm_destroy_v, acpi_pm_reset_v)) {
		acpi_pm_destroy(pm);
		return -E2BIG;
	}
	return bus_register(&b->bus, BUS_PIO, ACPI_PM_BASE, ACPI_PM_LEN, acpi_pm_io,
			    acpi_pm_regname, pm, "acpi");
}

/*
 * A virtio-blk disk on its PCI slot: the legacy function (IO BAR) or, with
 * `modern`, a modern virtio-pci function (MMIO BAR) whose transport owns
 * the device.  Either way b->disk_vblk[disk] is the model (completions).
 */
static int board_add_vblk(struct board *b, int disk, uint64_t sectors, int slot, bool modern)
{
	const struct vblk_slot *s;
	struct pci_function_desc d;
	struct virtio_pci_modern *m = NULL;
	struct virtio_blk *vb;
	int rc;

	if (slot >= (int)(sizeof(vblk_slots) / sizeof(vblk_slots[0])))
		return -E2BIG;
	s = &vblk_slots[slot];
	vb = virtio_blk_create(s->name, disk, sectors, s->irq);
	if (!vb)
		return -ENOMEM;
	if (modern) {
		m = vpci_modern_create(vb);
		if (!m) {
			virtio_blk_destroy(vb);
			return -ENOMEM;
		}
	}
	if (!board_add(b, s->name, "virtio-blk", s->irq, disk, m ? (void *)m : (void *)vb,
		       m ? vpm_destroy_v : vblk_destroy_v, m ? vpm_reset_v : vblk_reset_v)) {
		if (m)
			vpci_modern_destroy(m);
		else
			virtio_blk_destroy(vb);
		return -E2BIG;
	}
	b->disk_dev[disk] = s->name;
	b->disk_vblk[disk] = vb;
	if (m)
		vpci_modern_pci_desc(m, s->mem, &d);
	else
		virtio_blk_pci_desc(vb, s->io, &d);
	rc = pci_add_function(b->pci, 1 + slot, &d);
	if (rc)
		return rc;
	if (m)
		return bus_register(&b->bus, BUS_MMIO, s->mem, VPCI_MODERN_BAR_SIZE,
				    vpci_modern_mmio, vpci_modern_regname, m, s->name);
	return bus_register(&b->bus, BUS_PIO, s->io, VIRTIO_BLK_IO_SIZE, virtio_blk_io,
			    virtio_blk_regname, vb, s->name);
}

static int board_add_ide(struct board *b, int disk, uint64_t sectors, int slot)
{
	const struct ide_slot *s;
	struct ata *a;
	int rc;

	if (slot >= (int)(sizeof(ide_slots) / sizeof(ide_slots[0])))
		return -E2BIG;
	s = &ide_slots[slot];
	a = ata_create(s->name, disk, sectors, s->irq);
	if (!a)
		return -ENOMEM;
	if (!board_add(b, s->name, "ata", s->irq, disk, a, ata_destroy_v, ata_reset_v)) {
		ata_destroy(a);
		return -E2BIG;
	}
	b->disk_dev[disk] = s->name;
	rc = bus_register(&b->bus, BUS_PIO, s->cmd, 8, ata_io_cmd, ata_regname_cmd, a, s->name);
	if (!rc)
		rc = bus_register(&b->bus, BUS_PIO, s->ctrl, 1, ata_io_ctrl, ata_regname_ctrl, a, s->name);
	return rc;
}

int board_create(struct board *b, const struct board_config *cfg)
{
	int rc, nide = 0, nvblk = 0;

	memset(b, 0, sizeof(*b));
	bus_init(&b->bus);
	if (cfg->ndisks < 0 || cfg->ndisks > BOARD_MAX_DISKS) {
		rc = -E2BIG;
		goto fail;
	}
	rc = board_add_fixed(b, cfg);
	if (rc)
		goto fail;
	for (int i = 0; i < cfg->ndisks; i++) {
		switch (cfg->disks[i].kind) {
		case DISK_IDE:
			rc = board_add_ide(b, i, cfg->disks[i].sectors, nide++);
			break;
		case DISK_VIRTIO:
			rc = board_add_vblk(b, i, cfg->disks[i].sectors, nvblk++, false);
			break;
		case DISK_VIRTIO_MODERN:
			rc = board_add_vblk(b, i, cfg->disks[i].sectors, nvblk++, true);
			break;
		default:
			rc = -EOPNOTSUPP;
			break;
		}
		if (rc)
			goto fail;
	}
	return 0;
fail:
	board_destroy(b);
	return rc;
}

void board_destroy(struct board *b)
{
	for (int i = b->ndevs - 1; i >= 0; i--)
		b->devs[i].destroy(b->devs[i].state);
	b->ndevs = 0;
	bus_destroy(&b->bus);
}

void board_reset(struct board *b)
{
	for (int i = 0; i < b->ndevs; i++)
		if (b->devs[i].reset)
			b->devs[i].reset(b->devs[i].state);
}

const struct board_dev *board_find(const struct board *b, const char *name)
{
	for (int i = 0; i < b->ndevs; i++)
		if (!strcmp(b->devs[i].name, name))
			return &b->devs[i];
	return NULL;
}

int board_blk_complete(struct board *b, const struct host *h, const char *device,
		       uint64_t tag, int status)
{
	const struct board_dev *d = device ? board_find(b, device) : NULL;
	struct virtio_blk *vb = d && d->disk >= 0 ? b->disk_vblk[d->disk] : NULL;

	if (!vb)
		return -ENODEV;
	return virtio_blk_complete(vb, h, tag, status);
}

unsigned board_console_room(const struct board *b)
{
	const struct board_dev *d = board_find(b, BOARD_CONSOLE);

	return d ? uart_rx_room(d->state) : 0;
}

void board_console_input(struct board *b, const struct host *h, const uint8_t *p,
			 size_t n)
{
	const struct board_dev *d = board_find(b, BOARD_CONSOLE);

	for (size_t i = 0; d && i < n; i++)
		uart_receive(d->state, h, p[i]);
}

const char *board_disk_kind_name(enum disk_kind k)
{
	switch (k) {
	case DISK_VIRTIO:
		return "virtio-legacy";
	case DISK_VIRTIO_MODERN:
		return "virtio-modern";
	default:
		return "ide";
	}
}

int board_disk_kind_parse(const char *s)
{
	if (!strcmp(s, "ide"))
		return DISK_IDE;
	if (!strcmp(s, "virtio") || !strcmp(s, "virtio-legacy"))
		return DISK_VIRTIO;
	if (!strcmp(s, "virtio-modern"))
		return DISK_VIRTIO_MODERN;
	return -1;
}
