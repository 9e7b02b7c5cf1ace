# t_crash.sh - crash consistency (issue 16), part 1: `exitlog record` of
# the storm guest stopped by SIGKILL at random moments (2 during set-up,
# 10 during the storm), and by SIGTERM and SIGINT.  Each killed database
# must open, pass integrity_check, say meta.complete = 0, hold a gapless
# prefix 1..k, lose at most the last 200 ms (the recorder's heartbeat is
# the ground truth), and still work with stat, replay and report, which
# warn in one line; a SIGTERM/SIGINT recording is finished properly
# (tests/e2e/crashcheck.py).  Part 2 (storm and Linux boot):
# t_crash_boot.sh.  CRASH_SEED=N repeats a set of moments.
LIMIT=300
. tests/e2e/crashlib.sh
record() {
	# while the VM is set up and the database created (no file yet, or
	# an empty recording), then during the storm (40,000 exits)
	rec="$EXITLOG record -o @DB@ $G/storm.bin"
	crash_runs early 2 KILL start 0.0 1.0 -- $rec ";;" \
		storm 10 KILL beat 0.05 1.5 -- $rec ";;" \
		term 1 TERM beat 0.3 0.6 -- $rec ";;" \
		int 1 INT beat 0.3 0.6 -- $rec
}
check() {
	crash_count early 2
	crash_count storm 10
	crash_count term 1
	crash_count int 1
	check_ge "SIGKILLs that hit a running recorder" "$(crash_killed early storm)" 11
	crash_check early
	crash_check storm
	crash_check term
	crash_check int
}
