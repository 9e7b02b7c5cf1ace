/*
 * ata.h - ATA/IDE channel model (PIO), one master device, following the
 * ATA/ATAPI-6 command set for: IDENTIFY DEVICE (0xec), READ SECTORS (0x20/21),
 * WRITE SECTORS (0x30/31), READ/WRITE SECTORS EXT (0x24/0x34, LBA48),
 * READ/WRITE MULTIPLE (0xc4/0xc5) + SET MULTIPLE MODE (0xc6), FLUSH CACHE
 * (0xe7/0xea), SET FEATURES (0xef), INITIALIZE DEVICE PARAMETERS (0x91),
 * IDLE/STANDBY immediate (0xe1/0xe0), CHECK POWER MODE (0xe5),
 * EXECUTE DEVICE DIAGNOSTIC (0x90), and software reset via SRST in the device
 * control register.  Anything else aborts (ERR, ABRT).
 *
 * Command block at base+0..7 (0x1f0..0x1f7): data, error/features, sector
 * count, LBA low, LBA mid, LBA high, device, status/command.  Control block at
 * 0x3f6: alternate status (read) / device control (write: nIEN, SRST).
 *
 * Block IO goes through the host interface only: one host_blk_read() per read
 * command (issued when the command is written, up to 256 sectors per request)
 * and one host_blk_write() per write command (issued when the last data word
 * of a chunk arrives).  A request past the end of the disk never reaches the
 * host: status gets ERR|DRDY, error gets IDNF|ABRT, and the IRQ is raised.
 * The slave position is empty (status reads 0 while it is selected).
 * Not implemented: DMA (bus mastering), ATAPI, CHS translation beyond LBA.
 */
#ifndef EXITLOG_ATA_H
#define EXITLOG_ATA_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

struct ata;

/*
 * A channel whose master is disk number `disk` on the board, `nsectors`
 * 512-byte sectors long, interrupting on `irq`.  `name` is kept by pointer
 * and used as blk_req.device.  NULL on ENOMEM.
 */
struct ata *ata_create(const char *name, int disk, uint64_t nsectors, int irq);
void ata_reset(struct ata *a);
void ata_destroy(struct ata *a);

/* bus_io_fn for the command block (8 ports; the data port takes 2 or 4 bytes). */
int ata_io_cmd(void *dev, const struct host *h, uint64_t off, void *data,
	       uint32_t len, bool is_write);
/* bus_io_fn for the control block (1 port at 0x3f6). */
int ata_io_ctrl(void *dev, const struct host *h, uint64_t off, void *data,
		uint32_t len, bool is_write);
/* Register names: "data", "error"/"features", "nsect", "lbal", "lbam",
 * "lbah", "device", "status"/"command"; "altstatus"/"devctl". */
const char *ata_regname_cmd(uint64_t off, bool is_write);
const char *ata_regname_ctrl(uint64_t off, bool is_write);

#endif
