#!/bin/sh
# run.sh - `make bench`: every benchmark figure of bench/README.md as one
# `name value` line (a rate or a ratio measured in this run), each group after
# a `#` comment line that says what it is measured against.
#
#   make bench                    the full run (48 min at load ~20 on 2026-12-03
#                                 before the SMP storm and the Linux side-by-side
#                                 came in; those took ~12 and ~45 min at that load)
#   make bench BENCH_QUICK=1      a smoke run (a few minutes: small sizes, one
#                                 repetition, 5 Linux boots); checks the output shape
#
# Exit status: non-zero when an expected figure is missing or has no value
# (`nan` counts as a value: a figure that cannot be measured here is printed
# as nan after a comment saying why, never made up).
set -u
cd "$(dirname "$0")/.." || exit 2

quick=
case "${BENCH_QUICK:-}" in
"" | 0) unset BENCH_QUICK ;;
*) quick=1; export BENCH_QUICK=1 ;;
esac

out=build/bench/bench.out
mkdir -p build/bench build/bench/tmp
: >"$out"
# print and keep (the shape check reads the kept copy)
emit() { tee -a "$out"; }

echo "# exitlog bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -n), $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)${quick:+ (BENCH_QUICK: smoke sizes)}" | emit

# --- the store writer, no KVM -------------------------------------------------
if [ -n "$quick" ]; then LB_N=100000 CG_N=20000 ST_N=100000; else LB_N=2000000 CG_N=50000 ST_N=1000000; fi
{
	echo "# store writer: synthetic storm exits (an exit row + a pio row each) through"
	echo "# the store writer (log_*), one prepared single-row INSERT per row in one transaction"
	echo "# (sqlite_naive_*), fwrite() of the same records (fwrite_rate: the ceiling); exits/s,"
	echo "# median of interleaved runs; *_cpu_rate: per CPU-second (steadier on a busy machine)"
	build/bench/log_bench -n "$LB_N" -d build/bench/tmp 2>build/bench/log_bench.err ||
		echo "# log_bench failed: $(tail -n 1 build/bench/log_bench.err)"
} | emit

# --- store_close() after a long recording --------------------------------------
if [ -n "$quick" ]; then CL_N=100000 CL_L=100k; else CL_N=10000000 CL_L=10m; fi
{
	echo "# store_close() after $CL_N synthetic storm exits through the store (log_bench"
	echo "# --put-only): the summary tables are kept by the writer, so close is the last"
	echo "# commit's check and the WAL folded back; seconds, wall"
	if build/bench/log_bench --put-only "$CL_N" -d build/bench/tmp 2>build/bench/close.err; then
		sed -n 's/.*, close \([0-9.]*\) s,.*/close_seconds_'"$CL_L"' \1/p' build/bench/close.err
	else
		echo "# log_bench --put-only failed: $(tail -n 1 build/bench/close.err)"
		echo "close_seconds_$CL_L nan"
	fi
} | emit

# --- instructions per exit (callgrind) -----------------------------------------
{
	echo "# instructions per exit (valgrind --tool=callgrind, log_bench --put-only $CG_N): the"
	echo "# vCPU side (store_put_exit + store_put_pio) and the writer thread (wr_writer_main,"
	echo "# inclusive: binding, SQLite, the summary tables, commits); store_close apart"
	cg=build/bench/callgrind.out
	if command -v valgrind >/dev/null 2>&1 && command -v callgrind_annotate >/dev/null 2>&1 &&
		valgrind --tool=callgrind --callgrind-out-file="$cg" \
			build/bench/log_bench --put-only "$CG_N" -d build/bench/tmp \
			>/dev/null 2>build/bench/callgrind.err; then
		callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$cg" 2>/dev/null |
		awk -v n="$CG_N" '
		function v(s) { gsub(",", "", s); return s + 0 }
		# an inlined function is listed under more than one file: take the largest
		/store\/wthread\.c:wr_writer_main( |$)/ { x = v($1); if (x > w) w = x }
		/store\/producer\.c:store_put_exit( |$)/ { x = v($1); if (x > e) e = x }
		/store\/producer\.c:store_put_pio( |$)/ { x = v($1); if (x > p) p = x }
		/store\/writer\.c:store_close( |$)/ { x = v($1); if (x > c) c = x }
		END {
			if (w && e && p) {
				printf "producer_instructions_per_exit %.0f\n", (e + p) / n
				printf "writer_instructions_per_exit %.0f\n", w / n
				printf "close_instructions_per_exit %.0f\n", c / n
			} else {
				print "# callgrind_annotate did not list the writer functions"
				print "producer_instructions_per_exit nan"
				print "writer_instructions_per_exit nan"
				print "close_instructions_per_exit nan"
			}
		}'
	else
		echo "# valgrind/callgrind is not available or failed: $(tail -n 1 build/bench/callgrind.err 2>/dev/null)"
		echo "producer_instructions_per_exit nan"
		echo "writer_instructions_per_exit nan"
		echo "close_instructions_per_exit nan"
	fi
	rm -f "$cg"
} | emit

