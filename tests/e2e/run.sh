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

# kill_new_sessions BEFORE W - kill the processes of sessions that are not
# in BEFORE (the sessions that existed when the test started): the ones the
# test made with setsid.  Natively only those that name W (other work may
# run beside us).
kill_new_sessions() {
	for p in $(user_procs | awk -v before=" $1 " -v all="${EXITLOG_IN_SANDBOX:-}" -v w="$2" -v me="$$" \
		'index(before, " " $3 " ") == 0 && $1 != me && (all != "" || index($0, w) > 0) { print $1 }'); do
		kill -KILL "$p" 2>/dev/null
	done
}

# diagnose W SID - why a step is still running: processes, memory, output
diagnose() {
	echo "processes (pid ppid pgid stat elapsed wchan args):"
	ps -e -o pid=,ppid=,pgid=,stat=,etimes=,wchan:24=,args= | awk '$2 != 2 && $1 != 2' | cut -c1-200 | sed 's/^/  /'
	echo "threads of the test's processes (pid tid stat wchan comm):"
	for p in $(session_pids "$2"); do
		ps -L -o pid=,tid=,stat=,wchan:24=,comm= -p "$p" 2>/dev/null | sed 's/^/  /'
	done
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
	# $E2E_LIST: the tests to record (default: all); $E2E_BASE: how many of
	# $E2E_TOTAL were recorded by an earlier sandbox (for the [i/n] numbers)
	work=$2
	T=/sys/kernel/tracing
	list=${E2E_LIST:-$(tests)}
	n=${E2E_TOTAL:-$(echo $list | wc -w)}; i=${E2E_BASE:-0}
	# In the sandbox the record steps work on L1's own tmpfs: a directory of
	# /dev/shm is bind-mounted over the test's directory (the paths stay the
	# same), and its files are copied to the host (9p) once the step has
	# ended.  So a recorder's SQLite database (WAL, a shared-memory mmap,
	# fsync) and the disk images are never written over 9p while a guest
	# runs, and the harness's own polling touches no 9p file.
	# (one directory per harness: t_harness runs a harness inside a test)
	loc=
	if [ -n "${EXITLOG_IN_SANDBOX:-}" ] && [ -d /dev/shm ]; then
		loc=$(mktemp -d /dev/shm/exitlog-e2e.XXXXXX) || loc=
	fi
	beat=0
	for t in $list; do
		i=$((i + 1))
		name=$(basename "$t" .sh)
		W=$work/$name
		rm -rf "$W"
		mkdir -p "$W"
		bound=
		if [ -n "$loc" ]; then
			mkdir -p "$loc/$name" && mount --bind "$loc/$name" "$W" && bound=$loc/$name
		fi
		Wl=$W
		mkdir -p "$W/.tmp"
		limit=$(limit_of "$t")
		echo "e2e: [$i/$n] $name: recording (limit $limit s)"
		before=$(user_procs | awk '{ print $3 }' | sort -u | tr '\n' ' ')
		kmsg0=$(dmesg 2>/dev/null | wc -l)
		start=$(date +%s)
		# the record step leads its own session: record.sid names it
		TMPDIR=$Wl/.tmp setsid sh -c 'echo $$ > "$3/record.sid"; sh tests/e2e/record-one.sh "$1" "$2" "$3"; echo $? > "$3/record.rc"' \
			record-one "$E2E_DIR" "$t" "$Wl" < /dev/null > "$Wl/record.log" 2>&1 &
		pid=$!
		while [ ! -s "$Wl/record.sid" ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done
		sid=$(cat "$Wl/record.sid" 2>/dev/null || echo $pid)
		status=ok
		lastbeat=$start
		while [ ! -e "$Wl/record.rc" ]; do
			now=$(date +%s)
			if [ $((now - start)) -ge "$limit" ]; then
				status=timeout
				fired=$(( $(date +%s) - start ))
				diagnose "$Wl" "$sid" > "$Wl/record.diag" 2>&1
				kill_session "$sid"
				kill_new_sessions "$before" "$Wl"
				break
			fi
			# a heartbeat every 10 s of the clock, not of loop turns (a
			# test that keeps L1's CPUs busy makes each turn slow)
			if [ $((now - lastbeat)) -ge 10 ]; then
				echo "e2e-heartbeat $name" >&2
				lastbeat=$now
			fi
			sleep 0.5
		done
		wait $pid 2>/dev/null
		secs=$(( $(date +%s) - start ))
		if [ $status = ok ]; then
			# nothing the test started may outlive it: neither in its session
			# nor anywhere else.  In the sandbox, L1 is ours: a process in a
			# session that is new since the test started is the test's (one
			# that escaped with setsid).  Natively other work may run beside
			# us: there, such a process is the test's when it names the
			# test's work directory.
			left=$(user_procs | awk -v s="$sid" -v before=" $before " \
				-v all="${EXITLOG_IN_SANDBOX:-}" -v w="$Wl" \
				'$3 == s || (index(before, " " $3 " ") == 0 && (all != "" || index($0, w) > 0))' |
				cut -c1-200)
			inst=$(ls "$T/instances" 2>/dev/null | grep '^exitlog-' || true)
			if [ -n "$left" ] || [ -n "$inst" ]; then
				status=leftover
				{
					[ -n "$left" ] && { echo "processes left running (pid ppid sid args):"; echo "$left" | sed 's/^/  /'; }
					[ -n "$inst" ] && { echo "tracefs instances left:"; echo "$inst" | sed 's/^/  /'; }
				} > "$Wl/record.leftover"
				kill_session "$sid"
				kill_new_sessions "$before" "$Wl"
				for x in $inst; do rmdir "$T/instances/$x" 2>/dev/null; done
			fi
		fi
		echo "$secs $limit ${fired:-}" > "$Wl/record.secs"; fired=
		# what L1's kernel said during the step (KVM's warnings, a guest's
		# triple fault seen from L1): kept as l1-dmesg.log
		dmesg 2>/dev/null | tail -n +$((kmsg0 + 1)) > "$Wl/l1-dmesg.log"
		[ -s "$Wl/l1-dmesg.log" ] || rm -f "$Wl/l1-dmesg.log"
		rm -rf "$W/.tmp"
		if [ -n "$bound" ]; then
			umount "$W" 2>/dev/null || umount -l "$W"
			# (with the heartbeat going: a big copy over 9p takes a while;
			# the zero blocks of disk images become holes, not 9p writes)
			c0=$(date +%s)
			cp -a --sparse=always "$bound/." "$W/" & cpid=$!
			while kill -0 $cpid 2>/dev/null; do
				beat=$((beat + 1))
				[ $((beat % 20)) -eq 0 ] && echo "e2e-heartbeat $name" >&2
				sleep 0.5
			done
			wait $cpid && rm -rf "$bound" || status=copyfail
			copys=$(( $(date +%s) - c0 ))
			[ "$copys" -ge 5 ] && secs="$secs s, copy to the host $copys"
		fi
		echo $status > "$W/record.status"
		# 9p (cache=loose) writes back later: the files must be on the host
		# before the end line says so (a sandbox stopped after a freeze
		# loses what L1 had not written back)
		[ -n "$bound" ] && sync
		case $status in
		ok)       echo "e2e: [$i/$n] $name: recorded ($secs s)" ;;
		timeout)  echo "e2e: [$i/$n] $name: TIMED OUT after $secs s (limit $limit s); killed. Diagnosis:"
			  sed 's/^/    /' "$W/record.diag" ;;
		leftover) echo "e2e: [$i/$n] $name: recorded ($secs s) but left things behind (killed):"
			  sed 's/^/    /' "$W/record.leftover" ;;
		*)        echo "e2e: [$i/$n] $name: its files could not be copied to $W" ;;
		esac
	done
	[ -n "$loc" ] && rm -rf "$loc"
	exit 0
