#!/bin/sh
# smpstorm.sh - the SMP storm (issue 12): what recording costs when N vCPUs
# make exits at once, all in ONE scripts/with-kvm session.
#
#   sh bench/smpstorm.sh          (bench/run.sh calls it; BENCH_QUICK=1: a smoke run:
#                                 N = 2 only, one round of 2 s)
#   sh bench/smpstorm.sh --report RAW   the figures again from a kept build/bench/smpstorm.raw
#   BENCH_SMP_NS="1 2" BENCH_SMP_REPS=1 BENCH_SMP_SECS=3   override the N, rounds, seconds
#   sh bench/smpstorm.sh --inside DIR SECS REPS TIMEOUT N...   (internal)
#
# The guest is the sample kernel (build/guest/vmlinuz) with
# build/guest/initrd-storm.img (samples/linux/smpstorm.c): one thread pinned
# to each CPU, each `outb` to its own unclaimed port 0x510+cpu for SECS
# seconds of the guest's clock (kvm-clock: host time); it prints the
# aggregate rate (all threads' outs / time from the common start to the
# last thread's end).  For each N, `exitlog record --cpus N` with and
# without recording (--no-log); rounds interleaved, order rotated.
#   smp_storm_ratio_nN      median rate recorded / median rate --no-log
#   smp_storm_rate_*_nN     the aggregate exits/s themselves
#   smp_lock_hold_ns_nN     dispatch-lock hold of the median exit while recording
#                           (EXITLOG_LOCKSTAT's hold_p50, the vCPUs weighted by
#                           their exits, median over rounds); _p99_: the 99th
#                           percentile; _mean_: the sum / exits (long holds of
#                           an L1 vCPU descheduled inside the lock, and waits for
#                           the writer, weigh in); _nolog_: the same run_step()
#                           without logging
#   smp_lock_wait_ns_nN     the median exit's wait for the lock (contention)
#   smp_ring_waits_nN       meta.ring_waits (all vCPUs), max over rounds
# The storm's exits are a small part of a session that boots Linux; the
# rates come from the guest's own clock around the storm only.
# L1 has 2 CPUs: N = 4 is overcommitted (4 vCPU threads + the writer on 2).
set -u
cd "$(dirname "$0")/.." || exit 2

KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd-storm.img

inside() {
	W=$1 SECS=$2 REPS=$3 TMO=$4
	shift 4
	NS="$*"
	mkdir -p "$W" || exit 2
	echo "l1_load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "l1_cpus $(nproc)"
	build/exitlog record --no-log build/guests/hello.bin >/dev/null 2>&1   # warm the page cache
	r=1
	while [ "$r" -le "$REPS" ]; do
		for n in $NS; do
			if [ $((r % 2)) = 1 ]; then set -- nolog log; else set -- log nolog; fi
			for cfg in "$@"; do
				storm_run "$cfg" "$n" "$r"
			done
		done
		r=$((r + 1))
	done
	echo "l1_load_end $(cut -d' ' -f1-3 /proc/loadavg)"
}

