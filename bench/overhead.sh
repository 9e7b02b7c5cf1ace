#!/bin/sh
# overhead.sh - what recording costs a guest under real KVM, next to what the
# kernel's own tracing costs it, all in ONE scripts/with-kvm session (natively
# when /dev/kvm works, else the nested QEMU/TCG sandbox; design/kvm-sandbox.md).
#
#   sh bench/overhead.sh          (bench/run.sh calls it; BENCH_QUICK=1: a smoke run)
#   sh bench/overhead.sh --inside DIR N NSMALL REPS TREPS TIMEOUT   (internal)
#
# The guest is bench/storm_timed.asm: samples/guests/storm.asm's loop (N OUTs
# to the unclaimed port 0x404) between two RDTSCs; it prints the ticks the
# loop took.  RDTSC does not exit, so that is the guest's own view of how long
# its N exits took, measured the same way under every configuration:
#   nolog   exitlog record --no-log           (the baseline)
#   log     exitlog record -o DB              (every exit and pio row logged)
#   trace   trace-cmd record -e kvm -o F  exitlog record --no-log
#   perf    perf kvm stat record -o F     exitlog record --no-log
# Repetitions are interleaved (the order rotates each round); each figure is
# the median ticks of the baseline over the median ticks of the configuration
# (= exit rate under the configuration / exit rate without it).  REPS rounds
# have nolog and log, the first TREPS also trace and perf.  Output files go to
# a tmpfs (/dev/shm in the sandbox's L1; the host's / is 9p there).
#
# vcpu_syscalls_per_exit: a recording of NSMALL exits under `strace -f -ff`;
# the syscalls exitlog's vCPU thread (the one that calls KVM_RUN and
# store_put_*()) makes between its first and last KVM_RUN, KVM_RUN itself
# (one per exit by definition) not counted, per exit; the same for --no-log
# in a comment.  (strace --seccomp-bpf would be lighter, but twice made the
# nested guest triple-fault in the sandbox.)
#
# Output: comment lines and `name value` lines (bench/README.md).
set -u
cd "$(dirname "$0")/.." || exit 2

inside() {
	W=$1 N=$2 NS=$3 REPS=$4 TREPS=$5 TMO=$6
	G=build/bench/storm_timed-$N.bin
	GS=build/bench/storm_timed-$NS.bin   # the warm-up
	GT=$GS                               # under strace
	mkdir -p "$W" || exit 2
	echo "tsc_mhz $(sed -n 's/^cpu MHz[^:]*: *//p' /proc/cpuinfo | head -n 1)"
	echo "l1_load $(cut -d' ' -f1-3 /proc/loadavg)"
	# warm the page cache (binaries come over 9p in the sandbox)
	build/exitlog record --no-log "$GS" >/dev/null 2>&1
	sqlite3 -version >/dev/null 2>&1
	# can the tools run at all?
	if ! command -v trace-cmd >/dev/null 2>&1; then
		echo "tool trace trace-cmd is not installed"
	elif ! timeout -s KILL "$TMO" trace-cmd record -q -e kvm -o "$W/probe.dat" true \
			>/dev/null 2>"$W/probe.err"; then
		echo "tool trace trace-cmd record -e kvm fails: $(tail -n 1 "$W/probe.err")"
	fi
	if ! command -v perf >/dev/null 2>&1; then
		echo "tool perf perf is not installed"
	elif ! timeout -s KILL "$TMO" perf kvm stat record -q -o "$W/probe.data" true \
			>/dev/null 2>"$W/probe.err"; then
		echo "tool perf perf kvm stat record fails: $(tail -n 1 "$W/probe.err")"
	fi
	rm -f "$W"/probe.*

	r=1
	while [ "$r" -le "$REPS" ]; do
		if [ "$r" -le "$TREPS" ]; then set -- nolog log trace perf; else set -- nolog log; fi
		# rotate the order by the round number
		i=1
		while [ "$i" -lt "$r" ]; do c=$1; shift; set -- "$@" "$c"; i=$((i + 1)); done
		for cfg in "$@"; do
			run_cfg "$cfg" "$r"
		done
		r=$((r + 1))
	done

	# syscalls of the vCPU thread (its own thread since the SMP work) between its first
	# and last KVM_RUN, besides KVM_RUN itself; recording and --no-log
	for mode in log nolog; do
		rm -rf "$W/st" "$W"/st.db*
		mkdir -p "$W/st"
		if [ $mode = log ]; then set -- -o "$W/st.db"; else set -- --no-log; fi
		if timeout -s KILL "$TMO" strace -f -qq -ff -o "$W/st/t" \
				build/exitlog record "$@" "$GT" >/dev/null 2>"$W/st.err"; then
			# the vCPU thread: the one that calls KVM_RUN (since the SMP
			# work a thread of its own, no longer the process's first)
			main=$(grep -l '^ioctl([0-9]*, KVM_RUN' "$W"/st/t.* | head -n 1)
			awk -v mode=$mode '
			{ line[NR] = $0 }
			/^ioctl\([0-9]+, KVM_RUN/ { runs++; if (!first) first = NR; last = NR }
			END {
				for (i = first; runs && i <= last; i++) {
					if (line[i] ~ /^ioctl\([0-9]+, KVM_RUN/ || line[i] ~ /^(\+\+\+|---)/)
						continue
					n++; name = line[i]; sub(/\(.*/, "", name); h[name]++
				}
				s = ""; for (k in h) s = s " " k "=" h[k]
				print "strace", mode, runs, n + 0, s
			}' "$main"
		else
			echo "strace_fail $mode $(tail -n 1 "$W/st.err")"
		fi
	done
	rm -rf "$W/st" "$W"/st.db*
}

# run_cfg CFG ROUND: one timed run; prints
#   run CFG ROUND RC TSC_TICKS WALL_NS [DB_BYTES EXITS RING_WAITS]
run_cfg() {
	cfg=$1 round=$2
	rm -f "$W"/storm.db* "$W/trace.dat" "$W"/perf.data*
	case $cfg in
	nolog) set -- build/exitlog record --no-log "$G" ;;
	log) set -- build/exitlog record -o "$W/storm.db" "$G" ;;
	trace) set -- trace-cmd record -q -e kvm -o "$W/trace.dat" build/exitlog record --no-log "$G" ;;
	perf) set -- perf kvm stat record -q -o "$W/perf.data" build/exitlog record --no-log "$G" ;;
	esac
	t0=$(date +%s%N)
	timeout -s KILL "$TMO" "$@" >"$W/out" 2>"$W/err"
	rc=$?
	t1=$(date +%s%N)
	tsc=$(sed -n 's/^storm: tsc=\(0x[0-9a-f]*\)$/\1/p' "$W/out")
	[ -n "$tsc" ] || { tsc=0; [ "$rc" = 0 ] && rc=99; }
	extra=
	if [ "$cfg" = log ] && [ "$rc" = 0 ]; then
		extra="$(stat -c %s "$W/storm.db") $(sqlite3 "$W/storm.db" \
			"SELECT (SELECT value FROM meta WHERE key='exit_count') || ' ' ||
			        (SELECT value FROM meta WHERE key='ring_waits')")"
	fi
	echo "run $cfg $round $rc $(printf '%d' "$tsc") $((t1 - t0)) $extra"
	[ "$rc" = 0 ] || echo "fail $cfg $round rc=$rc: $(tail -n 2 "$W/err" | tr '\n' ' ')"
	rm -f "$W"/storm.db* "$W/trace.dat" "$W"/perf.data*
}

