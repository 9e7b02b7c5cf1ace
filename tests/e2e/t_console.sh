# t_console.sh - console input (issue 13): Debian's kernel with the sample
# initramfs in exitlog.mode=shell prints "guest: shell ready" and runs an
# interactive busybox shell on ttyS0.  The recorder's stdin is a fifo; the
# test types each command only after the guest has printed the line before
# it (the marker, then each command's output; the tty holds typed bytes
# until the shell reads them), and the session ends with a typed
# `reboot -f`.  Checks: the output, the console_in events hold
# exactly the typed bytes, seq gapless over exits and events, clean replay.
LIMIT=420
APPEND="console=ttyS0 reboot=k panic=-1 exitlog.mode=shell"
TYPED='echo typed-$((6*7))
echo second-$((2+3)) | tr a-z A-Z
reboot -f
'
# feed - read the console output line by line as it comes (shell builtins
# only: no polling, no processes: in the sandbox those cost a lot) and type
# each command into the fifo (fd 3) once the line before it has appeared:
# the marker, then each command's output
feed() {
	step=0
	while IFS= read -r line; do
		case $step:$line in
		0:"guest: shell ready"*) printf 'echo typed-$((6*7))\n' >&3; step=1 ;;
		1:typed-42*) printf 'echo second-$((2+3)) | tr a-z A-Z\n' >&3; step=2 ;;
		2:SECOND-5*) printf 'reboot -f\n' >&3; step=3 ;;
		esac
	done
}
record() {
	rm -f "$W/in"
	mkfifo "$W/in"
	exec 3<>"$W/in" # the writer stays open: no EOF until the end
	{ timeout 360 $EXITLOG record -o "$W/console.db" --initrd build/guest/initrd.img \
		--append "$APPEND" build/guest/vmlinuz < "$W/in" 2> "$W/rec.err"
	  echo $? > "$W/rec.rc"; } | tee "$W/rec.out" | feed
	exec 3>&-
	rm -f "$W/in" # a fifo does not copy out of the sandbox
}
check() {
	db=$W/console.db
	out=$(tr -d '\r' < "$W/rec.out")
	check_eq "record exit status" "$(cat "$W/rec.rc")" 0
	check_eq "the marker" "$(echo "$out" | grep -c '^guest: shell ready')" 1
	check_eq "first command's output" "$(echo "$out" | grep -c '^typed-42$')" 1
	check_eq "second command's output" "$(echo "$out" | grep -c '^SECOND-5$')" 1
	check_eq "meta end_reason (typed reboot -f, reboot=k)" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" reset
	gapless "$db"
	want=$(printf '%s' "$TYPED" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
	check_eq "console_in events hold the typed bytes, in order" "$(q "$db" "SELECT hex(group_concat(CAST(data AS TEXT), '')) FROM (SELECT data FROM events WHERE kind='console_in' ORDER BY seq)")" "$want"
	check_ge "chunks (each one an event)" "$(q "$db" "SELECT count(*) FROM events WHERE kind='console_in' AND device='com1'")" 3
	check_eq "no chunk larger than the UART's FIFO" "$(q "$db" "SELECT count(*) FROM events WHERE kind='console_in' AND length(data) > 16")" 0
	timeout 300 $EXITLOG replay "$db" > "$W/replay.out" 2> "$W/replay.err"
	check_eq "replay: exit status" "$?" 0
	check_eq "replay: clean" "$(grep -c ': clean' "$W/replay.out")" 1
	echo "  (console: $(q "$db" "SELECT count(*) FROM exits") exits, $(q "$db" "SELECT count(*) FROM events") events)"
}