# storm_run CFG N ROUND: prints
#   run CFG N ROUND RC RATE OUTS NS WALL_NS [EXITS RING_WAITS LAG_WAITS]
#   lock CFG N ROUND VCPU STEPS WAIT_NS HOLD_NS WAIT_P50 WAIT_P99 HOLD_P50 HOLD_P99   (per vCPU)
storm_run() {
	cfg=$1 n=$2 round=$3
	rm -f "$W"/storm.db*
	if [ "$cfg" = log ]; then set -- -o "$W/storm.db"; else set -- --no-log; fi
	t0=$(date +%s%N)
	EXITLOG_LOCKSTAT=1 timeout -s KILL "$TMO" build/exitlog record --cpus "$n" "$@" \
		--initrd "$INITRD" --append "console=ttyS0 reboot=k panic=-1 quiet smpstorm=$SECS" \
		"$KERNEL" >"$W/out" 2>"$W/err"
	rc=$?
	t1=$(date +%s%N)
	line=$(tr -d '\r' <"$W/out" | grep '^smpstorm: threads=')
	rate=$(echo "$line" | sed -n 's/.* rate=\([0-9]*\) .*/\1/p')
	outs=$(echo "$line" | sed -n 's/.* outs=\([0-9]*\) .*/\1/p')
	ns=$(echo "$line" | sed -n 's/.* ns=\([0-9]*\) .*/\1/p')
	[ -n "$rate" ] || { rate=0 outs=0 ns=0; [ "$rc" = 0 ] && rc=99; }
	extra=
	if [ "$cfg" = log ] && [ "$rc" = 0 ]; then
		extra=$(sqlite3 "$W/storm.db" "SELECT (SELECT value FROM meta WHERE key='exit_count') || ' ' ||
			(SELECT value FROM meta WHERE key='ring_waits') || ' ' ||
			coalesce((SELECT value FROM meta WHERE key='lag_waits'), '-')")
	fi
	echo "run $cfg $n $round $rc $rate $outs $ns $((t1 - t0)) $extra"
	sed -n 's/^exitlog: lockstat vcpu\([0-9]*\) steps=\([0-9]*\) wait_ns=\([0-9]*\) hold_ns=\([0-9]*\) .* wait_p50=\([0-9]*\) wait_p99=\([0-9]*\) hold_p50=\([0-9]*\) hold_p99=\([0-9]*\).*/\1 \2 \3 \4 \5 \6 \7 \8/p' \
		"$W/err" | while read -r v s wa ho w50 w99 h50 h99; do
		echo "lock $cfg $n $round $v $s $wa $ho $w50 $w99 $h50 $h99"; done
	if [ "$rc" != 0 ]; then
		echo "fail $cfg n=$n round $round rc=$rc: $(tail -n 2 "$W/err" | tr '\n' ' ')"
	elif [ "$round" = 1 ]; then
		echo "guest $cfg $n $line"
	fi
	rm -f "$W"/storm.db*
}

if [ "${1:-}" = "--inside" ]; then
	shift
	inside "$@"
	exit 0
fi

# --- on the host ------------------------------------------------------------
case "${BENCH_QUICK:-}" in
"" | 0) SECS=5 REPS=3 TMO=900 NS="1 2 4" sbt=${EXITLOG_SANDBOX_TIMEOUT:-5400} ;;
*) SECS=2 REPS=1 TMO=300 NS="2" sbt=${EXITLOG_SANDBOX_TIMEOUT:-600} ;;
esac
# overrides, for a run by hand
SECS=${BENCH_SMP_SECS:-$SECS} REPS=${BENCH_SMP_REPS:-$REPS} NS=${BENCH_SMP_NS:-$NS}
FIGS="smp_storm_ratio_n1 smp_storm_ratio_n2 smp_storm_ratio_n4 smp_lock_hold_ns
smp_ring_waits_n1 smp_ring_waits_n2 smp_ring_waits_n4"

all_nan() {
	echo "# $1"
	for f in $FIGS; do echo "$f nan"; done
	exit 0
}

raw=build/bench/smpstorm.raw
if [ "${1:-}" = "--report" ]; then
	raw=$2   # the figures again from a kept raw file
else
	[ -x build/exitlog ] || all_nan "build/exitlog is missing (make all)"
	sh samples/linux/build-guest.sh >/dev/null 2>build/bench/smpstorm.build.err ||
		all_nan "cannot build the storm guest: $(tail -n 1 build/bench/smpstorm.build.err)"
	[ -f "$KERNEL" ] && [ -f "$INITRD" ] || all_nan "no $KERNEL or $INITRD"
	start=$(date +%s)
	hload=$(cut -d' ' -f1-3 /proc/loadavg)
	# shellcheck disable=SC2086
	EXITLOG_SANDBOX_TIMEOUT=$sbt scripts/with-kvm sh bench/smpstorm.sh --inside /dev/shm/exitlog-smpstorm \
		"$SECS" "$REPS" "$TMO" $NS >"$raw" 2>build/bench/smpstorm.err
	rc=$?
	[ $rc -eq 0 ] || all_nan "the KVM session failed (status $rc): $(tail -n 1 build/bench/smpstorm.err)"
	{ echo "host_secs $(($(date +%s) - start))"; echo "host_load $hload"
	  echo "params $SECS $REPS $NS"; } >>"$raw"
fi