fi

work=$(pwd)/build/e2e
[ "$E2E_DIR" = tests/e2e ] || work=$(pwd)/build/e2e-$(basename "$E2E_DIR")
rm -rf "$work"
mkdir -p "$work"
E2E_GRACE=${E2E_GRACE:-90}
E2E_SILENCE=${E2E_SILENCE:-90}
all=$(tests | tr '\n' ' ')
# recorded_count - how many of the tests have been recorded so far
recorded_count() {
	for t in $all; do
		[ -e "$work/$(basename "$t" .sh)/record.status" ] && echo
	done | wc -l
}
total=$(echo $all | wc -w)
start=$(date +%s)
# The record phase: one sandbox (or native run) for the tests not recorded
# yet.  The host watches it too: when a test's "recording" line is not
# followed by its end within its limit + $E2E_GRACE seconds, the in-KVM
# harness itself is stuck (the sandbox stopped responding), so the host
# stops the sandbox, marks that test FAILED with what the sandbox printed
# last (with-kvm adds the tail of L1's console), and starts a new sandbox
# for the tests after it.  A dead sandbox counts the same way.
# A test with a line `SANDBOX=own` is recorded in a sandbox of its own,
# after the others: t_ktrace enables kvm tracepoints, and each enable and
# disable live-patches L1's kernel (static keys: int3 + IPIs), the thing
# that QEMU 7.2's multi-threaded TCG has got wrong before (kvmhold.c).
# Such a test must not share an L1 with the other tests' guests.
round=0; recfail=0 abort=
# record_group "TESTS" - record the tests in one sandbox (a new one for the
# rest when it stops responding or dies); sets abort when the record phase
# failed before any test ended
record_group() {
remaining=$1 bootretry=
while [ -n "$(echo $remaining)" ]; do
	round=$((round + 1))
	log=$work/.sandbox-$round.log
	: > "$log"
	tmo=${EXITLOG_SANDBOX_TIMEOUT:-}
	if [ -z "$tmo" ]; then
		tmo=120
		for t in $remaining; do tmo=$((tmo + $(limit_of "$t") + 15)); done
	fi
	E2E_LIST=$remaining E2E_BASE=$(recorded_count) E2E_TOTAL=$total \
		E2E_DIR=$E2E_DIR E2E_LIMIT=$E2E_LIMIT EXITLOG_SANDBOX_TIMEOUT=$tmo \
		EXITLOG_SANDBOX_ENV="${EXITLOG_SANDBOX_ENV:-} E2E_DIR E2E_LIMIT E2E_LIST E2E_BASE E2E_TOTAL" \
		scripts/with-kvm sh tests/e2e/run.sh --record "$work" > "$log" 2>&1 &
	wpid=$!
	shown=0 cur= cur_t0=0 cur_limit=0 hung= heard=$(date +%s) rf0=$recfail
	while :; do
		alive=1
		kill -0 $wpid 2>/dev/null || alive=
		nl=$(wc -l < "$log")
		if [ "$nl" -gt "$shown" ]; then
			sed -n "$((shown + 1)),${nl}p" "$log" | grep -v '^e2e-heartbeat '
			shown=$nl heard=$(date +%s)
		fi
		[ -n "$alive" ] || break
		last=$(grep '^e2e: \[[0-9]*/[0-9]*\] [^ ]*: ' "$log" | tail -n 1)
		case $last in
		*": recording (limit "*)
			name=$(echo "$last" | sed 's/^e2e: \[[0-9]*\/[0-9]*\] \([^ ]*\): .*/\1/')
			if [ "$name" != "$cur" ]; then
				cur=$name cur_t0=$(date +%s)
				cur_limit=$(echo "$last" | sed 's/.*(limit \([0-9]*\) s).*/\1/')
			fi ;;
		*) cur= ;;
		esac
		why=
		if [ -n "$cur" ] && [ $(( $(date +%s) - heard )) -ge "$E2E_SILENCE" ]; then
			why="no output (not even its heartbeat) for $E2E_SILENCE s"
		elif [ -n "$cur" ] && [ $(( $(date +%s) - cur_t0 )) -ge $((cur_limit + E2E_GRACE)) ]; then
			why="no end after $((cur_limit + E2E_GRACE)) s"
		fi
		if [ -n "$why" ]; then
			hung=$cur
			echo "e2e: $cur: $why: the sandbox stopped responding; stopping it" >&2
			kill -TERM $wpid 2>/dev/null
			kill -CONT $wpid 2>/dev/null    # (natively: a stopped harness)
			wait $wpid 2>/dev/null
			# natively the test's own session survives its harness
			[ -s "$work/$cur/record.sid" ] && kill_session "$(cat "$work/$cur/record.sid")"
			break
		fi
		sleep 1
	done
	wait $wpid 2>/dev/null; rc=$?
	nl=$(wc -l < "$log")
	[ "$nl" -gt "$shown" ] && sed -n "$((shown + 1)),${nl}p" "$log" | grep -v '^e2e-heartbeat '
	# the test that was running when the sandbox hung or died
	if [ -z "$hung" ] && [ $rc -ne 0 ] && [ -n "$cur" ]; then hung=$cur; fi
	retry=
	if [ -n "$hung" ] && [ ! -e "$work/$hung/record.status" ]; then
		d=$work/.sandbox-$hung.diag
		[ -e "$d" ] && d=$work/$hung/record.diag
		mkdir -p "$work/$hung"
		{
			if [ $rc -eq 0 ] || [ $rc -eq 143 ]; then
				echo "the sandbox stopped responding during $hung (no heartbeat for $E2E_SILENCE s, or no end $E2E_GRACE s after its limit)"
			else
				echo "the sandbox died during $hung (status $rc)"
			fi
			echo "last output of the sandbox (with-kvm adds the L1 console and QEMU's threads):"
			grep -v '^e2e-heartbeat ' "$log" | tail -n 80 | sed 's/^/  | /'
		} > "$d"
		if [ "$d" = "$work/$hung/record.diag" ]; then
			# the second time: the test fails
			echo "$(( $(date +%s) - cur_t0 )) $cur_limit" > "$work/$hung/record.secs"
			echo sandbox > "$work/$hung/record.status"
		else
			# The whole L1 stopped (its own harness could not report), which
			# says nothing about the test: it gets one more try in a new
			# sandbox, and the check phase reports the freeze either way.
			retry=$hung
			echo "e2e: $hung: the sandbox froze; $hung gets one more try in a new sandbox ($d)"
		fi
	elif [ $rc -ne 0 ]; then
		recfail=1
	fi
	left=
	for t in $remaining; do
		[ -e "$work/$(basename "$t" .sh)/record.status" ] || left="$left $t"
	done
	if [ -z "$retry" ] && [ "$(echo $left)" = "$(echo $remaining)" ]; then
		# no test even started: L1 did not come up (seen under TCG: a
		# sandbox whose console stayed empty until its time limit); one
		# more sandbox per group, then the record phase fails
		if [ -z "$bootretry" ] && [ -z "$cur" ]; then
			bootretry=1 recfail=$rf0
			echo "e2e: the sandbox ended (status $rc) before any test started; one more sandbox (log: $log)"
			continue
		fi
		echo "e2e: the record phase failed (status $rc) before any test ended" >&2
		recfail=1 abort=1
		break
	fi
	remaining=$left
	[ -z "$(echo $remaining)" ] || echo "e2e: starting a new sandbox for the remaining tests:$(for t in $remaining; do printf ' %s' "$(basename "$t" .sh)"; done)"
