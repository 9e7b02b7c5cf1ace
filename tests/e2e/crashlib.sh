# crashlib.sh - what t_crash.sh and t_crash_boot.sh share (sourced by them):
# crashkill.py runs `exitlog record` and stops each run with a signal at a
# random moment (record phase); crashcheck.py checks the recordings (check
# phase).  docs/testing.md, "The SIGKILL suite".

# crash_runs SET [";;" SET]... (record phase; SET: NAME N SIGNAL FROM MIN
# MAX -- CMD..., see crashkill.py): one Python for all the sets
crash_runs() { python3 tests/e2e/crashkill.py "$W" "$@"; }

# crash_check NAME [REPLAY-ARGS...] - count crashcheck.py's verdicts
crash_check() {
	python3 tests/e2e/crashcheck.py "$EXITLOG" "$W" "$@" > "$W/$1.check" 2>&1
	echo "crashcheck exit $?" >> "$W/$1.check"
	while read -r verdict rest; do
		case $verdict in
		ok) ok "$rest" ;;
		FAIL) fail "$rest" ;;
		summary) echo "  ($rest)" ;;
		note) ;;
		crashcheck) [ "$rest" = "exit 0" ] || fail "crashcheck.py $1: $rest" ;;
		*) fail "crashcheck.py $1: $verdict $rest" ;;
		esac
	done < "$W/$1.check"
	grep '^note' "$W/$1.check" | tail -n 2 | sed 's/^note /  /'
}

# crash_count NAME N - NAME.kills has N runs; prints how many a SIGKILL hit
crash_count() {
	check_eq "$1: every run in $1.kills" "$(wc -l < "$W/$1.kills" 2>/dev/null || echo 0)" "$2"
}

# crash_killed NAME... - runs of those sets a SIGKILL stopped while running
crash_killed() {
	for n in "$@"; do cat "$W/$n.kills" 2>/dev/null; done | awk '$3 == "KILL" && $4 != "-"' | wc -l
}
