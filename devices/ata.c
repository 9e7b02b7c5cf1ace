/*
 * ata.c - ATA/IDE channel, PIO only, one master disk (see ata.h).  Follows
 * ATA/ATAPI-6 and, where the standard leaves room, QEMU's hw/ide/core.c:
 *  - power-on and software reset leave the signature (nsect 1, lbal 1,
 *    lbam/lbah 0, device 0), error 0x01 and status DRDY|DSC (0x50); while
 *    SRST is held the status reads BSY|DSC (0x90);
 *  - commands complete synchronously (straight to DRQ or to done); command
 *    and register writes are ignored while BSY or DRQ is set;
 *  - success ends with DRDY|DSC, except IDLE/STANDBY IMMEDIATE (DRDY only,
 *    as in QEMU); an abort with ERR|DRDY (0x41) and error ABRT (0x04);
 *  - the LBA/nsect registers advance as each DRQ block is transferred;
 *  - the IRQ is raised when a command completes or a DRQ block is ready (not
 *    for the first block of a write, nor after the last block of a read), if
 *    nIEN is clear; reading status (not altstatus) lowers it;
 *  - the slave is absent: while selected, status/altstatus/error read 0,
 *    commands are ignored, register writes land in the shared task file.
 * The whole command range is checked before any data phase: past the end ->
 * ERR|DRDY, error IDNF|ABRT (0x14), IRQ, no host call.  A failed host read
 * reports UNC (0x40), a failed write or flush ABRT (0x04).  Reads fetch up to
 * 256 sectors per host_blk_read() at command time (the next 256 when those
 * are consumed); writes are buffered and go out in one host_blk_write() per
 * 256-sector chunk.  With the write cache disabled (SET FEATURES 0x82) every
 * write is followed by a flush.
 * Added beyond ata.h's list: READ/WRITE MULTIPLE EXT (0x29/0x39), which Linux
 * uses for LBA48 PIO.  Data register reads without DRQ return all ones (QEMU
 * returns 0); 1-byte data accesses read 0xff, are dropped and return -EINVAL.
 * Not implemented: DMA, ATAPI, SMART, HPA, power states (idle/standby are
 * accepted and do nothing).
 * The IDENTIFY DEVICE data is built in ata_identify.c; the state shared with
 * it is in ata_int.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ata.h"
#include "devices/ata_int.h"

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DSC 0x10
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define ST_OK (ST_DRDY | ST_DSC)

#define ER_UNC 0x40
#define ER_IDNF 0x10
#define ER_ABRT 0x04

#define CTL_NIEN 0x02
#define CTL_SRST 0x04
#define CTL_HOB 0x80

#define DEV_LBA 0x40
#define DEV_SLAVE 0x10

static const char *const ata_rnames[8] = {
	"data", "error", "nsect", "lbal", "lbam", "lbah", "device", "status",
};
static const char *const ata_wnames[8] = {
	"data", "features", "nsect", "lbal", "lbam", "lbah", "device", "command",
};

const char *ata_regname_cmd(uint64_t off, bool is_write)
{
	if (off >= 8)
		return NULL;
	return is_write ? ata_wnames[off] : ata_rnames[off];
}

const char *ata_regname_ctrl(uint64_t off, bool is_write)
{
	if (off != 0)
		return NULL;
	return is_write ? "devctl" : "altstatus";
}

static void ata_set_signature(struct ata *a)
{
	memset(a->tf, 0, sizeof(a->tf));
	memset(a->hob, 0, sizeof(a->hob));
	a->tf[R_NSECT] = 1;
	a->tf[R_LBAL] = 1;
	a->error = 0x01; /* diagnostic passed, no slave */
	a->status = ST_OK;
	a->xfer = XFER_NONE;
	a->pos = a->blk_end = 0;
}

struct ata *ata_create(const char *name, int disk, uint64_t nsectors, int irq)
{
	struct ata *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->buf = malloc(ATA_CHUNK * SECTOR_SIZE);
	if (!a->buf) {
		free(a);
		return NULL;
	}
	a->name = name;
	a->disk = disk;
	a->nsectors = nsectors;
	a->irq = irq;
	ata_reset(a);
	return a;
}

