#!/bin/sh
# selftest.sh - the checkers can fail: run check-report.sh and
# check-perfetto.py on a good synthetic recording (must pass) and on broken
# inputs (must fail): a recording without exits (charts without data), a
# report with an injected script error (console), a trace with overlapping
# exit slices and a missing flow end, a trace one exit short.
#   tests/browser/selftest.sh      (needs build/bench/gen_synth, chromium)
set -u
d=$(mktemp -d /tmp/exitlog-selftest.XXXXXX)
trap 'rm -rf "$d"' EXIT
fails=0
expect() {  # expect 0|1 WHAT CMD...   (1: also the message in $msg, if set)
	want=$1 what=$2; shift 2
	"$@" > "$d/out" 2>&1; rc=$?
	if { [ "$want" = 0 ] && [ $rc = 0 ]; } ||
	   { [ "$want" = 1 ] && [ $rc = 1 ] && { [ -z "${msg:-}" ] || grep -q "$msg" "$d/out"; }; }; then
		echo "  ok   $what (exit $rc)"
	else
		echo "  FAIL $what: exit $rc, wanted $want"; sed 's/^/       /' "$d/out" | head -5; fails=$((fails + 1))
	fi
}
build/bench/gen_synth -n 20000 "$d/good.db" 2> /dev/null || { echo "selftest: gen_synth failed"; exit 1; }
cp "$d/good.db" "$d/empty.db"
sqlite3 "$d/empty.db" "DELETE FROM exits; DELETE FROM pio; DELETE FROM mmio; DELETE FROM blk_requests; DELETE FROM irqs; DELETE FROM sum_info;"
msg=
expect 0 "report of a good recording passes" sh tests/browser/check-report.sh -o "$d/r1" "$d/good.db"
msg="charts without data"
expect 1 "report of a recording without exits fails (charts without data)" sh tests/browser/check-report.sh -o "$d/r2" "$d/empty.db"
# A stand-in exitlog whose report carries a script error: the console check must see it.
cat > "$d/badexitlog" <<EOS
#!/bin/sh
"$(pwd)/build/exitlog" "\$@" || exit \$?
[ "\$1" = report ] && sed -i 's|<meta http-equiv="Content-Security-Policy"[^>]*>||; s|</body>|<script>undefinedFn();</script></body>|' "\$4"
exit 0
EOS
chmod +x "$d/badexitlog"
msg="console messages:.*undefinedFn"
expect 1 "report with a script error fails on its console message" env EXITLOG="$d/badexitlog" sh tests/browser/check-report.sh -o "$d/r3" "$d/good.db"
msg=
build/exitlog export --perfetto "$d/good.db" -o "$d/good.json"
expect 0 "trace of a good recording passes" python3 tests/export/check-perfetto.py "$d/good.db" "$d/good.json"
python3 - "$d" <<'EOP'
import json, sys
d = sys.argv[1]
t = json.load(open(d + "/good.json"))
ex = [e for e in t["traceEvents"] if e["ph"] == "X" and e.get("cat") == "exit"]
ex[5]["dur"] += 1e6
t["traceEvents"] = [e for e in t["traceEvents"] if not (e["ph"] == "f" and e["id"] == 3)]
json.dump(t, open(d + "/overlap.json", "w"))
t = json.load(open(d + "/good.json"))
t["traceEvents"].remove([e for e in t["traceEvents"] if e.get("cat") == "exit"][-1])
json.dump(t, open(d + "/short.json", "w"))
EOP
msg="starts but never ends"
expect 1 "trace with overlapping exits and a lost flow end fails" python3 tests/export/check-perfetto.py "$d/good.db" "$d/overlap.json"
msg="exit events: 19999 in the trace, 20000 in the database"
expect 1 "trace one exit short fails" python3 tests/export/check-perfetto.py "$d/good.db" "$d/short.json"
[ $fails = 0 ] && echo "selftest: ok" || { echo "selftest: $fails failed"; exit 1; }
