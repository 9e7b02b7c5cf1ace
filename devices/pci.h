/*
 * pci.h - PCI host bridge with configuration mechanism #1 (PCI Local Bus
 * Specification 3.0, section 3.2.2.3.2): CONFIG_ADDRESS at 0xcf8 and
 * CONFIG_DATA at 0xcfc-0xcff, one bus (bus 0), single-function devices.
 *
 * Design: the bridge owns every function's 256-byte type-0 configuration
 * header.  A function is described once, by value, with a
 * struct pci_function_desc (ids, class, BARs, legacy IRQ); pci.c builds the
 * header from it and enforces the register semantics (read-only ids, BAR
 * sizing, writable command / interrupt line / cache line / latency timer).
 * The function's own model never sees configuration cycles: it only claims
 * its BAR ranges on the bus (the board registers them at the fixed addresses
 * it put in the descriptor).
 *
 * BARs are FIXED, pre-assigned by the board the way firmware would assign
 * them.  Writing all ones to a BAR arms the sizing probe (the next read
 * returns ~(size-1) plus the type bits); any other write disarms it and the
 * BAR reads back its fixed address again.  BAR relocation is not supported:
 * a guest that writes another address sees the fixed one on read-back, and
 * the device keeps decoding at the fixed address.  The command register is
 * stored and read back but does not gate decoding or bus mastering.
 *
 * Slot 0 is the host bridge (8086:1237, i440FX PMC, class 0x060000), slots
 * 1..31 take functions.  Absent slots, functions 1-7, buses other than 0
 * and extended-register addresses (CONFIG_ADDRESS bits 24-30 set) read all
 * ones and drop writes.  Only 32-bit accesses to 0xcf8 are CONFIG_ADDRESS
 * accesses; narrower ones there read 0xff and are dropped, as on an ISA bus,
 * so Linux's pci_check_type1 probe sees a working mechanism #1.
 *
 * A function may carry a read-only capability list (desc.caps, at 0x40).
 *
 * Not implemented: multi-function devices, PCI-to-PCI bridges, writable
 * capabilities, expansion ROMs, mechanism #2, the 0xcf9 reset control register,
 * PCI interrupt routing tables (the Interrupt Line register carries the
 * board's fixed ISA IRQ for each function).
 */
#ifndef EXITLOG_PCI_H
#define EXITLOG_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_MAX_SLOTS 32
#define PCI_NUM_BARS 6
#define PCI_CAPS_BASE 0x40u
#define PCI_CAPS_MAX 0x80u

struct pci;

/* One base address register. size 0 = BAR not implemented (reads 0). */
struct pci_bar_desc {
	uint32_t addr;  /* fixed address, aligned to size */
	uint32_t size;  /* power of two: >= 4 for IO, >= 16 for memory */
	bool io;        /* IO space BAR (bit 0 set) or 32-bit memory BAR */
};

/* Everything pci.c needs to present a single-function type-0 device. */
struct pci_function_desc {
	const char *name;        /* for diagnostics; kept by pointer */
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint32_t class_code;     /* base class << 16 | subclass << 8 | prog-if */
	uint8_t revision;
	struct pci_bar_desc bars[PCI_NUM_BARS];
	int irq;                 /* legacy ISA IRQ (Interrupt Line), pin INTA; -1 none */
	/* Capability list, read-only bytes at PCI_CAPS_BASE (the Capabilities
	 * Pointer and the status bit follow from caps_len != 0).  The function
	 * writes the next pointers itself, as absolute config offsets. */
	uint8_t caps[PCI_CAPS_MAX];
	uint8_t caps_len;
};

/* A host bridge with slot 0 populated.  NULL on ENOMEM. */
struct pci *pci_create(const char *name);
void pci_destroy(struct pci *p);
/* Back to the power-on state: CONFIG_ADDRESS 0, every header rebuilt from its
 * descriptor (command 0, sizing disarmed).  Functions stay attached.  No host calls. */
void pci_reset(struct pci *p);

/*
 * Attach a function at bus 0 `slot` (1..31), function 0.  *d is copied.
 * Returns 0, -EINVAL for a bad slot, a BAR whose size is not a power of
 * two (minimum 4 for IO, 16 for memory) or whose address is not aligned to
 * it, or caps_len > PCI_CAPS_MAX; -EBUSY when the slot is taken.
 */
int pci_add_function(struct pci *p, int slot, const struct pci_function_desc *d);

/*
 * Configuration access as a mechanism-#1 cycle would make it, for tests and
 * for the board: `len` 1, 2 or 4 bytes at `reg` (reg + len <= 256, inside
 * one dword) of bus 0 / `slot` / function 0.  Absent functions read all
 * ones and drop writes.  Returns 0 or -EINVAL.
 */
int pci_config_read(struct pci *p, int slot, unsigned reg, uint32_t *val, unsigned len);
int pci_config_write(struct pci *p, int slot, unsigned reg, uint32_t val, unsigned len);

/* bus_io_fn for CONFIG_ADDRESS: register at 0xcf8 with length 4. */
int pci_io_addr(void *dev, const struct host *h, uint64_t off, void *data,
		uint32_t len, bool is_write);
/* bus_io_fn for CONFIG_DATA: register at 0xcfc with length 4 (1/2/4-byte
 * accesses at offsets 0-3 reach register (CONFIG_ADDRESS & 0xfc) + off). */
int pci_io_data(void *dev, const struct host *h, uint64_t off, void *data,
		uint32_t len, bool is_write);
/* bus_regname_fn: "config_address" / "config_data". */
const char *pci_regname_addr(uint64_t off, bool is_write);
const char *pci_regname_data(uint64_t off, bool is_write);

#endif
