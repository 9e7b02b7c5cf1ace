#!/bin/sh
# record-one.sh DIR TEST W - (internal, run by tests/e2e/run.sh --record) the
# record step of one end-to-end test: sources tests/e2e/lib.sh and TEST (a
# t_NAME.sh of DIR), then calls its record function with $W = W.  run.sh
# starts it as the leader of its own session and process group, so that
# everything it starts can be found, waited for or killed as one group.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
W=$3
record() { :; }
. "$2"
record
