# t_ktrace.sh - `record --ktrace` and `import` (tests/e2e/ktrace.sh).  Its
# checks need the sandbox's tracefs, so they run in the record phase; the
# check phase reports each of its lines as a check of this suite.
LIMIT=360
# its tracepoints live-patch L1 (tests/e2e/run.sh): a sandbox of its own
SANDBOX=own
record() {
	run kt sh tests/e2e/ktrace.sh
}
check() {
	while IFS= read -r line; do
		case "$line" in
		"  ok   "*) ok "${line#  ok   }" ;;
		"  FAIL "*) fail "${line#  FAIL }" ;;
		esac
	done < "$W/kt.out"
	check_eq "ktrace.sh exit status" "$(cat "$W/kt.rc")" 0
	[ -s "$W/kt.err" ] && sed 's/^/  (stderr) /' "$W/kt.err" | head -5
	return 0
}