done
}
# record_tests "TESTS" - the shared ones in one sandbox, then each
# SANDBOX=own test in one of its own
record_tests() {
	shared= owns=
	for t in $1; do
		if grep -q '^SANDBOX=own' "$t"; then owns="$owns $t"; else shared="$shared $t"; fi
	done
	for group in "$shared" $owns; do
		record_group "$group"
		[ -z "$abort" ] || break
	done
}
record_tests "$all"
# A guest that triple-faulted (the recorder's "guest triple-faulted" on a
# record step's stderr; no test expects one) gets another try, in a new
# sandbox: the nested platform breaks guests now and then -- also QEMU's
# own guests in the same sandbox, and L1 itself (docs/testing.md, "The
# guest triple fault").  Up to E2E_TRIES tries in all (default 3; 1: no
# retry; E2E_NO_RETRY=1 is the same as 1).  Try K's files stay in
# $work/.tryK-NAME, the check phase prints a note for such a test and the
# summary names them; a triple fault in the last try fails the test.
tries=${E2E_TRIES:-3}
[ -n "${E2E_NO_RETRY:-}" ] && tries=1
try=1
suspects=$all
while [ $try -lt "$tries" ] && [ -z "$abort" ]; do
	again=
	for t in $suspects; do
		n=$(basename "$t" .sh)
		grep -qs 'guest triple-faulted' "$work/$n"/*.err && again="$again $t"
	done
	[ -n "$again" ] || break
	for t in $again; do
		n=$(basename "$t" .sh)
		rm -rf "$work/.try$try-$n"
		mv "$work/$n" "$work/.try$try-$n"
	done
	try=$((try + 1))
	echo "e2e: a guest triple-faulted during:$(for t in $again; do printf ' %s' "$(basename "$t" .sh)"; done); try $try of $tries, in a new sandbox"
	record_tests "$again"
	suspects=$again
done
echo "e2e: record phase $(( $(date +%s) - start )) s"

pass=0; failn=0; failed=""; freezes=""; tfs=""
for t in $(tests); do
	name=$(basename "$t" .sh)
	W=$work/$name
	echo "== $name"
	checks=0; fails=0
	st=$(cat "$W/record.status" 2>/dev/null || echo missing)
	if [ -d "$work/.try1-$name" ]; then
		ntf=$(ls -d "$work"/.try[0-9]*-"$name" | wc -l)
		echo "  note: the guest triple-faulted in $ntf tr$( [ "$ntf" -eq 1 ] && echo y || echo ies) before this one and the test was recorded again; earlier tries in $work/.tryK-$name"
		tfs="$tfs $name"
	fi
	if [ -e "$work/.sandbox-$name.diag" ]; then
		echo "  note: the sandbox froze during this test's first try and was restarted; diagnosis in $work/.sandbox-$name.diag"
		freezes="$freezes $name"
	fi
	case $st in
	missing)
		fail "record step did not run (the record phase ended early)" ;;
	sandbox)
		fail "record step: $(head -n 1 "$W/record.diag"); diagnosis in $W/record.diag"
		sed 's/^/    /' "$W/record.diag" | tail -n 40 ;;
	copyfail)
		fail "record step: its files could not be copied out of the sandbox" ;;
	timeout)
		fail "record step TIMED OUT after $(cut -d' ' -f1 "$W/record.secs") s (limit $(cut -d' ' -f2 "$W/record.secs") s); diagnosis in $W/record.diag"
		sed 's/^/    /' "$W/record.diag" | head -n 60 ;;
	leftover)
		fail "record step left things running (killed by the harness): $(tr '\n' ' ' < "$W/record.leftover" | cut -c1-300)" ;;
	ok) ;;
	*)
		fail "record step: unknown status '$st' in $W/record.status" ;;
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
	if [ $fails -ne 0 ] && [ -s "$W/l1-dmesg.log" ]; then
		echo "  (L1's kernel during the record step, $W/l1-dmesg.log:)"
		tail -n 15 "$W/l1-dmesg.log" | sed 's/^/    | /'
	fi
	pass=$((pass + checks - fails)); failn=$((failn + fails))
	[ $fails -eq 0 ] || failed="$failed $name"
done
[ -z "$freezes" ] || echo "e2e: the sandbox froze (L1 stopped) during:$freezes; each got one more try in a new sandbox"
[ -z "$tfs" ] || echo "e2e: the guest triple-faulted on an earlier try of:$tfs; each was recorded again in a new sandbox"
echo "e2e: $pass passed, $failn failed"
[ -z "$failed" ] || { echo "e2e: failing:$failed" >&2; exit 1; }
[ $recfail -eq 0 ] || exit 1
