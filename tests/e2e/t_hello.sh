# t_hello.sh - samples/guests/hello: console output, exit counts, rows.
record() {
	run rec $EXITLOG record -o "$W/hello.db" $G/hello.bin
}
check() {
	db=$W/hello.db
	check_eq "record exit status" "$(cat "$W/rec.rc")" 0
	check_eq "console output" "$(cat "$W/rec.out")" "Hello from exitlog guest"
	nbytes=$(wc -c < "$W/rec.out")
	check_eq "OUT 0x3f8 rows = console bytes" "$(q "$db" "SELECT count(*) FROM pio WHERE port=1016 AND is_write=1")" "$nbytes"
	check_eq "OUT 0x3f8 bytes, in order" "$(q "$db" "SELECT group_concat(CAST(data AS TEXT),'') FROM (SELECT data FROM pio WHERE port=1016 AND is_write=1 ORDER BY seq)")" "Hello from exitlog guest"
	check_eq "every pio row claimed by com1" "$(q "$db" "SELECT count(*) FROM pio WHERE device IS NOT 'com1'")" 0
	check_eq "IN rows are LSR polls answering THRE|TEMT" "$(q "$db" "SELECT DISTINCT port || ':' || hex(data) FROM pio WHERE is_write=0")" "1021:60"
	check_eq "exits: 25 IN + 25 OUT + 1 HLT" "$(q "$db" "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM exits e LEFT JOIN pio p USING(seq) GROUP BY e.reason, p.is_write ORDER BY e.reason, p.is_write)")" "25,25,1"
	check_eq "last exit is HLT" "$(q "$db" "SELECT reason FROM exits ORDER BY seq DESC LIMIT 1")" 5
	check_eq "meta end_reason" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" hlt
	check_eq "meta schema_version" "$(q "$db" "SELECT value FROM meta WHERE key='schema_version'")" 1
	check_eq "meta kvm_api_version" "$(q "$db" "SELECT value FROM meta WHERE key='kvm_api_version'")" 12
	check_eq "meta guest_sha256" "$(q "$db" "SELECT value FROM meta WHERE key='guest_sha256'")" "$(sha_of $G/hello.bin)"
	check_eq "timings present (t_ns increasing, guest_ns/handle_ns set)" "$(q "$db" "SELECT count(*) FROM exits a JOIN exits b ON b.seq=a.seq+1 WHERE b.t_ns < a.t_ns OR a.guest_ns IS NULL OR a.handle_ns IS NULL")" 0
	gapless "$db"
	check_eq "no -wal/-shm left" "$(ls "$W" | grep -c -e '-wal$' -e '-shm$')" 0
}
