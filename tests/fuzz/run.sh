#!/bin/sh
# run.sh SECONDS BIN... - run each libFuzzer target (build/fuzz/fuzz_NAME) for
# SECONDS at nice 19 on its corpus build/fuzz/corpus/NAME (new inputs land
# there), seeded from tests/fuzz/seeds/NAME and tests/fuzz/regress/NAME.
# Crashes are written to build/fuzz/crash/NAME/; the full log of each run to
# build/fuzz/log/NAME.log.  Inputs are at most FUZZ_MAX_LEN bytes (default
# 1024: long enough for a sector of rep outs, short enough to run fast).
# An input running longer than FUZZ_TIMEOUT seconds (default 10, wall clock:
# raise it on a loaded machine) is a finding.
# Prints one line per target with its execution count; exits non-zero if a
# target found a crash.
secs=$1; shift
failed=""
mkdir -p build/fuzz/log
for b in "$@"; do
	n=$(basename "$b"); n=${n#fuzz_}
	mkdir -p "build/fuzz/corpus/$n" "build/fuzz/crash/$n"
	log=build/fuzz/log/$n.log
	dirs="build/fuzz/corpus/$n"
	for d in "tests/fuzz/seeds/$n" "tests/fuzz/regress/$n"; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	# the wall-clock limit is a guard only; libFuzzer stops itself at $secs
	timeout $((secs * 2 + 120)) nice -n 19 "$b" -max_total_time="$secs" \
		-print_final_stats=1 -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-1024}" \
		-artifact_prefix="build/fuzz/crash/$n/" $dirs > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	if [ $rc -eq 0 ]; then
		echo "fuzz $n: ${runs:-?} executions in ${secs}s, no crash"
	else
		echo "fuzz $n: FAILED (exit $rc) after ${runs:-?} executions; see $log" >&2
		failed="$failed $n"
	fi
done
[ -z "$failed" ] || { echo "fuzz: targets with findings:$failed" >&2; exit 1; }
