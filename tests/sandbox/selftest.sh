#!/usr/bin/env bash
# selftest.sh - self-test of scripts/with-kvm (native /dev/kvm or the nested sandbox).
# Builds tests/sandbox/kvmcheck.c into build/sandbox-test/kvmcheck and runs it through
# with-kvm, then checks that with-kvm carries the exit status, keeps stdout and
# stderr apart and byte-exact, keeps arguments (spaces, quotes, newlines) and the
# working directory, passes EXITLOG_* variables, works with stdin closed, loses no
# output at the end, and (sandbox only) reports a timeout as exit 125.
# Usage: tests/sandbox/selftest.sh      Prints "sandbox selftest: N passed, M failed".
set -uo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
WK=$ROOT/scripts/with-kvm
OUT=$ROOT/build/sandbox-test
mkdir -p "$OUT"
T=$(mktemp -d "$OUT/tmp.XXXXXX")
trap 'rm -rf "$T"' EXIT

pass=0 failed=0
ok()     { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() {
    failed=$((failed + 1)); echo "not ok - $1"
    shift
    for f in "$@"; do echo "  --- $f:"; sed -n '1,20p' "$f" | cat -A | sed 's/^/  | /'; done
}
# run NAME CMD...: runs CMD with stdout/stderr to $T/NAME.out/.err, status in $T/NAME.rc
run() {
    local name=$1; shift
    local t0=$SECONDS
    "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
    echo "# $name: $((SECONDS - t0)) s"
}
rc() { cat "$T/$1.rc"; }

if [[ -c /dev/kvm ]] && { : <>/dev/kvm; } 2>/dev/null && [[ -z ${EXITLOG_FORCE_SANDBOX:-} || ${EXITLOG_FORCE_SANDBOX} == 0 ]]; then
    mode=native
else
    mode=sandbox
fi
echo "# with-kvm mode: $mode"

# 0. build kvmcheck
if cc -O2 -Wall -Wextra -Werror -o "$OUT/kvmcheck" "$ROOT/tests/sandbox/kvmcheck.c" 2>"$T/cc.err"; then
    ok "kvmcheck builds"
else
    not_ok "kvmcheck builds" "$T/cc.err"
fi

# 1. real KVM works through with-kvm
run kvm "$WK" "$OUT/kvmcheck"
if [[ $(rc kvm) == 0 ]] && grep -qx "kvmcheck: ok api=12 exits=IO(0x3f8,'K'),HLT" "$T/kvm.out"; then
    ok "kvmcheck through with-kvm: $(cat "$T/kvm.out")"
else
    not_ok "kvmcheck through with-kvm (status $(rc kvm))" "$T/kvm.out" "$T/kvm.err"
fi

# 2. the exit status is carried through
run status "$WK" sh -c 'exit 7'
if [[ $(rc status) == 7 ]]; then ok "exit status 7 carried through"
else not_ok "exit status 7 carried through (got $(rc status))" "$T/status.err"; fi

# 3. stdout and stderr are separate and byte-exact (no "\r\n")
run streams "$WK" sh -c 'echo out; echo err >&2'
if [[ $(rc streams) == 0 ]] && cmp -s "$T/streams.out" <(echo out) && cmp -s "$T/streams.err" <(echo err); then
    ok "stdout has only 'out', stderr only 'err'"
else
    not_ok "stdout/stderr separate (status $(rc streams))" "$T/streams.out" "$T/streams.err"
fi

# 4. arguments survive: spaces, quotes, $, \, globs, tabs, newlines, empty
args=("a b" "it's" 'say "hi"' '$HOME $(id)' 'back\slash' '*' $'tab\there' $'new\nline' '' ' lead' '--x=1 2')
printf '[%s]\n' "${args[@]}" >"$T/args.want"
run args "$WK" printf '[%s]\n' "${args[@]}"
if [[ $(rc args) == 0 ]] && cmp -s "$T/args.out" "$T/args.want"; then
    ok "arguments with spaces and quotes survive"
else
    not_ok "arguments survive (status $(rc args))" "$T/args.out" "$T/args.want" "$T/args.err"
fi

# 5. the working directory is kept (a name with a space in it), and EXITLOG_* variables
mkdir -p "$T/work dir"
(cd "$T/work dir" && EXITLOG_SELFTEST='x  "y" $z' run cwd "$WK" sh -c 'pwd; printf "%s\n" "$EXITLOG_SELFTEST"')
printf '%s\n%s\n' "$T/work dir" 'x  "y" $z' >"$T/cwd.want"
if [[ $(rc cwd) == 0 ]] && cmp -s "$T/cwd.out" "$T/cwd.want"; then
    ok "working directory and EXITLOG_* variables kept"
else
    not_ok "working directory kept (status $(rc cwd))" "$T/cwd.out" "$T/cwd.want" "$T/cwd.err"
fi

# 6. no stdin at all, and all output arrives (170 kB right before the end)
# (and /dev/stderr can be opened again by name)
run bulk "$WK" sh -c 'seq 1 30000; seq 1 1000 >&2; echo end >/dev/stderr; exit 3' <&-
if [[ $(rc bulk) == 3 ]] && cmp -s "$T/bulk.out" <(seq 1 30000) && cmp -s "$T/bulk.err" <(seq 1 1000; echo end); then
    ok "stdin closed; $(wc -c <"$T/bulk.out") + $(wc -c <"$T/bulk.err") bytes arrive complete, status 3"
else
    not_ok "stdin closed, bulk output (status $(rc bulk), $(wc -c <"$T/bulk.out") bytes)" "$T/bulk.err"
fi

# 7. sandbox only: a sandbox failure (here: a timeout) is exit 125 with a reason
if [[ $mode == sandbox ]]; then
    EXITLOG_SANDBOX_TIMEOUT=2 run timeout "$WK" sleep 100 </dev/null
    if [[ $(rc timeout) == 125 ]] && grep -q '^with-kvm: sandbox failure: timed out' "$T/timeout.err"; then
        ok "timeout gives 125 and 'with-kvm: sandbox failure: timed out ...'"
    else
        not_ok "timeout gives 125 (got $(rc timeout))" "$T/timeout.err"
    fi
fi

echo "sandbox selftest: $pass passed, $failed failed"
[[ $failed == 0 ]]
