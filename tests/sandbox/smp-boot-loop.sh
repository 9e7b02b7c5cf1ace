#!/usr/bin/env bash
# smp-boot-loop.sh - the reproducer of t_smp_int's triple fault (issue 12):
# boot the sample Linux guest N times in one with-kvm sandbox, each boot
# stopped with SIGINT after SECS seconds, and print one line per boot with
# its end: "boot I cpus C mode M: END exits E last_t_ns T".  END is
# `signal` for a boot that ran its SECS, `shutdown` for a triple fault.
#
# MODE bg: the recorder runs in the background while the shell polls once a
# second with `sleep 1` (what t_smp_int.sh does); fg: the recorder runs in
# the foreground under `timeout -s INT` and nothing else runs in L1 (what
# t_smp.sh does, apart from the SIGINT); alt: bg and fg by turns; churn:
# like bg, but the shell starts processes back to back for SECS seconds
# (to test whether L1 activity while the guest runs makes it happen);
# compact: like bg, and L1 compacts its memory every COMPACT_MS ms
# (default 200) while the guest runs, so that KVM's MMU notifiers move the
# guest's RAM under it (to test whether page migration in L1 makes it happen).
# Each line ends with L1's page migrations and THP collapses during the boot.
# The disks are t_smp's, IDE and virtio, zero, but 8 MiB (64 MiB in t_smp:
# hashing them is most of the set-up); the command line is t_smp's.
#
# With KTRACE=1 each boot is recorded with --ktrace, and a triple fault
# prints the last kernel-handled exits (SVM exit code, guest RIP, info1/2):
# the shutdown's own kvm_exit carries the RIP where the guest died, which
# KVM_EXIT_SHUTDOWN cannot (on AMD, KVM resets the VMCB before returning).
#
# With THP=always|madvise|never, L1's transparent huge pages are set so
# before the first boot (KVM maps guest RAM with 2 MiB nested pages only
# where L1 backs it with huge pages).
#
# EXITLOG_BIN=PATH records with another exitlog binary (an older commit's,
# to bisect); APPEND_EXTRA="..." adds guest kernel parameters (e.g. nopv).
#
# With KEEP=DIR (a host directory) the database, console and stderr of each
# boot that did not end in the guest's own reset are copied to DIR/bootI.*.
#
# Usage: tests/sandbox/smp-boot-loop.sh N CPUS MODE [SECS]   (needs `make`
#        and `make linux-guest`; prints the lines as the boots end)
# Not part of `make test`.
set -uo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
N=${1:-}
CPUS=${2:-}
MODE=${3:-}
SECS=${4:-30}
[[ $N =~ ^[0-9]+$ && $CPUS =~ ^[0-9]+$ && $SECS =~ ^[0-9]+$ && $MODE =~ ^(bg|fg|alt|churn|compact)$ ]] ||
	{ echo "usage: smp-boot-loop.sh N CPUS bg|fg|alt|churn|compact [SECS]" >&2; exit 2; }

if [[ -z ${EXITLOG_IN_SANDBOX:-} ]]; then
	[[ -x $ROOT/build/exitlog && -f $ROOT/build/guest/vmlinuz ]] ||
		{ echo "smp-boot-loop: run make and make linux-guest first" >&2; exit 2; }
	EXITLOG_FORCE_SANDBOX=1 EXITLOG_SANDBOX_TIMEOUT=${EXITLOG_SANDBOX_TIMEOUT:-3600} \
		EXITLOG_SANDBOX_ENV="${EXITLOG_SANDBOX_ENV:-} THP KEEP KTRACE COMPACT_MS EXITLOG_BIN APPEND_EXTRA" \
		exec "$ROOT/scripts/with-kvm" "$ROOT/tests/sandbox/smp-boot-loop.sh" "$@"
fi

cd "$ROOT" || exit 1
if [[ -n ${THP:-} ]]; then
	echo "$THP" > /sys/kernel/mm/transparent_hugepage/enabled || exit 1
	echo "smp-boot-loop: L1 THP $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
