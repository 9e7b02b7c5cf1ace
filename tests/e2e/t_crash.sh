# t_crash.sh - crash consistency (issue 16): `exitlog record` stopped by
# SIGKILL at random moments of the storm guest and of the Linux boot
# (tests/e2e/crashkill.py), and by SIGTERM and SIGINT.  Each killed database
# must open, pass integrity_check, say meta.complete = 0, hold a gapless
# prefix 1..k, lose at most the last 200 ms (the recorder's heartbeat is the
# ground truth), and still work with stat, replay and report, which warn in
# one line; a SIGTERM/SIGINT recording is finished properly
# (tests/e2e/crashcheck.py).  CRASH_SEED=N repeats a set of moments.
LIMIT=420
APPEND="console=ttyS0 reboot=k panic=-1"
CRASH_STORM_KILLS=${CRASH_STORM_KILLS:-18}
CRASH_LINUX_KILLS=${CRASH_LINUX_KILLS:-2}
record() {
	ck="python3 tests/e2e/crashkill.py $W"
	# while the schema is being created and the VM set up (no database
	# yet, or an empty recording), then during the storm (~2 s in the sandbox)
	$ck early 2 KILL start 0.0 1.0 -- $EXITLOG record -o @DB@ $G/storm.bin
	$ck storm "$CRASH_STORM_KILLS" KILL beat 0.05 1.5 -- $EXITLOG record -o @DB@ $G/storm.bin
	$ck term 1 TERM beat 0.3 0.6 -- $EXITLOG record -o @DB@ $G/storm.bin
	$ck int 1 INT beat 0.3 0.6 -- $EXITLOG record -o @DB@ $G/storm.bin
	# the Linux boot: fresh 8 MiB disks per run, killed in its first 10 s
	# (kernel start-up, the console)
	$ck linux "$CRASH_LINUX_KILLS" KILL beat 2 10 -- sh -c \
		'truncate -s 8M "$1a.img" "$1b.img" && exec "$2" record -o "$3" --disk "$1a.img" --virtio-disk "$1b.img" --initrd build/guest/initrd.img --append "$4" build/guest/vmlinuz' \
		sh @W@ "$EXITLOG" @DB@ "$APPEND"
	rm -f "$W"/linux-*-a.img "$W"/linux-*-b.img
}
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
check() {
	for n in early storm term int linux; do
		check_eq "$n: every run recorded in $n.kills" "$(wc -l < "$W/$n.kills" 2>/dev/null || echo 0)" \
			"$(case $n in storm) echo "$CRASH_STORM_KILLS" ;; linux) echo "$CRASH_LINUX_KILLS" ;; early) echo 2 ;; *) echo 1 ;; esac)"
	done
	kills=$(cat "$W/storm.kills" "$W/linux.kills" "$W/early.kills" | awk '$3 == "KILL" && $4 != "-"' | wc -l)
	check_ge "SIGKILLs that hit a running recorder" "$kills" 20
	crash_check early
	crash_check storm
	crash_check term
	crash_check int
	truncate -s 8M "$W/zero-a.img" "$W/zero-b.img"
	crash_check linux --disk "$W/zero-a.img" --disk "$W/zero-b.img"
}
