#!/bin/sh
# run.sh - the end-to-end tests (`make e2e`).
#
#   tests/e2e/run.sh             record phase under scripts/with-kvm (one
#                                KVM session for every test), then checks
#   tests/e2e/run.sh --record W  (internal) the record phase, inside KVM
#
# E2E_ONLY=pattern selects tests by file name.  Prints one line per check and
# "e2e: N passed, M failed"; exits non-zero on any failure, 125 when the KVM
# sandbox itself failed (that is not a test result).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh

tests() {
	for t in tests/e2e/t_*.sh; do
		case "$t" in *"${E2E_ONLY:-}"*) echo "$t" ;; esac
	done
}

if [ "${1:-}" = "--record" ]; then
	work=$2
	E2E_ONLY=${3:-}
	for t in $(tests); do
		name=$(basename "$t" .sh)
		W=$work/$name
		mkdir -p "$W"
		record() { :; }
		. "$t"
		start=$(date +%s)
		record > "$W/record.log" 2>&1
		echo "recorded $name ($(( $(date +%s) - start )) s)"
	done
	exit 0
fi

work=$(pwd)/build/e2e
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s)
scripts/with-kvm sh tests/e2e/run.sh --record "$work" "${E2E_ONLY:-}"
rc=$?
if [ $rc -ne 0 ]; then
	echo "e2e: the record phase failed (status $rc)" >&2
	exit $rc
fi
echo "e2e: record phase $(( $(date +%s) - start )) s"

pass=0; failn=0; failed=""
for t in $(tests); do
	name=$(basename "$t" .sh)
	W=$work/$name
	echo "== $name"
	checks=0; fails=0
	check() { fail "no check function"; }
	. "$t"
	check
	pass=$((pass + checks - fails)); failn=$((failn + fails))
	[ $fails -eq 0 ] || failed="$failed $name"
done
echo "e2e: $pass passed, $failn failed"
[ -z "$failed" ] || { echo "e2e: failing:$failed" >&2; exit 1; }