fi
w=$(mktemp -d /dev/shm/smp-boot-loop.XXXXXX) || exit 1
trap 'rm -rf "$w"' EXIT
append="console=ttyS0 reboot=k panic=-1 exitlog.smp${APPEND_EXTRA:+ $APPEND_EXTRA}"
vmstat() { awk '$1=="pgmigrate_success"{m=$2} $1=="thp_collapse_alloc"{c=$2} END{print m+0, c+0}' /proc/vmstat; }
compact_ms=${COMPACT_MS:-200}
for i in $(seq 1 "$N"); do
	m=$MODE
	[[ $MODE == alt ]] && { ((i % 2)) && m=bg || m=fg; }
	rm -f "$w"/*.db* "$w"/*.img
	truncate -s 8M "$w/a.img" "$w/b.img"
	kt=
	[[ -n ${KTRACE:-} ]] && kt=--ktrace
	read -r mig0 col0 < <(vmstat)
	set -- "${EXITLOG_BIN:-build/exitlog}" record $kt --cpus "$CPUS" -o "$w/boot.db" --disk "$w/a.img" \
		--virtio-disk "$w/b.img" --initrd build/guest/initrd.img --append "$append" \
		build/guest/vmlinuz
	if [[ $m == fg ]]; then
		timeout -s INT "$SECS" "$@" > "$w/out" 2> "$w/err" < /dev/null
	elif [[ $m == churn ]]; then
		"$@" > "$w/out" 2> "$w/err" < /dev/null &
		pid=$!
		end=$((SECONDS + SECS))
		while [[ $SECONDS -lt $end ]] && kill -0 $pid 2>/dev/null; do
			/bin/true
		done
		kill -INT $pid 2>/dev/null
		wait $pid
	else
		"$@" > "$w/out" 2> "$w/err" < /dev/null &
		pid=$!
		cpid=
		if [[ $m == compact ]]; then
			( while :; do echo 1 > /proc/sys/vm/compact_memory; sleep "$(awk -v m="$compact_ms" 'BEGIN{print m/1000}')"; done ) &
			cpid=$!
		fi
		k=0
		while [[ $k -lt $SECS ]] && kill -0 $pid 2>/dev/null; do
			sleep 1
			k=$((k + 1))
		done
		kill -INT $pid 2>/dev/null
		wait $pid
		[[ -n $cpid ]] && { kill $cpid; wait $cpid; } 2>/dev/null
	fi
	read -r mig1 col1 < <(vmstat)
	end=$(sqlite3 "$w/boot.db" "SELECT value FROM meta WHERE key='end_reason'" 2>/dev/null)
	n=$(sqlite3 "$w/boot.db" "SELECT count(*) FROM exits" 2>/dev/null)
	t=$(sqlite3 "$w/boot.db" "SELECT max(t_ns) FROM exits" 2>/dev/null)
	echo "boot $i cpus $CPUS mode $m: ${end:-?} exits ${n:-?} last_t_ns ${t:-?} migrated $((mig1 - mig0)) collapsed $((col1 - col0))"
	if [[ -n ${KEEP:-} && $end != reset ]]; then
		mkdir -p "$KEEP" && cp "$w/boot.db" "$KEEP/boot$i.db" && cp "$w/out" "$KEEP/boot$i.out" &&
			cp "$w/err" "$KEEP/boot$i.err"
	fi
	if [[ $end == shutdown ]]; then
		sqlite3 "$w/boot.db" "SELECT seq, vcpu, reason, t_ns, guest_ns FROM exits ORDER BY seq DESC LIMIT 3" | sed 's/^/  last exits: /'
		tail -n 5 "$w/out" | tr -d '\r' | sed 's/^/  console: /'
		[[ -n $kt ]] && sqlite3 "$w/boot.db" "SELECT t_ns, vcpu, reason_name, printf('rip=%x info1=%x info2=%x', rip, info1, info2) FROM kernel_exits ORDER BY id DESC LIMIT 12" |
			sed 's/^/  kernel exit: /'
	fi
done
