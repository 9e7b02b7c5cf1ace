/*
 * plot.h - what the report and `exitlog plot` draw, loaded once from a
 * recording (plotdata.c), and the charts drawn from it (plot.c).  Internal
 * to the analyzer; the public entry points are in analyzer/report.h.
 */
#ifndef EXITLOG_ANALYZER_PLOT_H
#define EXITLOG_ANALYZER_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#define PD_MAXR 40     /* exit reasons tracked (codes 0..63; others pooled) */
#define PD_HBINS 36    /* latency bins: bin b holds handle_ns in [2^b, 2^(b+1)); bin 0 also 0 */
#define PD_TBINS 60    /* timeline buckets */
#define PD_MAXV 16     /* vCPUs drawn one by one (higher indexes pooled into the last) */
#define PD_TOP 12      /* ports / MMIO addresses shown */
#define PD_WF 8        /* requests in the waterfall */
#define PD_MAXD 8      /* disks compared */

enum pd_role { PD_SETUP, PD_COMMAND, PD_DATA, PD_STATUS, PD_NOTIFY, PD_OTHER, PD_NROLES };

struct pd_reason {
	int64_t code;
	char name[48];
	int64_t n, hsum, hmax;
	int64_t hist[PD_HBINS];
};

struct pd_key {             /* a port or MMIO address and direction */
	char key[40];           /* "0x1f0 IN" */
	char label[96];         /* "ata0.data", or the device, or "-" */
	int64_t n, hsum, bytes;
};

struct pd_wexit {           /* one exit of a request's IO path */
	int64_t seq, t_ns, handle_ns;
	enum pd_role role;
	char reg[40];
};

struct pd_wreq {            /* a request in the waterfall */
	int64_t id, issue_seq, issue_t, sector, nsectors, latency_ns, status;
	char dev[32], op[16];
	int64_t t0, t_end, guest_ns, handle_ns, span_exits;
	struct pd_wexit *ex;        /* the span's exits (at most 65536 drawn) */
	size_t nex;
	int64_t irq_t[16];      /* times of the exits that raised the device's IRQ */
	int nirq;
};

struct pd_disk {
	char dev[32];
	int64_t requests, exits, data_exits;
	double kib;
};

struct plotdata {
	int64_t nexits, t_min, t_max;
	struct pd_reason r[PD_MAXR];
	int nr;
	int64_t bucket_ns;
	int nb;
	int64_t tl[PD_TBINS][PD_MAXR];
	int nvcpu;              /* highest vCPU index + 1 (capped at PD_MAXV) */
	int64_t tlv[PD_TBINS][PD_MAXV];
	struct pd_key ports[PD_TOP], mmio[PD_TOP];
	int nports, nmmio;
	struct pd_wreq w[PD_WF];
	int nw;
	struct pd_disk disks[PD_MAXD];
	int ndisks;
	int64_t nreq;
};

/* Load everything from db (one pass over exits, the summary tables when
 * fresh, the iopath attribution).  `progress` (NULL: none): the name of the
 * progress line on stderr when it is a terminal ("exitlog report").
 * 0 or -errno with one line in err; plotdata_free() either way. */
int plotdata_load(sqlite3 *db, struct plotdata *d, const char *progress, char *err,
		  size_t errlen);
void plotdata_free(struct plotdata *d);
const char *plotdata_role_name(enum pd_role r);

/* The charts: one <svg> each (standalone: a .svg file of its own). */
void plot_reasons(FILE *f, const struct plotdata *d, int standalone);
void plot_ports(FILE *f, const struct plotdata *d, int standalone);
void plot_latency(FILE *f, const struct plotdata *d, int standalone);
void plot_timeline(FILE *f, const struct plotdata *d, int standalone);
void plot_timeline_vcpu(FILE *f, const struct plotdata *d, int standalone);
void plot_waterfall(FILE *f, const struct plotdata *d, int standalone);
void plot_disks(FILE *f, const struct plotdata *d, int standalone);

#endif