awk '
function median(a, k,    i, j, t) {
	if (k == 0) return ""
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
$1 == "host_secs" { secs = $2 }
$1 == "params" { ssecs = $2; reps = $3; ns_list = substr($0, index($0, $4)) }
$1 == "host_load" { hload = $2 " " $3 " " $4 }
$1 == "l1_load" { l1load = $2 " " $3 " " $4 }
$1 == "l1_load_end" { l1end = $2 " " $3 " " $4 }
$1 == "l1_cpus" { l1cpus = $2 }
$1 == "fail" { fails = fails "\n# failed run: " substr($0, 6) }
$1 == "guest" { guest = guest "\n# " $2 " n=" $3 ": " substr($0, index($0, "smpstorm:")) }
$1 == "run" && $5 == 0 && $6 > 0 {
	c = $2; n = $3; k = ++cnt[c, n]; rate[c, n, k] = $6; byround[c, n, $4] = $6
	if (c == "log") { if ($11 > maxw[n]) maxw[n] = $11; seenw[n] = 1; exits[n] = exits[n] " " $10
		lagw[n] = lagw[n] " " $12 }
}
# per run: sums, and the medians of the vCPUs weighted by their steps
$1 == "lock" { steps[$2, $3, $4] += $6; wait[$2, $3, $4] += $7; hold[$2, $3, $4] += $8; rounds[$2, $3, $4] = 1
	w50[$2, $3, $4] += $6 * $9; h50[$2, $3, $4] += $6 * $11; h99[$2, $3, $4] += $6 * $12 }
END {
	printf "# SMP storm (issue 12): build/guest/vmlinuz + initrd-storm.img, N vCPUs each `outb` to its own\n"
	printf "# unclaimed port for %d s of guest time, exitlog record --cpus N with and without logging;\n", ssecs
	printf "# one scripts/with-kvm session (%d s; host load %s; L1 %s CPUs, load %s at start, %s at end),\n", secs, hload, l1cpus, l1load, l1end
	printf "# medians of %d rounds; ratio = aggregate exit rate recorded / --no-log (guest clock)\n", reps
	if (fails != "") print substr(fails, 2)
	if (guest != "") print substr(guest, 2)
	nn = split("1 2 4", all, " ")
	for (i = 1; i <= nn; i++) {
		n = all[i]; ran = (" " ns_list " ") ~ (" " n " ")
		for (cc = 1; cc <= 2; cc++) { c = cc == 1 ? "nolog" : "log"
			split("", t); for (k = 1; k <= cnt[c, n]; k++) t[k] = rate[c, n, k]; med[c, n] = median(t, cnt[c, n]) }
		pr = ""
		for (r = 1; r <= reps; r++) if (byround["nolog", n, r] && byround["log", n, r])
			pr = pr sprintf(" %.3f", byround["log", n, r] / byround["nolog", n, r])
		if (!ran) printf "# N=%d not run in this mode (BENCH_QUICK)\n", n
		else if (pr != "") printf "# N=%d per-round record/--no-log ratios:%s\n", n, pr
		if (med["nolog", n] != "") printf "smp_storm_rate_nolog_n%d %.0f\n", n, med["nolog", n]
		if (med["log", n] != "") printf "smp_storm_rate_log_n%d %.0f\n", n, med["log", n]
		if (med["nolog", n] != "" && med["log", n] != "") printf "smp_storm_ratio_n%d %.3f\n", n, med["log", n] / med["nolog", n]
		else printf "smp_storm_ratio_n%d nan\n", n
		# lock figures: per exit, all vCPUs of a run pooled, median over rounds
		for (cc = 1; cc <= 2; cc++) { c = cc == 1 ? "log" : "nolog"
			split("", th); split("", tw); split("", t5); split("", t9); split("", tq); k = 0
			for (r = 1; r <= reps; r++) if (rounds[c, n, r] && steps[c, n, r]) {
				k++; th[k] = hold[c, n, r] / steps[c, n, r]; tw[k] = wait[c, n, r] / steps[c, n, r]
				t5[k] = h50[c, n, r] / steps[c, n, r]; t9[k] = h99[c, n, r] / steps[c, n, r]
				tq[k] = w50[c, n, r] / steps[c, n, r] }
			mh = median(th, k); mw = median(tw, k); m5 = median(t5, k); m9 = median(t9, k); mq = median(tq, k)
			sfx = c == "log" ? "" : "_nolog"
			if (k) {
				printf "smp_lock_hold_ns%s_n%d %.0f\n", sfx, n, m5
				printf "smp_lock_hold_p99_ns%s_n%d %.0f\n", sfx, n, m9
				printf "smp_lock_hold_mean_ns%s_n%d %.0f\n", sfx, n, mh
				printf "smp_lock_wait_ns%s_n%d %.0f\n", sfx, n, mq
				printf "smp_lock_wait_mean_ns%s_n%d %.0f\n", sfx, n, mw
				if (c == "log") { allh[++nh] = m5 } }
		}
		if (seenw[n]) printf "smp_ring_waits_n%d %d\n", n, maxw[n]
		else printf "smp_ring_waits_n%d nan\n", n
		if (lagw[n] != "") printf "# N=%d meta.lag_waits (the writer more than ~100 ms behind) per recorded session:%s\n", n, lagw[n]
		if (exits[n] != "") printf "# N=%d exits per recorded session (the whole boot):%s\n", n, exits[n]
	}
	print "# dispatch-lock hold per exit while recording (seq, device access, rows queued): the median"
	print "# exit (log histogram, within ~20 %), median over rounds and over N"
	if (nh) { printf "smp_lock_hold_ns %.0f\n", median(allh, nh) } else print "smp_lock_hold_ns nan"
}' "$raw"