if [ "${1:-}" = "--inside" ]; then
	shift
	inside "$@"
	exit 0
fi

# --- on the host ------------------------------------------------------------
case "${BENCH_QUICK:-}" in
"" | 0) N=100000 NS=5000 REPS=7 TREPS=3 TMO=600 ;;
*) N=2000 NS=500 REPS=1 TREPS=1 TMO=120 ;;
esac
KVM_FIGURES="record_overhead trace_cmd_overhead perf_kvm_overhead record_overhead_cmd
storm_exit_rate_nolog bytes_per_exit ring_waits vcpu_syscalls_per_exit"

all_nan() {
	echo "# $1"
	for f in $KVM_FIGURES; do echo "$f nan"; done
	exit 0
}

mkdir -p build/bench
command -v nasm >/dev/null 2>&1 || all_nan "nasm is not installed: no guest, no KVM figures"
for n in "$N" "$NS"; do
	nasm -f bin -I samples/guests/ -DSTORM_N="$n" -o "build/bench/storm_timed-$n.bin" \
		bench/storm_timed.asm || all_nan "cannot assemble bench/storm_timed.asm"
done
[ -x build/exitlog ] || all_nan "build/exitlog is missing (make all)"

raw=build/bench/overhead.raw
# The sandbox's own limit: a smoke run takes about a minute, a full one
# about 15.  The nested sandbox's L1 sometimes freezes (docs/testing.md):
# then the session is stopped at that limit and tried once more.
case "${BENCH_QUICK:-}" in
"" | 0) sbt=${EXITLOG_SANDBOX_TIMEOUT:-3000} ;;
*) sbt=${EXITLOG_SANDBOX_TIMEOUT:-300} ;;
esac
try=0 rc=125
while [ $rc -eq 125 ] && [ $try -lt 2 ]; do
	try=$((try + 1))
	[ $try -gt 1 ] && echo "# the KVM session failed (sandbox status 125: $(tail -n 1 build/bench/overhead.err)); one more try" >&2
	start=$(date +%s)
	EXITLOG_SANDBOX_TIMEOUT=$sbt scripts/with-kvm sh bench/overhead.sh --inside /dev/shm/exitlog-bench \
		"$N" "$NS" "$REPS" "$TREPS" "$TMO" >"$raw" 2>build/bench/overhead.err
	rc=$?
	secs=$(($(date +%s) - start))
