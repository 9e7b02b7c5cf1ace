/*
 * recorder.h - `exitlog record`: set up store, board, disks and VM, load the
 * guest, run it, and close the recording with its final facts.
 */
#ifndef EXITLOG_RECORDER_H
#define EXITLOG_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/board.h"

struct record_opts {
	const char *out;        /* database path */
	bool force;             /* replace an existing database */
	bool nolog;             /* run with recording off (baseline) */
	bool ktrace;            /* also capture kernel-handled exits */
	uint64_t mem_mb;
	int cpus;               /* vCPUs, 1..VM_MAX_VCPUS; >1 needs a bzImage */
	const char *guest;
	const char *initrd;     /* bzImage only */
	const char *append;     /* bzImage only */
	int ndisks;
	struct {
		const char *path;
		enum disk_kind kind;
		/* --image-sha256: the image's hash as the caller knows it
		 * (64 lowercase hex digits), or NULL: hash the file */
		const char *sha256;
	} disks[BOARD_MAX_DISKS];
};

/*
 * Record one session.  Returns the process exit status: 0 when the guest
 * ended cleanly (hlt, reset, power-off), 1 when it ended badly (triple
 * fault, internal error, signal) -- the recording is complete either way --
 * and 2 for bad input or a setup failure (one line on stderr; no database
 * is left behind, no image modified).
 */
int recorder_run(const struct record_opts *o);

#endif
