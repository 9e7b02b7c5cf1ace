/*
 * ata_int.h - internal to devices/ata*.c: the ATA channel state, its fixed
 * geometry and limits, and the IDENTIFY DEVICE builder (ata_identify.c) used
 * by the command code (ata.c).  Not part of the public devices/ata.h API.
 */
#ifndef EXITLOG_ATA_INT_H
#define EXITLOG_ATA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/ata.h"

#define ATA_HEADS 16
#define ATA_SPT 63
#define ATA_MAX_MULT 16
#define ATA_CHUNK 256u /* sectors per host request */

/* Task-file registers, indexed by their offset in the command block. */
enum { R_FEAT = 1, R_NSECT, R_LBAL, R_LBAM, R_LBAH, R_DEV };

enum ata_addr { ADDR_CHS, ADDR_LBA28, ADDR_LBA48 };
enum ata_xfer { XFER_NONE, XFER_IN, XFER_OUT };

struct ata {
	const char *name;
	int disk;
	uint64_t nsectors;
	int irq;
	uint8_t tf[8];    /* current values of R_FEAT..R_DEV (shared) */
	uint8_t hob[8];   /* previous values of R_FEAT..R_LBAH (LBA48) */
	uint8_t status, error, devctl;
	uint8_t mult;     /* sectors per READ/WRITE MULTIPLE block, 0 = off */
	bool wcache;      /* write cache enabled (SET FEATURES 0x02/0x82) */
	int irq_level;    /* last level given to host_irq_set() */
	/* PIO data phase */
	enum ata_xfer xfer;
	enum ata_addr addr;
	uint64_t lba;     /* sector at buf[0] */
	uint32_t chunk;   /* sectors in buf */
	uint32_t remain;  /* sectors of the command after this chunk */
	uint32_t block;   /* sectors per DRQ block */
	uint32_t pos;     /* byte offset in buf */
	uint32_t blk_end; /* byte offset where the current DRQ block ends */
	uint8_t *buf;     /* ATA_CHUNK sectors */
};

/* Fill `p` (one 512-byte sector) with a's IDENTIFY DEVICE data. */
void ata_identify(struct ata *a, uint8_t *p);

#endif
