#!/bin/sh
# regress.sh BIN... - run each plain fuzz replayer (build/fuzz-regress/NAME)
# over tests/fuzz/regress/NAME/ (inputs of fixed crashes) and
# tests/fuzz/seeds/NAME/, each under a time limit.  Exit non-zero if one fails.
failed=""
for b in "$@"; do
	n=$(basename "$b")
	if ! timeout 300 "$b" "tests/fuzz/regress/$n" "tests/fuzz/seeds/$n"; then
		echo "fuzz-regress: $n FAILED" >&2
		failed="$failed $n"
	fi
done
[ -z "$failed" ] || { echo "fuzz-regress: failing targets:$failed" >&2; exit 1; }