# --- syscalls of the producing (vCPU) thread, no KVM ---------------------------
{
	echo "# syscalls of the thread calling store_put_*() per exit (strace -f, every syscall"
	echo "# between log_bench's prctl markers around the put loop; $ST_N exits = $((2 * ST_N))"
	echo "# records into a ring of 1048576: a ring that fills makes the producer wait)"
	st=build/bench/strace
	rm -rf "$st"
	mkdir -p "$st"
	if command -v strace >/dev/null 2>&1 &&
		strace -f -qq -ff -o "$st/t" build/bench/log_bench --put-only "$ST_N" \
			-d build/bench/tmp >/dev/null 2>build/bench/strace.err; then
		f=$(grep -l 'lb-put-begin' "$st"/t.* | head -n 1)
		awk -v n="$ST_N" '
		/PR_SET_NAME, "lb-put-begin"/ { on = 1; next }
		/PR_SET_NAME, "lb-put-end"/ { on = 0 }
		on && !/^(\+\+\+|---)/ { c++; name[$0 ~ /^[a-z_0-9]+\(/ ? substr($0, 1, index($0, "(") - 1) : "?"]++ }
		END {
			s = ""; for (k in name) s = s " " k "=" name[k]
			printf "# %d syscalls for %d exits:%s\n", c, n, s
			printf "log_put_syscalls_per_exit %.6f\n", c / n
		}' "$f"
	else
		echo "# strace is not available or failed: $(tail -n 1 build/bench/strace.err 2>/dev/null)"
		echo "log_put_syscalls_per_exit nan"
	fi
	rm -rf "$st"
} | emit

# --- replay --------------------------------------------------------------------
{
	echo "# replay (bench/replay_bench): replay_run() vs the replay's own cursors scanning the"
	echo "# same synthetic log, exits/s"
	if [ -x build/bench/replay_bench ]; then
		build/bench/replay_bench 2>build/bench/replay_bench.err ||
			echo "# replay_bench failed: $(tail -n 1 build/bench/replay_bench.err)"
	else
		echo "# build/bench/replay_bench is missing"
	fi
} | emit

# --- analyzer --------------------------------------------------------------------
{
	echo "# analyzer (bench/stat_bench): canned reports on a large synthetic recording,"
	echo "# seconds, against the same queries run naively"
	if [ -x build/bench/stat_bench ]; then
		build/bench/stat_bench 2>build/bench/stat_bench.err ||
			echo "# stat_bench failed: $(tail -n 1 build/bench/stat_bench.err)"
	else
		echo "# bench/stat_bench.c is not there (yet): no analyzer figures"
		echo "stat_seconds_10m nan"
	fi
} | emit

# --- the guest under KVM -----------------------------------------------------------
sh bench/overhead.sh | emit

# --- several vCPUs exiting at once (issue 12) -------------------------------------
sh bench/smpstorm.sh | emit

# --- the sample Linux session against QEMU (issue 17) -----------------------------
sh bench/linux.sh | emit

# --- shape check -----------------------------------------------------------------
expect="log_rate log_cpu_rate sqlite_naive_rate fwrite_rate log_vs_naive
bytes_per_exit_noio producer_instructions_per_exit writer_instructions_per_exit
log_put_syscalls_per_exit replay_rate scan_rate replay_vs_scan
record_overhead trace_cmd_overhead perf_kvm_overhead bytes_per_exit ring_waits
vcpu_syscalls_per_exit smp_storm_ratio_n1 smp_storm_ratio_n2 smp_storm_ratio_n4
smp_lock_hold_ns smp_ring_waits_n1 smp_ring_waits_n2 smp_ring_waits_n4
linux_record_vs_qemu linux_nolog_vs_qemu linux_record_vs_nolog linux_exits_record
linux_exits_nolog linux_exits_qemu"
status=0
for name in $expect; do
	v=$(awk -v k="$name" '$1 == k { print $2; exit }' "$out")
	case $v in
	"") echo "bench: missing figure: $name" >&2; status=1 ;;
	nan) echo "bench: not measured here (see the comment above it): $name" >&2 ;;
	*[!0-9.e+-]*) echo "bench: not a number: $name $v" >&2; status=1 ;;
	esac
done
# stat_bench names its figures after the database size (stat_seconds_10m_exit, ...)
grep -Eq '^stat_seconds_[^ ]* ([0-9.e+-]+|nan)$' "$out" ||
	{ echo "bench: missing figure: stat_seconds_*" >&2; status=1; }
grep -Eq '^close_seconds_[^ ]* ([0-9.e+-]+|nan)$' "$out" ||
	{ echo "bench: missing figure: close_seconds_*" >&2; status=1; }
[ $status -eq 0 ] || echo "bench: output shape check failed" >&2
exit $status
