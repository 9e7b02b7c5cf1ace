# t_storm.sh - the exit storm: 40000 OUTs to the unclaimed port 0x404, with
# and without recording.
record() {
	run rec $EXITLOG record -o "$W/storm.db" $G/storm.bin
	(cd "$W" && run nolog "$OLDPWD/$EXITLOG" record --no-log "$OLDPWD/$G/storm.bin")
}
check() {
	db=$W/storm.db
	check_eq "record exit status" "$(cat "$W/rec.rc")" 0
	check_eq "console" "$(cat "$W/rec.out")" "storm: done"
	check_eq "OUT 0x404 rows, unclaimed (device NULL)" "$(q "$db" "SELECT count(*) || ',' || count(device) FROM pio WHERE port=1028 AND is_write=1")" "40000,0"
	check_eq "OUT data: low byte of the remaining count" "$(q "$db" "SELECT hex(data) FROM pio WHERE port=1028 ORDER BY seq LIMIT 2")" "$(printf '40\n3F')"
	check_eq "exits = 40000 + 25 console" "$(q "$db" "SELECT count(*) FROM exits")" 40025
	gapless "$db"
	check_eq "--no-log exit status" "$(cat "$W/nolog.rc")" 0
	check_eq "--no-log console" "$(cat "$W/nolog.out")" "storm: done"
	check_eq "--no-log wrote no database" "$(ls "$W" | grep -c '^exitlog.db')" 0
}