void ata_reset(struct ata *a)
{
	ata_set_signature(a);
	a->devctl = 0;
	a->mult = ATA_MAX_MULT;
	a->wcache = true;
	a->irq_level = 0;
	memset(a->buf, 0, ATA_CHUNK * SECTOR_SIZE);
}

void ata_destroy(struct ata *a)
{
	if (!a)
		return;
	free(a->buf);
	free(a);
}

static void ata_irq_level(struct ata *a, const struct host *h, int level)
{
	if (level != a->irq_level) {
		a->irq_level = level;
		host_irq_set(h, a->irq, level);
	}
}

static void ata_irq_raise(struct ata *a, const struct host *h)
{
	if (!(a->devctl & CTL_NIEN))
		ata_irq_level(a, h, 1);
}

static bool ata_slave(const struct ata *a)
{
	return a->tf[R_DEV] & DEV_SLAVE;
}

/* End the command (no data phase left) with `status` and `error`. */
static void ata_finish(struct ata *a, const struct host *h, uint8_t status,
		       uint8_t error)
{
	a->xfer = XFER_NONE;
	a->status = status;
	a->error = error;
	ata_irq_raise(a, h);
}

static void ata_abort(struct ata *a, const struct host *h, uint8_t error)
{
	ata_finish(a, h, ST_DRDY | ST_ERR, error);
}

static int ata_blk(struct ata *a, const struct host *h, enum blk_op op)
{
	struct blk_req r = {
		.disk = a->disk,
		.device = a->name,
		.op = op,
		.sector = op == BLK_OP_FLUSH ? 0 : a->lba,
		.nsectors = op == BLK_OP_FLUSH ? 0 : a->chunk,
	};

	if (op == BLK_OP_READ)
		return host_blk_read(h, &r, a->buf);
	if (op == BLK_OP_WRITE)
		return host_blk_write(h, &r, a->buf);
	return host_blk_flush(h, &r);
}

/* Decode the command's start sector and count; false for a bad CHS address. */
static bool ata_decode(struct ata *a, bool lba48, uint64_t *lba, uint32_t *n)
{
	const uint8_t *t = a->tf, *o = a->hob;

	if (lba48) {
		a->addr = ADDR_LBA48;
		*lba = (uint64_t)o[R_LBAH] << 40 | (uint64_t)o[R_LBAM] << 32 |
		       (uint64_t)o[R_LBAL] << 24 | (uint64_t)t[R_LBAH] << 16 |
		       (uint64_t)t[R_LBAM] << 8 | t[R_LBAL];
		*n = (uint32_t)o[R_NSECT] << 8 | t[R_NSECT];
		*n = *n ? *n : 65536;
		return true;
	}
	*n = t[R_NSECT] ? t[R_NSECT] : 256;
	if (t[R_DEV] & DEV_LBA) {
		a->addr = ADDR_LBA28;
		*lba = (uint64_t)(t[R_DEV] & 0x0f) << 24 |
		       (uint64_t)t[R_LBAH] << 16 | (uint64_t)t[R_LBAM] << 8 |
		       t[R_LBAL];
		return true;
	}
	a->addr = ADDR_CHS;
	*lba = ((uint64_t)(t[R_LBAH] << 8 | t[R_LBAM]) * ATA_HEADS +
		(t[R_DEV] & 0x0f)) * ATA_SPT + t[R_LBAL] - 1;
	return t[R_LBAL] != 0;
}

