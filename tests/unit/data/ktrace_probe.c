/*
 * ktrace_probe.c - a hand-run check of recorder/ktrace.c against real KVM
 * (run it in scripts/with-kvm): a tiny VMM runs a real-mode guest that does,
 * three times, OUT 0x3f8 (userspace IO), CPUID and RDMSR 0x1b (handled in the
 * kernel) and a store to unmapped 0x20000 (NPF -> userspace MMIO), then HLT
 * (no irqchip: userspace).  ktrace_start()/ktrace_stop() wrap the run; the
 * exits go through the store into /tmp/ktrace_probe.db (or the given path,
 * replaced), and the program prints kernel_exits per reason and checks that every
 * userspace IO/MMIO/HLT exit has its kernel counterpart (user_seq).
 *
 * Not part of the build (tests/unit/data/ is not compiled); build by hand:
 *   make build/libexitlog.a
 *   cc -std=gnu11 -Wall -Wextra -Werror -I. -Ibuild/gen \
 *      $(pkg-config --cflags libtraceevent libtracefs) \
 *      -o build/ktrace_probe tests/unit/data/ktrace_probe.c build/libexitlog.a \
 *      $(pkg-config --libs sqlite3 libtraceevent libtracefs) -lpthread
 *   scripts/with-kvm build/ktrace_probe [DB]
 * Exit 0 when every check passes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <sqlite3.h>

#include "recorder/ktrace.h"
#include "store/store.h"

/* samples-like guest at 0x1000, see the comment above (nasm -f bin, org 0x1000). */
static const uint8_t probe_guest[] = {
	0xbe, 0x03, 0x00, 0xba, 0xf8, 0x03, 0xb0, 0x6b, 0xee, 0x66, 0x31, 0xc0,
	0x0f, 0xa2, 0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00, 0x0f, 0x32, 0xb8, 0x00,
	0x20, 0x8e, 0xd8, 0xc6, 0x06, 0x00, 0x00, 0x01, 0x31, 0xc0, 0x8e, 0xd8,
	0x4e, 0x75, 0xdc, 0xf4
};

static uint64_t probe_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int probe_fail;

static void probe_check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		probe_fail = 1;
}

