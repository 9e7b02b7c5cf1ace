# t_smp_int.sh - Ctrl-C on an SMP recording: the sample Linux guest on 2
# vCPUs (as t_smp.sh) gets SIGINT once the recording has started (its
# -wal file exists) and run a while: every vCPU thread stops (the harness
# fails the test for anything left behind), the recording is closed with
# end_reason signal and exit status 1, its seq is gapless and it replays
# clean.
LIMIT=420
APPEND="console=ttyS0 reboot=k panic=-1 exitlog.smp"
record() {
	for d in a b; do
		dd if=/dev/zero of="$W/$d.img" bs=1M count=64 status=none
		cp "$W/$d.img" "$W/$d-initial.img"
	done
	$EXITLOG record --cpus 2 -o "$W/int.db" --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd build/guest/initrd.img --append "$APPEND" build/guest/vmlinuz \
		> "$W/int.out" 2> "$W/int.err" &
	pid=$!
	i=0
	while [ $i -lt 900 ] && [ ! -e "$W/int.db-wal" ] && kill -0 $pid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	sleep 30
	kill -INT $pid
	wait $pid
	echo $? > "$W/int.rc"
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
}
