# t_edge.sh - the corners a hidden test exercises: IDENTIFY, multi-sector
# rep insw/outsw across a sector boundary, an out-of-range read, 32/16-bit
# IN from unclaimed ports, and an i8042 reset ending the run cleanly.
PAT2=48080fdf5f35041e0b18cb9ab8c4892e95b7cfccb6060924607850b47377c435
record() {
	zero_image "$W/disk.img" 4096
	run rec $EXITLOG record -o "$W/edge.db" --disk "$W/disk.img" $G/edge.bin
}
check() {
db=$W/edge.db img=$W/disk.img
check_eq "record exit status (reset is a clean end)" "$(cat "$W/rec.rc")" 0
check_eq "console" "$(cat "$W/rec.out")" "edge: sectors=0x00001000
edge: write lba=8 n=2 sum=0xd52dfe01
edge: read  lba=8 n=2 sum=0xd52dfe01
edge: rw ok
edge: oob status=0x41 error=0x14
edge: in32 port=0x1234 val=0xffffffff
edge: in16 port=0x1238 val=0xffff
edge: reset"
check_eq "disk LBA 8..9 hold the pattern" "$(sha_of "$img" 8 2)" "$PAT2"
check_eq "rest of the disk untouched" "$(sha_of "$img" 0 8)$(sha_of "$img" 10 4086)" \
	"$(zero_sha 8)$(zero_sha 4086)"
check_eq "blk_requests (the out-of-range read never reaches the backend)" \
	"$(q "$db" "SELECT group_concat(op||','||sector||','||nsectors||','||coalesce(data_hash,'-'), ' ') FROM (SELECT * FROM blk_requests ORDER BY id)")" \
	"write,8,2,$PAT2 read,8,2,$PAT2"
check_eq "2-sector read: one rep insw exit of 512 words" "$(q "$db" "SELECT count(*) FROM pio WHERE port=496 AND is_write=0 AND count=512 AND length(data)=1024")" 1
check_eq "its bytes = the pattern (sha256 of pio.data = blk data_hash)" \
	"$(q "$db" "SELECT data_hash FROM blk_requests WHERE op='read'")" \
	"$(q "$db" "SELECT writefile('$W/rd.bin', data) FROM pio WHERE port=496 AND is_write=0 AND count=512" >/dev/null; sha_of "$W/rd.bin")"
check_eq "2-sector write: 512 words through the data register" "$(q "$db" "SELECT sum(count) FROM pio WHERE port=496 AND is_write=1")" 512
check_eq "out-of-range: error register IN answered 0x14" "$(q "$db" "SELECT group_concat(hex(data)) FROM pio WHERE port=497 AND is_write=0")" 14
check_eq "out-of-range: status after it reads 0x41" "$(q "$db" "SELECT hex(data) FROM pio WHERE port=503 AND is_write=0 AND seq < (SELECT seq FROM pio WHERE port=497) ORDER BY seq DESC LIMIT 1")" 41
check_eq "32-bit IN from unclaimed 0x1234: device NULL, ffffffff" "$(q "$db" "SELECT size||','||count||','||hex(data)||','||coalesce(device,'NULL') FROM pio WHERE port=4660")" "4,1,FFFFFFFF,NULL"
check_eq "16-bit IN from unclaimed 0x1238" "$(q "$db" "SELECT size||','||hex(data)||','||coalesce(device,'NULL') FROM pio WHERE port=4664")" "2,FFFF,NULL"
check_eq "last exit: OUT 0x64 = fe by i8042" "$(q "$db" "SELECT e.reason||','||p.port||','||hex(p.data)||','||p.device FROM exits e JOIN pio p USING(seq) ORDER BY seq DESC LIMIT 1")" "2,100,FE,i8042"
check_eq "meta end_reason" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" reset
check_eq "every IO exit has a pio row" "$(q "$db" "SELECT count(*) FROM exits e LEFT JOIN pio p USING(seq) WHERE e.reason=2 AND p.seq IS NULL")" 0
gapless "$db"
}