static long long probe_q(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "probe: %s: %s\n", sql, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region mr;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	struct ktrace *kt;
	const char *path = argc > 1 ? argv[1] : "/tmp/ktrace_probe.db";
	struct store *st;
	sqlite3_stmt *q;
	sqlite3 *db;
	char err[256];
	uint8_t *ram;
	uint64_t t0, seq = 0;
	int kvm, vm, vcpu, rc, done = 0;
	long mmap_size;

	if (store_create(&st, path, true, err, sizeof(err))) {
		fprintf(stderr, "probe: %s\n", err);
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("probe: /dev/kvm");
		return 2;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ram = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || ram == MAP_FAILED) {
		perror("probe: KVM_CREATE_VM");
		return 2;
	}
	memcpy(ram + 0x1000, probe_guest, sizeof(probe_guest));
	memset(&mr, 0, sizeof(mr));
	mr.memory_size = 0x10000;
	mr.userspace_addr = (uintptr_t)ram;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) < 0) {
		perror("probe: KVM_SET_USER_MEMORY_REGION");
		return 2;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (vcpu < 0 || run == MAP_FAILED) {
		perror("probe: vcpu");
		return 2;
	}
	ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	ioctl(vcpu, KVM_SET_REGS, &regs);

	t0 = probe_mono();
	rc = ktrace_start(&kt, gettid(), t0, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "exitlog: %s\n", err);
		return 2;
	}
	while (!done && seq < 1000) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0 && errno != EINTR) {
			perror("probe: KVM_RUN");
			ktrace_abort(kt);
			return 2;
		}
		seq++;
		{
			struct rec_exit e = { .seq = seq, .reason = run->exit_reason,
					      .t_ns = probe_mono() - t0 };

			if (store_put_exit(st, &e)) {
				fprintf(stderr, "probe: store_put_exit failed\n");
				ktrace_abort(kt);
				return 2;
			}
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
		case KVM_EXIT_MMIO:
			break;
		case KVM_EXIT_HLT:
			done = 1;
			break;
		default:
			fprintf(stderr, "probe: exit reason %u\n", run->exit_reason);
			done = 2;
		}
	}
	rc = store_flush(st);
	if (!rc)
		rc = ktrace_stop(kt, st, err, sizeof(err));
	if (store_close(st) || rc || sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "exitlog: %s\n", rc ? err : "closing or reopening the recording failed");
		return 2;
	}

	printf("userspace exits: %llu\n", (unsigned long long)seq);
	sqlite3_prepare_v2(db, "SELECT isa, reason, reason_name, count(*), count(user_seq)"
			   " FROM kernel_exits GROUP BY 1, 2, 3 ORDER BY 4 DESC", -1, &q, NULL);
	printf("%-5s %-8s %-20s %8s %8s\n", "isa", "reason", "name", "count", "to-user");
	while (sqlite3_step(q) == SQLITE_ROW)
		printf("%-5s 0x%-6llx %-20s %8lld %8lld\n", sqlite3_column_text(q, 0),
		       (long long)sqlite3_column_int64(q, 1), sqlite3_column_text(q, 2),
		       (long long)sqlite3_column_int64(q, 3), (long long)sqlite3_column_int64(q, 4));
	sqlite3_finalize(q);
	sqlite3_prepare_v2(db, "SELECT key, value FROM meta WHERE key LIKE 'ktrace.%'", -1, &q, NULL);
	while (sqlite3_step(q) == SQLITE_ROW)
		printf("meta %s = %s\n", sqlite3_column_text(q, 0), sqlite3_column_text(q, 1));
	sqlite3_finalize(q);
	sqlite3_prepare_v2(db, "SELECT 'pio', count(*) FROM kernel_pio UNION ALL"
			   " SELECT 'mmio', count(*) FROM kernel_mmio UNION ALL"
			   " SELECT 'msr', count(*) FROM kernel_msr UNION ALL"
			   " SELECT 'cpuid', count(*) FROM kernel_cpuid UNION ALL"
			   " SELECT 'entries', count(*) FROM kernel_entries UNION ALL"
			   " SELECT 'events:' || event, count(*) FROM kernel_events GROUP BY event",
			   -1, &q, NULL);
	while (sqlite3_step(q) == SQLITE_ROW)
		printf("table %s: %lld\n", sqlite3_column_text(q, 0),
		       (long long)sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);

	probe_check(done == 1, "the guest halted");
	probe_check(probe_q(db, "SELECT count(*) FROM exits e WHERE e.reason IN (2, 5, 6) AND NOT EXISTS"
			    " (SELECT 1 FROM kernel_exits k WHERE k.user_seq = e.seq)") == 0,
		    "every IO/HLT/MMIO exit has a kernel_exits row with user_seq = its seq");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_exits WHERE reason_name = 'io'") >= 3,
		    "kernel_exits: io >= 3");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_exits WHERE reason_name = 'cpuid'"
			    " AND user_seq IS NULL") == 3, "kernel_exits: cpuid = 3, in kernel");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_exits WHERE reason_name = 'msr'"
			    " AND user_seq IS NULL") == 3, "kernel_exits: msr = 3, in kernel");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_exits WHERE reason_name = 'hlt'") == 1,
		    "kernel_exits: hlt = 1");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_msr WHERE msr = 27 AND is_write = 0") == 3,
		    "kernel_msr: 3 reads of 0x1b");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_cpuid WHERE function = 0") == 3,
		    "kernel_cpuid: 3 leaf-0 queries");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_pio WHERE port = 1016 AND is_write") == 3,
		    "kernel_pio: 3 OUT 0x3f8");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_exits WHERE t_ns < 0") == 0,
		    "no kernel exit before t0");
	probe_check(probe_q(db, "SELECT count(*) FROM kernel_msr m JOIN kernel_exits k ON"
			    " k.id = m.kexit_id WHERE k.reason_name <> 'msr'") == 0,
		    "kernel_msr rows link to msr exits");
	{
		char path[128];
		snprintf(path, sizeof(path), KTRACE_TRACEFS "/instances/exitlog-%d", (int)getpid());
		probe_check(access(path, F_OK) != 0, "tracefs instance destroyed");
	}
	sqlite3_close(db);
	return probe_fail;
}