done
if [ $rc -ne 0 ]; then
	all_nan "the KVM session failed (status $rc): $(tail -n 1 build/bench/overhead.err)"
fi

awk -v n="$N" -v reps="$REPS" -v treps="$TREPS" -v secs="$secs" '
function median(a, k,    i, j, t) {
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
$1 == "tsc_mhz" { mhz = $2 }
$1 == "l1_load" { l1load = $2 " " $3 " " $4 }
$1 == "tool" { why[$2] = substr($0, index($0, $3)) }
$1 == "fail" { fails = fails "\n# failed run: " substr($0, 6) }
$1 == "run" && $4 == 0 && $5 > 0 {
	c = $2; k = ++cnt[c]; tsc[c, k] = $5; wall[c, k] = $6; bytag[c, $3] = $5
	if (c == "log") { bpe[k] = $7 / $8; if ($9 > maxw) maxw = $9; exits = $8 }
}
$1 == "strace" { sruns[$2] = $3; scalls[$2] = $4; shist[$2] = NF >= 5 ? " " substr($0, index($0, $5)) : "" }
$1 == "strace_fail" { sfail = sfail " " substr($0, 13) }
END {
	printf "# guest under KVM: bench/storm_timed.asm, %d OUTs to an unclaimed port timed by its own RDTSC;\n", n
	printf "# one scripts/with-kvm session (%d s; L1 load %s), medians of %d rounds (trace/perf: %d), order rotated;\n", secs, l1load, reps, treps
	printf "# value = median ticks --no-log / median ticks under the configuration (exit-rate ratio)\n"
	for (c in cnt) { split("", t); for (k = 1; k <= cnt[c]; k++) t[k] = tsc[c, k]; med[c] = median(t, cnt[c])
		split("", t); for (k = 1; k <= cnt[c]; k++) t[k] = wall[c, k]; medw[c] = median(t, cnt[c]) }
	if (fails != "") print substr(fails, 2)
	# per-round ratios, to show the spread
	for (r = 1; r <= reps; r++) if (bytag["nolog", r] && bytag["log", r])
		pr = pr sprintf(" %.3f", bytag["nolog", r] / bytag["log", r])
	if (pr != "") print "# per-round --no-log/record ratios:" pr
	if (med["nolog"] && med["log"]) printf "record_overhead %.3f\n", med["nolog"] / med["log"]
	else { print "# no successful record / --no-log pair"; print "record_overhead nan" }
	if (why["trace"] != "") print "# trace-cmd: " why["trace"]
	if (med["nolog"] && med["trace"]) printf "trace_cmd_overhead %.3f\n", med["nolog"] / med["trace"]
	else print "trace_cmd_overhead nan"
	if (why["perf"] != "") print "# perf: " why["perf"]
	if (med["nolog"] && med["perf"]) printf "perf_kvm_overhead %.3f\n", med["nolog"] / med["perf"]
	else print "perf_kvm_overhead nan"
	print "# the same ratio on the wall time of the whole command (process start, VM setup,"
	print "# and for record the database creation and store_close(): summary tables, WAL fold)"
	if (medw["nolog"] && medw["log"]) printf "record_overhead_cmd %.3f\n", medw["nolog"] / medw["log"]
	else print "record_overhead_cmd nan"
	print "# exits/s of the guest loop without logging (TSC ticks at the L1 CPU MHz)"
	if (med["nolog"] && mhz) printf "storm_exit_rate_nolog %.0f\n", n / (med["nolog"] / (mhz * 1e6))
	else print "storm_exit_rate_nolog nan"
	print "# the recorded storm database (on tmpfs): file size / exits, median; meta.ring_waits, max"
	if (cnt["log"]) { split("", t); for (k = 1; k <= cnt["log"]; k++) t[k] = bpe[k]
		printf "bytes_per_exit %.1f\n", median(t, cnt["log"]); printf "ring_waits %d\n", maxw }
	else { print "bytes_per_exit nan"; print "ring_waits nan" }
	print "# syscalls of the vCPU thread (the thread calling KVM_RUN) per exit while recording: strace -f,"
	print "# every syscall between its first and last KVM_RUN except KVM_RUN itself (one per exit)"
	if (sruns["log"]) {
		printf "# recording: %d syscalls in %d exits:%s\n", scalls["log"], sruns["log"], shist["log"]
		if (sruns["nolog"]) printf "# --no-log:  %d syscalls in %d exits:%s\n", scalls["nolog"], sruns["nolog"], shist["nolog"]
		printf "vcpu_syscalls_per_exit %.5f\n", scalls["log"] / sruns["log"]
	} else { print "# strace run failed:" sfail; print "vcpu_syscalls_per_exit nan" }
}' "$raw"
