/*
 * boardlog.c - board description rows (see boardlog.h), through the
 * store's board API.
 */
#include <errno.h>
#include <stdio.h>

#include "recorder/boardlog.h"

static int boardlog_regs(struct store_board *sb, const struct bus_region *r, const char *space)
{
	int rc = 0;

	if (!r->regname || r->len > 256)
		return 0;
	for (uint64_t off = 0; off < r->len && !rc; off++) {
		for (int w = 0; w <= 1 && !rc; w++) {
			const char *n = r->regname(off, w);

			if (n && *n)
				rc = store_board_register(sb, space, r->base + off, w, r->name, n);
		}
	}
	return rc;
}

int boardlog_write(struct store *st, const struct board *b,
		   const struct board_config *cfg, const char *const *paths,
		   char (*initial_sha256)[65])
{
	static const char *const spaces[2] = { "pio", "mmio" };
	struct store_board *sb;
	char err[320];
	int rc;

	rc = store_board_begin(st, &sb);
	if (rc)
		return rc;
	for (int i = 0; i < b->ndevs && !rc; i++) {
		const struct board_dev *d = &b->devs[i];

		rc = store_board_device(sb, d->name, d->kind, d->irq, d->disk);
	}
	for (int sp = 0; sp < 2 && !rc; sp++) {
		for (unsigned i = 0; i < b->bus.n[sp] && !rc; i++) {
			const struct bus_region *r = &b->bus.regions[sp][i];

			rc = store_board_region(sb, spaces[sp], r->base, r->len, r->name);
			if (!rc)
				rc = boardlog_regs(sb, r, spaces[sp]);
		}
	}
	for (int i = 0; i < cfg->ndisks && !rc; i++)
		rc = store_board_disk(sb, i, b->disk_dev[i] ? b->disk_dev[i] : "?",
				      board_disk_kind_name(cfg->disks[i].kind), paths[i],
				      cfg->disks[i].sectors, initial_sha256[i]);
	rc = store_board_end(sb, err, sizeof(err));
	if (rc)
		fprintf(stderr, "exitlog: %s\n", err);
	return rc;
}
