/*
 * ata_identify.c - the IDENTIFY DEVICE (0xec) data block of the ATA model in
 * ata.c: fixed capability words, the 16/63 CHS geometry, the LBA28/LBA48
 * sizes, ATA strings (serial, firmware, model) and the integrity word.
 */
#include <string.h>

#include "devices/ata_int.h"

static void ata_put16(uint8_t *p, unsigned word, uint16_t v)
{
	p[word * 2] = (uint8_t)v;
	p[word * 2 + 1] = (uint8_t)(v >> 8);
}

/* ATA string: space padded, first character in the high byte of a word. */
static void ata_putstr(uint8_t *p, unsigned word, const char *s, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[word * 2 + (i ^ 1)] = *s ? (uint8_t)*s++ : ' ';
}

/* IDENTIFY words that do not depend on the disk or the device state. */
static const uint16_t ata_id_fixed[][2] = {
	{ 0, 0x0040 },                /* fixed device */
	{ 3, ATA_HEADS }, { 6, ATA_SPT }, { 55, ATA_HEADS }, { 56, ATA_SPT },
	{ 47, 0x8000 | ATA_MAX_MULT },
	{ 49, 1 << 11 | 1 << 9 },     /* IORDY, LBA; no DMA */
	{ 50, 0x4000 }, { 51, 0x0200 },
	{ 53, 0x0007 },               /* words 54-58, 64-70, 88 valid */
	{ 64, 0x0003 },               /* PIO 3 and 4 */
	{ 65, 120 }, { 66, 120 }, { 67, 120 }, { 68, 120 },
	{ 80, 0x00f0 },               /* ATA-4..7 */
	{ 81, 0x0016 },
	{ 82, 1 << 14 | 1 << 5 },     /* NOP, write cache */
	{ 83, 1 << 14 | 1 << 13 | 1 << 12 | 1 << 10 }, /* FLUSH (EXT), LBA48 */
	{ 84, 1 << 14 },
	{ 86, 1 << 13 | 1 << 12 | 1 << 10 },
	{ 87, 1 << 14 },
};

void ata_identify(struct ata *a, uint8_t *p)
{
	uint64_t cyl = a->nsectors / (ATA_HEADS * ATA_SPT);
	uint64_t lba28 = a->nsectors < 0x0fffffff ? a->nsectors : 0x0fffffff;
	uint32_t chs;
	uint8_t sum = 0;

	cyl = cyl > 16383 ? 16383 : cyl;
	chs = (uint32_t)cyl * ATA_HEADS * ATA_SPT;
	memset(p, 0, SECTOR_SIZE);
	for (size_t i = 0; i < sizeof(ata_id_fixed) / sizeof(ata_id_fixed[0]); i++)
		ata_put16(p, ata_id_fixed[i][0], ata_id_fixed[i][1]);
	ata_put16(p, 1, (uint16_t)cyl);
	ata_put16(p, 54, (uint16_t)cyl);
	ata_put16(p, 57, (uint16_t)chs);
	ata_put16(p, 58, (uint16_t)(chs >> 16));
	ata_putstr(p, 10, "EXITLOG0001", 20);
	ata_putstr(p, 23, "0.1", 8);
	ata_putstr(p, 27, "EXITLOG HARDDISK", 40);
	if (a->mult)
		ata_put16(p, 59, 0x100 | a->mult);
	ata_put16(p, 60, (uint16_t)lba28);
	ata_put16(p, 61, (uint16_t)(lba28 >> 16));
	ata_put16(p, 85, 1 << 14 | (a->wcache ? 1 << 5 : 0));
	for (unsigned w = 0; w < 4; w++)
		ata_put16(p, 100 + w, (uint16_t)(a->nsectors >> (16 * w)));
	/* Integrity word: signature a5, checksum making all bytes sum to 0. */
	p[510] = 0xa5;
	for (unsigned i = 0; i < 511; i++)
		sum += p[i];
	p[511] = (uint8_t)-sum;
}