/* Point the task file at `next` with `left` sectors still to go. */
static void ata_set_position(struct ata *a, uint64_t next, uint32_t left)
{
	uint8_t *t = a->tf, *o = a->hob;
	unsigned r;

	t[R_NSECT] = (uint8_t)left;
	if (a->addr == ADDR_CHS) {
		r = (unsigned)(next % (ATA_HEADS * ATA_SPT));
		next /= ATA_HEADS * ATA_SPT; /* cylinder */
		t[R_LBAL] = (uint8_t)(r % ATA_SPT + 1);
		t[R_LBAM] = (uint8_t)next;
		t[R_LBAH] = (uint8_t)(next >> 8);
		t[R_DEV] = (t[R_DEV] & 0xf0) | ((r / ATA_SPT) & 0x0f);
		return;
	}
	t[R_LBAL] = (uint8_t)next;
	t[R_LBAM] = (uint8_t)(next >> 8);
	t[R_LBAH] = (uint8_t)(next >> 16);
	if (a->addr == ADDR_LBA28) {
		t[R_DEV] = (t[R_DEV] & 0xf0) | ((next >> 24) & 0x0f);
		return;
	}
	o[R_NSECT] = (uint8_t)(left >> 8);
	o[R_LBAL] = (uint8_t)(next >> 24);
	o[R_LBAM] = (uint8_t)(next >> 32);
	o[R_LBAH] = (uint8_t)(next >> 40);
}

/* Take the next chunk (at most ATA_CHUNK sectors) of the command. */
static void ata_next_chunk(struct ata *a)
{
	a->chunk = a->remain < ATA_CHUNK ? a->remain : ATA_CHUNK;
	a->remain -= a->chunk;
	a->pos = 0;
}

/* Open the DRQ block starting at a->pos; reads also move the task file. */
static void ata_open_block(struct ata *a)
{
	uint32_t avail = a->chunk - a->pos / SECTOR_SIZE;
	uint32_t n = a->block < avail ? a->block : avail;

	a->blk_end = a->pos + n * SECTOR_SIZE;
	a->status = ST_OK | ST_DRQ;
	a->error = 0;
	if (a->xfer == XFER_IN)
		ata_set_position(a, a->lba + a->blk_end / SECTOR_SIZE,
				 a->remain + a->chunk - a->blk_end / SECTOR_SIZE);
}

/* Read the next chunk from the host and open its first block. */
static void ata_read_chunk(struct ata *a, const struct host *h)
{
	ata_next_chunk(a);
	if (ata_blk(a, h, BLK_OP_READ) < 0) {
		ata_abort(a, h, ER_UNC);
		return;
	}
	ata_open_block(a);
	ata_irq_raise(a, h);
}

static void ata_start_rw(struct ata *a, const struct host *h, bool write,
			 bool lba48, uint32_t block)
{
	uint64_t lba;
	uint32_t n;

	if (!ata_decode(a, lba48, &lba, &n) || lba > a->nsectors ||
	    n > a->nsectors - lba) {
		ata_abort(a, h, ER_IDNF | ER_ABRT);
		return;
	}
	a->lba = lba;
	a->remain = n;
	a->block = block;
	a->xfer = write ? XFER_OUT : XFER_IN;
	if (!write) {
		ata_read_chunk(a, h);
		return;
	}
	/* Write: DRQ for the first block at once, no IRQ for it. */
	ata_next_chunk(a);
	ata_open_block(a);
}

/* The host has read the whole current DRQ block. */
static void ata_read_block_done(struct ata *a, const struct host *h)
{
	if (a->pos < a->chunk * SECTOR_SIZE) {
		ata_open_block(a);
		ata_irq_raise(a, h);
	} else if (a->remain) {
		a->lba += a->chunk;
		ata_read_chunk(a, h);
	} else {
		/* End of the data: no interrupt (the last block had one). */
		a->xfer = XFER_NONE;
		a->status = ST_OK;
	}
}

/* The host has written the whole current DRQ block. */
static void ata_write_block_done(struct ata *a, const struct host *h)
{
	ata_set_position(a, a->lba + a->blk_end / SECTOR_SIZE,
			 a->remain + a->chunk - a->blk_end / SECTOR_SIZE);
	if (a->pos == a->chunk * SECTOR_SIZE) {
		if (ata_blk(a, h, BLK_OP_WRITE) < 0 ||
		    (!a->wcache && ata_blk(a, h, BLK_OP_FLUSH) < 0)) {
			ata_abort(a, h, ER_ABRT);
			return;
		}
		if (!a->remain) {
			ata_finish(a, h, ST_OK, 0);
			return;
		}
		a->lba += a->chunk;
		ata_next_chunk(a);
	}
	ata_open_block(a);
	ata_irq_raise(a, h);
}

