#!/bin/sh
# run.sh - the end-to-end tests (`make e2e`).
#
#   tests/e2e/run.sh               record phase under scripts/with-kvm (one KVM
#                                  session for every test), then the checks on
#                                  the host
#   tests/e2e/run.sh --record W    (internal) the record phase, inside KVM
#
# Each tests/e2e/t_NAME.sh has a record step (needs KVM) and a check step (on
# the host); see lib.sh.  Every step runs under its own time limit: a line
# `LIMIT=S` in the test file (default $E2E_LIMIT, 180 s) for the record step,
# $E2E_CHECK_LIMIT (300 s) for the check step.  A step runs as the leader of
# its own session; when it passes its limit the harness writes a diagnosis
# (the processes alive with their kernel wait channels, free memory, the last
# lines of the test's output) to $W/record.diag, kills the whole session
# (SIGTERM, then SIGKILL after 5 s), reports the test as FAILED and goes on
# with the next one.  After each record step the harness checks that nothing
# the test started is still running (its session, and any new process
# anywhere) and that no exitlog-* tracefs instance is left; what it finds is
# killed and the test FAILS.
#
# Environment: E2E_ONLY=pattern selects tests by file name; E2E_DIR=DIR runs
# the t_*.sh of another directory (the harness's own fixtures);
# E2E_LIMIT/E2E_CHECK_LIMIT as above.  Prints each test as it starts and
# ends, one line per check, and "e2e: N passed, M failed"; exits non-zero on
# any failure.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh

E2E_DIR=${E2E_DIR:-tests/e2e}
E2E_LIMIT=${E2E_LIMIT:-180}
E2E_CHECK_LIMIT=${E2E_CHECK_LIMIT:-300}

tests() {
	for t in "$E2E_DIR"/t_*.sh; do
		case "$t" in *"${E2E_ONLY:-}"*) echo "$t" ;; esac
	done
}

