/*
 * kernel.h - the kernel view of a recording: every vmexit by hardware
 * reason (kernel_exits, from `record --ktrace` or `exitlog import`), like
 * `perf kvm stat`, with the userspace side joined in.  Wired as
 * `exitlog stat DB --event kernel`.
 */
#ifndef EXITLOG_ANALYZER_KERNEL_H
#define EXITLOG_ANALYZER_KERNEL_H

#include <stddef.h>
#include <stdio.h>

#include <sqlite3.h>

#include "analyzer/analyzer.h"

/*
 * Write the report to `out`: per hardware reason (isa, code, the kernel's
 * name) Samples, Samples%, Time% and Min/Max/Avg time from kvm_exit to the
 * next kvm_entry (perf kvm stat's time: the kernel's handling, plus
 * userspace for the exits that went there), "To user" (kernel exits with
 * user_seq set -- or, in an import, ended by a kvm_userspace_exit), User%
 * (their share of the reason), "Avg kernel" (the
 * average for the exits handled in the kernel only) and the userspace
 * reasons they became ("IO:812").  `format` 0 table, 1 csv, 2 json (the
 * analyzer's formats); `vcpu` -1 for all.  Returns 0, -EINVAL with err set
 * when the database has no kernel-side tables (not recorded with --ktrace,
 * not an import), or -errno.
 */
int analyzer_report_kernel(sqlite3 *db, FILE *out, enum analyzer_format format, int vcpu,
			   char *err, size_t errlen);

#endif
