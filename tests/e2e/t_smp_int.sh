# t_smp_int.sh - Ctrl-C on an SMP recording: the sample Linux guest on 2
# vCPUs (as t_smp.sh) gets SIGINT 2 s after the kernel brought up its second
# CPU, mid-boot: every vCPU thread stops (the harness
# fails the test for anything left behind), the recording is closed with
# end_reason signal and exit status 1, its seq is gapless and it replays
# clean.
LIMIT=420
APPEND="console=ttyS0 reboot=k panic=-1 exitlog.smp"
# wait_console FILE PATTERN PID STEP - poll FILE every STEP s (600 times at
# most) until it holds PATTERN or process PID is gone; status 0 if it holds it
wait_console() {
	_n=0
	while [ $_n -lt 600 ] && ! grep -q "$2" "$1" 2>/dev/null && kill -0 "$3" 2>/dev/null; do
		sleep "$4"
		_n=$((_n + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}
record() {
	for d in a b; do
		dd if=/dev/zero of="$W/$d.img" bs=1M count=64 status=none
		cp "$W/$d.img" "$W/$d-initial.img"
	done
	$EXITLOG record --cpus 2 -o "$W/int.db" --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd build/guest/initrd.img --append "$APPEND" build/guest/vmlinuz \
		> "$W/int.out" 2> "$W/int.err" &
	pid=$!
	# The signal goes in when both vCPUs are up (the kernel's "smp: Brought
	# up" line on the console), while the boot has well over 10 s to go.  A
	# fixed delay after the database appeared raced the boot: a fast run
	# reached the guest's reboot first and the check saw end_reason reset.
	wait_console "$W/int.out" 'smp: Brought up' $pid 0.5 ||
		echo "  (no 'smp: Brought up' on the console after 300 s)"
	sleep 2
	kill -INT $pid
	wait $pid
	echo $? > "$W/int.rc"
	# Ctrl-C after the session ended, while the recorder finishes (hashes
	# a 256 MiB disk, writes its end meta, closes the database): absorbed,
	# the run's own end stands.  Before, the handler was gone by then and
	# the signal killed the process between its end meta and its close.
	zero_image "$W/late.img" $((256 * 2048))
	$EXITLOG record -o "$W/late.db" --disk "$W/late.img" $G/hello.bin \
		> "$W/late.out" 2> "$W/late.err" &
	pid=$!
	wait_console "$W/late.out" Hello $pid 0.1
	sleep 0.3
	if kill -INT $pid 2>/dev/null; then echo sent; else echo "gone"; fi > "$W/late.sig"
	wait $pid
	echo $? > "$W/late.rc"
	rm -f "$W/late.img"  # all zeros: the check knows its hash
}
check() {
	db=$W/int.db
	check_eq "SIGINT: record exit status (ended badly: signal)" "$(cat "$W/int.rc")" 1
	check_eq "SIGINT: one line on stderr" "$(grep -c 'stopped by a signal' "$W/int.err")" 1
	check_eq "SIGINT: meta end_reason" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" signal
	check_eq "SIGINT: meta vcpus" "$(q "$db" "SELECT value FROM meta WHERE key='vcpus'")" 2
	gapless "$db"
	$EXITLOG replay "$db" --disk "$W/a-initial.img" --disk "$W/b-initial.img" > "$W/replay.out" 2> "$W/replay.err"
	check_eq "SIGINT: replay exit status" "$?" 0
	echo "  (smp SIGINT: $(q "$db" "SELECT count(*) FROM exits") exits before the signal)"
	db=$W/late.db
	check_eq "late SIGINT: sent while the recorder was finishing" "$(cat "$W/late.sig")" sent
	check_eq "late SIGINT: record exit status (the guest's hlt, a clean end)" "$(cat "$W/late.rc")" 0
	check_eq "late SIGINT: console" "$(cat "$W/late.out")" "Hello from exitlog guest"
	check_eq "late SIGINT: meta end_reason" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" hlt
	check_eq "late SIGINT: disk0 final hash written" \
		"$(q "$db" "SELECT final_sha256 FROM disks WHERE idx=0")" "$(zero_sha $((256 * 2048)))"
	check_eq "late SIGINT: the database was closed (no -wal left)" "$(ls "$db-wal" 2>/dev/null | wc -l)" 0
	check_eq "late SIGINT: the report line on stderr" "$(grep -c 'exits recorded in' "$W/late.err")" 1
}
