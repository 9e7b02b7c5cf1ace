#!/usr/bin/env bash
# vm-churn.sh - the L1-freeze reproducer of issue 10: create many short VMs in
# one sandbox boot and report whether L1 stopped.
#
# In one with-kvm sandbox it records samples/guests/hello N times (and the
# 40,000-exit storm guest every 4th time), printing "iter I UPTIME" after
# each, and L1 prints a heartbeat every 10 s.  The host watches the output:
# when nothing comes for SILENCE seconds (default 150: a heavily loaded host
# starves the sandbox for tens of seconds), L1 is frozen; with-kvm is
# stopped (it prints QEMU's thread backtraces and the L1 console, where a
# real freeze shows soft lockups) and the script says FROZEN.  A VM that
# does not come back while L1 lives shows up as heartbeats without iters.
#
# The runs of 2026-12-03 (QEMU 7.2 against bookworm-backports' 10.0, the
# EXITLOG_SANDBOX_QEMU and EXITLOG_SANDBOX_ACCEL knobs of with-kvm) are in
# docs/testing.md, "L1 freezes".  Not part of `make test` (it runs for many
# minutes and tests the sandbox, not exitlog).
#
# Usage: tests/sandbox/vm-churn.sh [N]   (needs `make`; env: SILENCE=S and
#        the with-kvm variables, e.g. EXITLOG_SANDBOX_QEMU)
# Exit: 0 all N done, 1 frozen or failed, 2 bad usage.
set -uo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
N=${1:-200}
SILENCE=${SILENCE:-150}
[[ $N =~ ^[0-9]+$ && $N -gt 0 ]] || { echo "usage: vm-churn.sh [N]" >&2; exit 2; }

if [[ -n ${EXITLOG_IN_SANDBOX:-} && -n ${CHURN_INSIDE:-} ]]; then
	cd "$ROOT" || exit 1
	# a heartbeat from L1 itself: silence then means all of L1 stopped,
	# not just a VM that does not come back
	(while sleep 10; do echo "heartbeat $(cut -d' ' -f1 /proc/uptime)"; done) &
	hb=$!
	trap 'kill $hb 2>/dev/null' EXIT
	for i in $(seq 1 "$N"); do
		build/exitlog record -f -o /dev/shm/churn.db build/guests/hello.bin >/dev/null 2>/dev/shm/churn.err ||
			{ echo "iter $i: record failed: $(tail -n1 /dev/shm/churn.err)"; exit 1; }
		if ((i % 4 == 0)); then
			build/exitlog record -f -o /dev/shm/churn-storm.db build/guests/storm.bin >/dev/null 2>&1 ||
				{ echo "iter $i: storm failed"; exit 1; }
		fi
		echo "iter $i $(cut -d' ' -f1 /proc/uptime)"
	done
	echo "churn: $N done"
	exit 0
fi

[[ -x $ROOT/build/exitlog && -f $ROOT/build/guests/hello.bin ]] || { echo "vm-churn: run make first" >&2; exit 2; }
out=$(mktemp "${TMPDIR:-/tmp}/vm-churn.XXXXXX")
trap 'rm -f "$out"' EXIT
start=$SECONDS
CHURN_INSIDE=1 EXITLOG_SANDBOX_ENV="CHURN_INSIDE ${EXITLOG_SANDBOX_ENV:-}" \
	EXITLOG_FORCE_SANDBOX=1 EXITLOG_SANDBOX_TIMEOUT=${EXITLOG_SANDBOX_TIMEOUT:-3600} \
	setsid "$ROOT/scripts/with-kvm" "$ROOT/tests/sandbox/vm-churn.sh" "$N" >"$out" 2>&1 &
pid=$!
frozen=0 stuck=0 last_n=0 last_t=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
	sleep 5
	n=$(grep -c '^iter ' "$out")
	((n != last_n)) && { last_n=$n; last_t=$(date +%s); }
	# L1 alive (heartbeats) but no VM finished for STUCK s: a VM hangs
	((n > 0 && $(date +%s) - last_t > ${STUCK:-300})) && stuck=1
	if ((stuck)) || (($(date +%s) - $(stat -c %Y "$out") > SILENCE)); then
		((stuck)) || frozen=1
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
		kill -KILL -- "-$pid" 2>/dev/null
		break
	fi
done
wait "$pid"
rc=$?
iters=$(grep -c '^iter ' "$out")
if ((frozen)); then
	grep -v -e '^iter ' -e '^heartbeat ' "$out" | tail -n 60 >&2
	echo "vm-churn: FROZEN: L1 said nothing for ${SILENCE} s after $iters VMs ($((SECONDS - start)) s)"
	exit 1
fi
if ((stuck)); then
	echo "vm-churn: STUCK: L1 lives (heartbeats) but VM $((iters + 1)) did not end in ${STUCK:-300} s"
	exit 1
fi
if ((rc != 0)) || ! grep -q "^churn: $N done" "$out"; then
	tail -n 20 "$out" >&2
	echo "vm-churn: FAILED after $iters VMs (with-kvm exit $rc)"
	exit 1
fi
echo "vm-churn: $N VMs in one sandbox, no freeze ($((SECONDS - start)) s)"
