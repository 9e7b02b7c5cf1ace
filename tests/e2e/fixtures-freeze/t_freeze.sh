# t_freeze.sh - fixture of tests/e2e/t_harness.sh (not part of the suite):
# its first try stops the harness that runs it (SIGSTOP), which is what a
# frozen sandbox looks like from the host: no end line ever comes.  The
# host must stop the sandbox, boot a new one and try this test once more;
# the second try finds the marker and records normally.
LIMIT=30
record() {
	marker=$(dirname "$W")/.froze-once
	if [ ! -e "$marker" ]; then
		: > "$marker"
		sync
		# record-one.sh <- sh -c (session leader) <- run.sh --record
		harness=$(awk '{ print $4 }' "/proc/$PPID/stat")
		kill -STOP "$harness"
		sleep 3600
	fi
	run rec $EXITLOG record -o "$W/hello.db" $G/hello.bin
}
check() {
	check_eq "second try: hello console" "$(cat "$W/rec.out")" "Hello from exitlog guest"
}