/* ---- commands ---- */

static void ata_set_features(struct ata *a, const struct host *h)
{
	bool ok = true;

	switch (a->tf[R_FEAT]) {
	case 0x03: /* transfer mode: PIO default or PIO n only */
		ok = (a->tf[R_NSECT] >> 3) <= 1;
		break;
	case 0x02:
		a->wcache = true;
		break;
	case 0x82:
		a->wcache = false;
		ok = ata_blk(a, h, BLK_OP_FLUSH) >= 0;
		break;
	case 0x05: case 0x85: case 0x42: case 0xc2: case 0xaa: case 0x55:
	case 0xcc: case 0x66: case 0x67: case 0x69: case 0x96: case 0x9a:
		break;
	default:
		ok = false;
		break;
	}
	if (ok)
		ata_finish(a, h, ST_OK, 0);
	else
		ata_abort(a, h, ER_ABRT);
}

static void ata_command(struct ata *a, const struct host *h, uint8_t cmd)
{
	uint8_t n = a->tf[R_NSECT];

	if (ata_slave(a) || (a->status & (ST_BSY | ST_DRQ)))
		return;
	a->error = 0;
	switch (cmd) {
	case 0xec: /* IDENTIFY DEVICE: one 512-byte block */
		ata_identify(a, a->buf);
		a->xfer = XFER_IN;
		a->chunk = 1;
		a->remain = a->pos = 0;
		a->blk_end = SECTOR_SIZE;
		a->status = ST_OK | ST_DRQ;
		ata_irq_raise(a, h);
		break;
	case 0x20: case 0x21: case 0x24: /* READ SECTORS (EXT) */
		ata_start_rw(a, h, false, cmd == 0x24, 1);
		break;
	case 0x30: case 0x31: case 0x34: /* WRITE SECTORS (EXT) */
		ata_start_rw(a, h, true, cmd == 0x34, 1);
		break;
	case 0xc4: case 0x29: case 0xc5: case 0x39: /* READ/WRITE MULTIPLE */
		if (!a->mult)
			ata_abort(a, h, ER_ABRT);
		else
			ata_start_rw(a, h, cmd == 0xc5 || cmd == 0x39,
				     cmd == 0x29 || cmd == 0x39, a->mult);
		break;
	case 0xc6: /* SET MULTIPLE MODE: 0 disables, else a power of 2 <= 16 */
		if (n > ATA_MAX_MULT || (n & (n - 1))) {
			ata_abort(a, h, ER_ABRT);
			break;
		}
		a->mult = n;
		ata_finish(a, h, ST_OK, 0);
		break;
	case 0xe7: case 0xea: /* FLUSH CACHE (EXT) */
		if (ata_blk(a, h, BLK_OP_FLUSH) < 0)
			ata_abort(a, h, ER_ABRT);
		else
			ata_finish(a, h, ST_OK, 0);
		break;
	case 0xef:
		ata_set_features(a, h);
		break;
	case 0x91: /* INITIALIZE DEVICE PARAMETERS: geometry stays 16/63 */
		ata_finish(a, h, ST_OK, 0);
		break;
	case 0xe0: case 0xe1: /* STANDBY / IDLE IMMEDIATE */
		ata_finish(a, h, ST_DRDY, 0);
		break;
	case 0xe5: /* CHECK POWER MODE: active or idle */
		a->tf[R_NSECT] = 0xff;
		ata_finish(a, h, ST_OK, 0);
		break;
	case 0x90: /* EXECUTE DEVICE DIAGNOSTIC */
		ata_set_signature(a);
		ata_finish(a, h, ST_OK, 0x01);
		break;
	default:
		ata_abort(a, h, ER_ABRT);
		break;
	}
}

/* ---- register access ---- */

