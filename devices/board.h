/*
 * board.h - the PC board: which device model sits where.  Listed explicitly
 * in one table in board.c (no self-registering constructors), built the same
 * way by the recorder (from the command line) and by the replayer (from the
 * recording's disks table), so both drive identical device models.
 *
 * Fixed devices: COM1 16550A at 0x3f8 IRQ 4, the i8042 at 0x60/0x64.
 * PCI host bridge (type-1 config at 0xcf8/0xcfc), CMOS/RTC at 0x70/0x71.
 * Per disk: IDE disks take the primary (0x1f0-0x1f7, 0x3f6, IRQ 14, "ata0")
 * then the secondary channel (0x170-0x177, 0x376, IRQ 15, "ata1"); virtio
 * disks become virtio-blk PCI functions "vblk0".. in slots 1.. with INTA on
 * IRQ 11, 10, 9, 5: a modern one (the default) has a 256-byte memory BAR at
 * 0xfe000000 + 0x1000*k (in the PCI hole the e820 map leaves free: guest
 * RAM ends below 3 GiB), a legacy one an IO BAR at 0xc000 + 0x40*k.
 * ACPI PM1a registers ("acpi", devices/acpi_pm.h) at 0x600-0x605.
 */
#ifndef EXITLOG_BOARD_H
#define EXITLOG_BOARD_H

#include <stdint.h>

#include "devices/bus.h"
#include "devices/hostif.h"

struct pci;

#define BOARD_MAX_DISKS 8
#define BOARD_MAX_DEVS 32

enum disk_kind {
	DISK_IDE = 0,
	DISK_VIRTIO = 1,        /* virtio-blk, legacy virtio-pci IO BAR ("virtio-legacy") */
	DISK_VIRTIO_MODERN = 2, /* virtio-blk, modern virtio-pci MMIO BAR ("virtio-modern") */
};

struct board_disk {
	enum disk_kind kind;
	uint64_t sectors;
};

struct board_config {
	int ndisks;
	struct board_disk disks[BOARD_MAX_DISKS];
	uint64_t ram_bytes;    /* guest RAM (CMOS memory-size registers) */
	uint64_t rtc_epoch;    /* wall clock at t_ns 0, Unix seconds (meta.rtc_epoch) */
};

/* One device model instance on the board. */
struct virtio_blk;

struct board_dev {
	const char *name;  /* "com1", "ata0", ... (static) */
	const char *kind;  /* "uart16550", "ata", "i8042" */
	int irq;           /* -1 when none */
	int disk;          /* board disk index, -1 when none */
	void *state;       /* the model's struct */
	void (*destroy)(void *state);
	void (*reset)(void *state);
};

struct board {
	struct bus bus;
	int ndevs;
	struct board_dev devs[BOARD_MAX_DEVS];
	const char *disk_dev[BOARD_MAX_DISKS]; /* device name per disk */
	struct virtio_blk *disk_vblk[BOARD_MAX_DISKS]; /* its virtio-blk model, or NULL */
	struct pci *pci;                       /* the host bridge (owned by devs[]) */
};

/*
 * Build the board for `cfg` into *b (caller-owned storage).  Returns 0,
 * -E2BIG for more disks of a kind than the board has slots for, -ENOMEM.
 * On error nothing is left allocated.
 */
int board_create(struct board *b, const struct board_config *cfg);
/* Free every device model and the bus. */
void board_destroy(struct board *b);
/* Put every device back into its power-on state (no host calls). */
void board_reset(struct board *b);
/* The device instance named `name`, or NULL. */
const struct board_dev *board_find(const struct board *b, const char *name);
/*
 * Asynchronous events, delivered to the device they name (the caller holds
 * the dispatch lock and has stamped the host with the event's seq).
 * board_blk_complete(): the host finished request `tag` of virtio-blk
 * `device` with `status` (virtio_blk_complete); -ENODEV when the board has
 * no such virtio-blk device, else that function's result.
 * board_console_room(): how many bytes COM1's receiver takes now (FIFO
 * room); board_console_input(): give it n <= room bytes.
 */
int board_blk_complete(struct board *b, const struct host *h, const char *device,
		       uint64_t tag, int status);
unsigned board_console_room(const struct board *b);
void board_console_input(struct board *b, const struct host *h, const uint8_t *p,
			 size_t n);
/* The console device's name ("com1"). */
#define BOARD_CONSOLE "com1"

/* Name of the disk kind: "ide" / "virtio-legacy" / "virtio-modern"; and
 * back (-1 when unknown; "virtio", the name before the modern transport
 * existed, is the legacy kind). */
const char *board_disk_kind_name(enum disk_kind k);
int board_disk_kind_parse(const char *s);

#endif
