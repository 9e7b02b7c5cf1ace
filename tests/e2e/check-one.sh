#!/bin/sh
# check-one.sh DIR TEST W - (internal, run by tests/e2e/run.sh on the host)
# the check step of one end-to-end test: sources tests/e2e/lib.sh and TEST,
# calls its check function with $W = W, and ends with the line
# "e2e-counts CHECKS FAILS" that run.sh adds to the totals.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
W=$3
checks=0; fails=0
check() { fail "no check function"; }
. "$2"
check
echo "e2e-counts $checks $fails"