static uint16_t ata_data_read(struct ata *a, const struct host *h)
{
	uint16_t v;

	if (ata_slave(a) || a->xfer != XFER_IN || !(a->status & ST_DRQ))
		return 0xffff;
	v = (uint16_t)(a->buf[a->pos] | a->buf[a->pos + 1] << 8);
	a->pos += 2;
	if (a->pos >= a->blk_end)
		ata_read_block_done(a, h);
	return v;
}

static void ata_data_write(struct ata *a, const struct host *h, uint16_t v)
{
	if (ata_slave(a) || a->xfer != XFER_OUT || !(a->status & ST_DRQ))
		return;
	a->buf[a->pos] = (uint8_t)v;
	a->buf[a->pos + 1] = (uint8_t)(v >> 8);
	a->pos += 2;
	if (a->pos >= a->blk_end)
		ata_write_block_done(a, h);
}

/* The data port: 2-byte accesses, 4-byte ones as two words. */
static int ata_io_data(struct ata *a, const struct host *h, uint8_t *p,
		       uint32_t len, bool is_write)
{
	uint16_t w;

	if (len != 2 && len != 4) {
		if (!is_write)
			memset(p, 0xff, len);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < len; i += 2) {
		if (is_write) {
			ata_data_write(a, h, (uint16_t)(p[i] | p[i + 1] << 8));
		} else {
			w = ata_data_read(a, h);
			p[i] = (uint8_t)w;
			p[i + 1] = (uint8_t)(w >> 8);
		}
	}
	return 0;
}

static uint8_t ata_status(const struct ata *a)
{
	return ata_slave(a) ? 0 : a->status;
}

static uint8_t ata_reg_read(struct ata *a, const struct host *h, unsigned reg)
{
	bool hob = a->devctl & CTL_HOB;

	if (reg == 7) {
		ata_irq_level(a, h, 0);
		return ata_status(a);
	}
	if (reg == R_DEV)
		return a->tf[R_DEV];
	if (reg == R_FEAT && !hob)
		return ata_slave(a) ? 0 : a->error;
	return hob ? a->hob[reg] : a->tf[reg];
}

static void ata_reg_write(struct ata *a, const struct host *h, unsigned reg,
			  uint8_t v)
{
	a->devctl &= (uint8_t)~CTL_HOB; /* any command block write clears HOB */
	if (reg == 7)
		ata_command(a, h, v);
	else if (a->status & (ST_BSY | ST_DRQ))
		return;
	else if (reg == R_DEV)
		a->tf[R_DEV] = v;
	else {
		a->hob[reg] = a->tf[reg];
		a->tf[reg] = v;
	}
}

int ata_io_cmd(void *dev, const struct host *h, uint64_t off, void *data,
	       uint32_t len, bool is_write)
{
	struct ata *a = dev;
	uint8_t *p = data;

	if (len == 0 || off >= 8) {
		if (!is_write)
			memset(p, 0xff, len);
		return -EINVAL;
	}
	if (off == 0)
		return ata_io_data(a, h, p, len, is_write);
	/* Other registers are 8 bits: wider accesses use the low byte. */
	if (is_write) {
		ata_reg_write(a, h, (unsigned)off, p[0]);
	} else {
		memset(p, 0xff, len);
		p[0] = ata_reg_read(a, h, (unsigned)off);
	}
	return 0;
}

int ata_io_ctrl(void *dev, const struct host *h, uint64_t off, void *data,
		uint32_t len, bool is_write)
{
	struct ata *a = dev;
	uint8_t *p = data, old;

	if (!is_write)
		memset(p, 0xff, len);
	if (len == 0 || off != 0)
		return -EINVAL;
	if (!is_write) {
		p[0] = ata_status(a);
		return 0;
	}
	old = a->devctl;
	a->devctl = p[0];
	if (!(old & CTL_SRST) && (p[0] & CTL_SRST)) {
		/* SRST asserted: abort everything, busy until released. */
		a->xfer = XFER_NONE;
		a->status = ST_BSY | ST_DSC;
		a->error = 0x01;
		ata_irq_level(a, h, 0);
	} else if ((old & CTL_SRST) && !(p[0] & CTL_SRST)) {
		ata_set_signature(a);
	}
	return 0;
}
