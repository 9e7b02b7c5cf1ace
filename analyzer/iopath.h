/*
 * iopath.h - the attribution of block-device exits to block requests,
 * computed in one pass over the recording (iopath_core.c) for the iopath
 * report (iopath.c).  The rule is the one of the views v_iopath_* in
 * schema/exitlog.sql (docs/analyzer.md, "iopath"); the views define it in
 * SQL for users, this code computes it without sorting millions of rows.
 */
#ifndef EXITLOG_ANALYZER_IOPATH_H
#define EXITLOG_ANALYZER_IOPATH_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

/* Register roles, as v_dev_access names them. */
enum iopath_role {
	IOPATH_SETUP = 0,
	IOPATH_COMMAND,
	IOPATH_DATA,
	IOPATH_STATUS,
	IOPATH_NOTIFY,
	IOPATH_OTHER,
	IOPATH_NROLES,
};

/* One command span of a device (span 0: the exits before the first command). */
struct iopath_span {
	int64_t first_seq, last_seq;
	int64_t end_seq;            /* first seq of the next span; INT64_MAX for the last */
	char command[8];            /* byte0 of the command exit ('0x20'), "" for span 0 */
	int64_t exits, role[IOPATH_NROLES], data_bytes;
	int64_t guest_ns, handle_ns, t_min, t_end;
	int64_t irqs, dma_bytes;
	int64_t requests, lead_id, backend_ns;
};

struct iopath_dev {
	char *name;
	bool has_command;           /* the board names a 'command' register */
	int64_t irq_line;           /* devices.irq, -1 when none */
	struct iopath_span *spans;  /* spans[0] is span 0 */
	size_t nspans, cap;
	struct iopath_span pend;    /* setup writes not yet known to start a command */
	size_t *pend_reqs, npend, pend_cap;
};

struct iopath_req {
	int64_t id, seq, sector, nsectors, status, latency_ns;
	int64_t done_seq, done_ns, exits_between; /* completion (iopath_input_requests.sql) */
	char op[16];
	int dev;                    /* index into devs */
	size_t span;
};

struct iopath_data {
	struct iopath_dev *devs;
	int ndevs;
	struct iopath_req *reqs;    /* in (seq, id) order */
	size_t nreqs;
};

/* One exit of a block device, as the attribution reads it (from
 * iopath_input_{pio,mmio}.sql, or from sum_devacc by iopath_fast.c). */
struct iopath_xrow {
	int64_t seq, bytes, t_ns, guest_ns, handle_ns;
	int dev;                    /* index into iopath_data.devs */
	enum iopath_role role;
	char byte0[8];              /* '0x' and the first data byte in hex */
};

/*
 * iopath_fast.c: the block devices' exits from sum_devacc, merged in seq
 * order (ties: mmio first, as the merge of the two queries does).
 * iopath_fast_open: 1 with *out when sum_devacc is complete and usable for
 *   d's devices, 0 when the raw tables must be read, -errno with err.
 * iopath_fast_next: 1 with *x, 0 at the end, -EIO, -EBADMSG (a corrupt blob).
 */
struct iopath_fast;
int iopath_fast_open(sqlite3 *db, const struct iopath_data *d, struct iopath_fast **out,
		     char *err, size_t errlen);
int iopath_fast_next(struct iopath_fast *f, struct iopath_xrow *x);
void iopath_fast_close(struct iopath_fast *f);

/*
 * Attribute every exit of every block device (disks.device, or a device
 * that issued a request) of `db` to its command span and every request to
 * the span it was issued in; count IRQ raises and DMA bytes per span.
 * 0, or -errno with one line in err.  Free with analyzer_iopath_free() either way.
 */
int analyzer_iopath_build(sqlite3 *db, struct iopath_data *d, char *err, size_t errlen);
/* The same from the source asked for: ANALYZER_SRC_AUTO reads sum_devacc
 * when it is usable, else (or when it turns out corrupt) the raw tables;
 * ANALYZER_SRC_RAW always the raw tables; ANALYZER_SRC_SUMMARY sum_devacc,
 * -EINVAL when it is not usable, -EBADMSG when it is corrupt. */
int analyzer_iopath_build_src(sqlite3 *db, int source, struct iopath_data *d,
			      char *err, size_t errlen);
void analyzer_iopath_free(struct iopath_data *d);

#endif
