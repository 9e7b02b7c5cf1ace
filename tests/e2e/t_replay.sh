# t_replay.sh - determinism: every sample recording replays clean with no KVM;
# the original images are untouched; a hand-changed IN value is caught and
# named by its seq; a replay of a replay's output is identical.
record() {
	zero_image "$W/disk.img" 8192
	cp "$W/disk.img" "$W/disk0.img"
	run ata $EXITLOG record -o "$W/ata.db" --disk "$W/disk.img" $G/ata-rw.bin
	zero_image "$W/edisk.img" 4096
	cp "$W/edisk.img" "$W/edisk0.img"
	run edge $EXITLOG record -o "$W/edge.db" --disk "$W/edisk.img" $G/edge.bin
	run hello $EXITLOG record -o "$W/hello.db" $G/hello.bin
	run storm $EXITLOG record -o "$W/storm.db" $G/storm.bin
}
check() {
	zsha=$(zero_sha 8192)
	for t in ata edge hello storm; do
		check_eq "$t recorded" "$(cat "$W/$t.rc")" 0
	done
	expect_replay() { # WHAT WANT_STATUS ARGS...
		what=$1 want=$2; shift 2
		$EXITLOG replay "$@" > "$W/r.out" 2> "$W/r.err"
		check_eq "$what: exit status" "$?" "$want"
	}
	expect_replay "ata-rw replays clean" 0 "$W/ata.db" --disk "$W/disk0.img"
	check_eq "ata-rw replay summary" "$(grep -c ': clean; disk 0 final sha256 matches' "$W/r.out")" 1
	check_eq "original image untouched by replay" "$(sha_of "$W/disk0.img")" "$zsha"
	expect_replay "edge replays clean (i8042 reset compared)" 0 "$W/edge.db" --disk "$W/edisk0.img"
	expect_replay "hello replays clean" 0 "$W/hello.db"
	expect_replay "storm replays clean (40025 exits)" 0 "$W/storm.db"
	check_eq "storm replay counted every exit" "$(grep -c '^replay: 40025 exits' "$W/r.out")" 1

	# a changed IN value: the 3rd status-register read
	cp "$W/ata.db" "$W/bad.db"
	seq=$(q "$W/bad.db" "SELECT seq FROM pio WHERE port=503 AND is_write=0 ORDER BY seq LIMIT 1 OFFSET 2")
	q "$W/bad.db" "UPDATE pio SET data=x'd0' WHERE seq=$seq"
	expect_replay "changed IN value" 1 "$W/bad.db" --disk "$W/disk0.img"
	check_eq "the report names seq $seq, the device and both bytes" "$(grep -c "divergence at seq $seq .*ata0.*0x1f7.*expected d0 got 50" "$W/r.out")" 1
	# a changed block data hash
	cp "$W/ata.db" "$W/bad2.db"
	q "$W/bad2.db" "UPDATE blk_requests SET data_hash='00' || substr(data_hash,3) WHERE op='write'"
	expect_replay "changed blk data hash" 1 "$W/bad2.db" --disk "$W/disk0.img"
	# wrong disk, missing disk, damaged databases: exit 2, nothing written
	expect_replay "replay with the written (final) image: hash refused" 2 "$W/ata.db" --disk "$W/disk.img"
	check_eq "one-line refusal" "$(wc -l < "$W/r.err")" 1
	expect_replay "missing disk image" 2 "$W/ata.db" --disk "$W/nosuch.img"
	head -c 20000 "$W/ata.db" > "$W/trunc.db"
	expect_replay "truncated DB" 2 "$W/trunc.db"
	check_eq "truncated DB: one line" "$(wc -l < "$W/r.err")" 1
	echo "not a database" > "$W/text.db"
	expect_replay "foreign file" 2 "$W/text.db"
	cp "$W/hello.db" "$W/newer.db"
	q "$W/newer.db" "UPDATE meta SET value='99' WHERE key='schema_version'"
	expect_replay "newer schema_version" 2 "$W/newer.db"
	check_eq "newer schema: says so" "$(grep -c 'schema_version 99' "$W/r.err")" 1
	check_eq "no DB modified by refusals" "$(q "$W/newer.db" "SELECT value FROM meta WHERE key='schema_version'")" 99
	# --until stops at a seq
	expect_replay "--until 100" 0 "$W/ata.db" --disk "$W/disk0.img" --until 100
	# replay of a replay's output is identical
	$EXITLOG replay "$W/ata.db" --disk "$W/disk0.img" -o "$W/r1.db" > /dev/null 2>&1
	$EXITLOG replay "$W/r1.db" --disk "$W/disk0.img" -o "$W/r2.db" > /dev/null 2>&1
	for tbl in exits pio blk_requests irqs dma; do
		d1=$(sqlite3 "$W/r1.db" "SELECT * FROM $tbl" | sha256sum)
		d2=$(sqlite3 "$W/r2.db" "SELECT * FROM $tbl" | sha256sum)
		d0=$(sqlite3 "$W/ata.db" "SELECT * FROM $tbl" | sha256sum)
		check_eq "$tbl: recording = replay = replay of replay" "$d0 $d1" "$d1 $d2"
	done
}