# limit_of TEST - its record step's time limit in seconds
limit_of() {
	l=$(sed -n 's/^LIMIT=\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
	echo "${l:-$E2E_LIMIT}"
}

# user_procs - "pid ppid sid args" of every user process (no kernel threads)
user_procs() {
	ps -e -o pid=,ppid=,sid=,args= | awk '$2 != 2 && $1 != 2 && $4 !~ /^\[/'
}

# session_pids SID - the pids of the processes of session SID
session_pids() { user_procs | awk -v s="$1" '$3 == s { print $1 }'; }

# kill_session SID - SIGTERM to every process of the session, SIGKILL to what
# is left after 5 s
kill_session() {
	p=$(session_pids "$1")
	[ -n "$p" ] || return 0
	kill -TERM $p 2>/dev/null
	_k=0
	while [ $_k -lt 50 ] && [ -n "$(session_pids "$1")" ]; do sleep 0.1; _k=$((_k + 1)); done
	p=$(session_pids "$1")
	[ -n "$p" ] && kill -KILL $p 2>/dev/null
	_k=0
	while [ $_k -lt 50 ] && [ -n "$(session_pids "$1")" ]; do sleep 0.1; _k=$((_k + 1)); done
	return 0
}

# diagnose W SID - why a step is still running: processes, memory, output
diagnose() {
	echo "processes (pid ppid pgid stat elapsed wchan args):"
	ps -e -o pid=,ppid=,pgid=,stat=,etimes=,wchan:24=,args= | awk '$2 != 2 && $1 != 2' | cut -c1-200 | sed 's/^/  /'
	for p in $(session_pids "$2"); do
		if [ -r "/proc/$p/stack" ] && [ -s "/proc/$p/stack" ]; then
			echo "kernel stack of $p ($(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-80)):"
			sed 's/^/  /' "/proc/$p/stack" | head -n 12
		fi
	done
	echo "memory (free -m):"
	free -m | sed 's/^/  /'
	for f in "$1"/*.out "$1"/*.err "$1"/record.log; do
		[ -s "$f" ] || continue
		echo "last lines of $(basename "$f"):"
		tail -n 15 "$f" | sed 's/^/  | /'
	done
}

if [ "${1:-}" = "--record" ]; then
	work=$2
	T=/sys/kernel/tracing
	mysid=$(ps -o sid= -p $$ | tr -d ' ')
	n=$(tests | wc -l); i=0
	for t in $(tests); do
		i=$((i + 1))
		name=$(basename "$t" .sh)
		W=$work/$name
		mkdir -p "$W"
		rm -f "$W/record.status" "$W/record.diag" "$W/record.rc" "$W/record.sid" "$W/record.leftover"
		limit=$(limit_of "$t")
		echo "e2e: [$i/$n] $name: recording (limit $limit s)"
		before=$(user_procs | awk '{ print $1 }' | tr '\n' ' ')
		start=$(date +%s)
		# the record step leads its own session: $W/record.sid names it
		setsid sh -c 'echo $$ > "$3/record.sid"; sh tests/e2e/record-one.sh "$1" "$2" "$3"; echo $? > "$3/record.rc"' \
			record-one "$E2E_DIR" "$t" "$W" < /dev/null > "$W/record.log" 2>&1 &
		pid=$!
		while [ ! -s "$W/record.sid" ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done
		sid=$(cat "$W/record.sid" 2>/dev/null || echo $pid)
		status=ok
		while [ ! -e "$W/record.rc" ]; do
			if [ $(( $(date +%s) - start )) -ge "$limit" ]; then
				status=timeout
				diagnose "$W" "$sid" > "$W/record.diag" 2>&1
				kill_session "$sid"
				break
			fi
			sleep 0.5
		done
		wait $pid 2>/dev/null
		secs=$(( $(date +%s) - start ))
		if [ $status = ok ]; then
			# nothing the test started may outlive it: neither in its session
			# nor anywhere else.  In the sandbox, L1 is ours: any process that
			# is new since the test started and not of the harness's own
			# session is the test's.  Natively other work may run beside us:
			# there, a new process is the test's when it names the test's
			# work directory.
			left=$(user_procs | awk -v s="$sid" -v me="$mysid" -v before=" $before " \
				-v all="${EXITLOG_IN_SANDBOX:-}" -v w="$W" \
				'$3 == s || ($3 != me && index(before, " " $1 " ") == 0 && (all != "" || index($0, w) > 0))' |
				cut -c1-200)
			inst=$(ls "$T/instances" 2>/dev/null | grep '^exitlog-' || true)
			if [ -n "$left" ] || [ -n "$inst" ]; then
				status=leftover
				{
					[ -n "$left" ] && { echo "processes left running (pid ppid sid args):"; echo "$left" | sed 's/^/  /'; }
					[ -n "$inst" ] && { echo "tracefs instances left:"; echo "$inst" | sed 's/^/  /'; }
				} > "$W/record.leftover"
				kill_session "$sid"
				for p in $(echo "$left" | awk '{ print $1 }'); do kill -KILL "$p" 2>/dev/null; done
				for x in $inst; do rmdir "$T/instances/$x" 2>/dev/null; done
			fi
		fi
		echo "$secs $limit" > "$W/record.secs"
		echo $status > "$W/record.status"
		case $status in
		ok)       echo "e2e: [$i/$n] $name: recorded ($secs s)" ;;
		timeout)  echo "e2e: [$i/$n] $name: TIMED OUT after $secs s (limit $limit s); killed. Diagnosis:"
			  sed 's/^/    /' "$W/record.diag" ;;
		leftover) echo "e2e: [$i/$n] $name: recorded ($secs s) but left things behind (killed):"
			  sed 's/^/    /' "$W/record.leftover" ;;
		esac
	done
	exit 0
fi

work=$(pwd)/build/e2e
[ "$E2E_DIR" = tests/e2e ] || work=$(pwd)/build/e2e-$(basename "$E2E_DIR")
rm -rf "$work"
mkdir -p "$work"
# the sandbox's own limit: every record step's limit plus boot and margin
if [ -z "${EXITLOG_SANDBOX_TIMEOUT:-}" ]; then
	total=120
	for t in $(tests); do total=$((total + $(limit_of "$t") + 15)); done
	EXITLOG_SANDBOX_TIMEOUT=$total
	export EXITLOG_SANDBOX_TIMEOUT
fi
start=$(date +%s)
E2E_DIR=$E2E_DIR E2E_ONLY=${E2E_ONLY:-} E2E_LIMIT=$E2E_LIMIT \
	EXITLOG_SANDBOX_ENV="${EXITLOG_SANDBOX_ENV:-} E2E_DIR E2E_ONLY E2E_LIMIT" \
	scripts/with-kvm sh tests/e2e/run.sh --record "$work"
rc=$?
recfail=0
if [ $rc -ne 0 ]; then
	echo "e2e: the record phase failed (status $rc); checking what was recorded" >&2
	recfail=1
fi
echo "e2e: record phase $(( $(date +%s) - start )) s"

pass=0; failn=0; failed=""
for t in $(tests); do
	name=$(basename "$t" .sh)
	W=$work/$name
	echo "== $name"
	checks=0; fails=0
	st=$(cat "$W/record.status" 2>/dev/null || echo missing)
	case $st in
	missing)
		fail "record step did not run (the record phase ended early)" ;;
	timeout)
		fail "record step TIMED OUT after $(cut -d' ' -f1 "$W/record.secs") s (limit $(cut -d' ' -f2 "$W/record.secs") s); diagnosis in $W/record.diag"
		sed 's/^/    /' "$W/record.diag" | head -n 60 ;;
	leftover)
		fail "record step left things running (killed by the harness): $(tr '\n' ' ' < "$W/record.leftover" | cut -c1-300)" ;;
	esac
	if [ "$st" = ok ] || [ "$st" = leftover ]; then
		# the check step, in its own session under its own limit
		rm -f "$W/check.counts" "$W/check.sid"
		setsid sh -c 'echo $$ > "$3/check.sid"; exec sh tests/e2e/check-one.sh "$1" "$2" "$3"' \
			check-one "$E2E_DIR" "$t" "$W" < /dev/null > "$W/check.log" 2>&1 &
		pid=$!
		cstart=$(date +%s)
		while kill -0 $pid 2>/dev/null && ! grep -qs '^e2e-counts ' "$W/check.log"; do
			if [ $(( $(date +%s) - cstart )) -ge "$E2E_CHECK_LIMIT" ]; then
				csid=$(cat "$W/check.sid" 2>/dev/null || echo $pid)
				diagnose "$W" "$csid" > "$W/check.diag" 2>&1
				kill_session "$csid"
				break
			fi
			sleep 0.2
		done
		wait $pid 2>/dev/null
		grep -v '^e2e-counts ' "$W/check.log"
		set -- $(sed -n 's/^e2e-counts //p' "$W/check.log")
		if [ $# -eq 2 ]; then
			checks=$((checks + $1)); fails=$((fails + $2))
		else
			fail "check step did not finish (limit $E2E_CHECK_LIMIT s); diagnosis in $W/check.diag"
			[ -s "$W/check.diag" ] && sed 's/^/    /' "$W/check.diag" | head -n 40
		fi
	fi
	pass=$((pass + checks - fails)); failn=$((failn + fails))
	[ $fails -eq 0 ] || failed="$failed $name"
done
echo "e2e: $pass passed, $failn failed"
[ -z "$failed" ] || { echo "e2e: failing:$failed" >&2; exit 1; }
[ $recfail -eq 0 ] || exit 1
