# t_ata_rw.sh - samples/guests/ata-rw on a zeroed 8192-sector image: console,
# disk bytes, and the pio/blk rows of the IDE PIO path.
# sha256 of the pattern the guest writes to LBA 1..4 (byte i of sector s =
# ((s*7+i)&0xff)^0x5a), and of one zero sector:
PAT=d2daa79f767a17e168aab2fa258a7db11834eba95731cff5fd915595ffa71309
ZERO=076a27c79e5ace2a3d47f9dd2e83e4ff6ea8872b3c2218f66c92b89b55f36560
record() {
	zero_image "$W/disk.img" 8192
	run rec $EXITLOG record -o "$W/ata.db" --disk "$W/disk.img" $G/ata-rw.bin
}
check() {
	db=$W/ata.db img=$W/disk.img
	check_eq "record exit status" "$(cat "$W/rec.rc")" 0
	check_eq "console" "$(cat "$W/rec.out")" "ata: sectors=0x00002000
ata: write lba=1 n=4 sum=0xd599fc03
ata: read  lba=1 n=4 sum=0xd599fc03
ata: read  lba=0 n=1 sum=0x00000000
ata: ok"
	check_eq "disk LBA 1..4 hold the pattern" "$(sha_of "$img" 1 4)" "$PAT"
	check_eq "disk LBA 0 untouched" "$(sha_of "$img" 0 1)" "$ZERO"
	check_eq "disk LBA 5.. untouched" "$(sha_of "$img" 5 8187)" "$(zero_sha 8187)"
	check_eq "blk_requests" "$(q "$db" "SELECT group_concat(op||','||sector||','||nsectors||','||coalesce(data_hash,'-')||','||status||','||device, ' ') FROM (SELECT * FROM blk_requests ORDER BY id)")" \
		"write,1,4,$PAT,0,ata0 flush,0,0,-,0,ata0 read,1,4,$PAT,0,ata0 read,0,1,$ZERO,0,ata0"
	check_eq "write request issued by the last data OUT (0x1f0)" "$(q "$db" "SELECT p.port || ':' || p.is_write || ':' || (p.seq = (SELECT max(seq) FROM pio WHERE port=496 AND is_write=1)) FROM blk_requests b JOIN pio p USING(seq) WHERE b.op='write'")" "496:1:1"
	check_eq "read requests issued by the command OUT (0x1f7 = 0x20)" "$(q "$db" "SELECT group_concat(p.port || ':' || hex(p.data)) FROM blk_requests b JOIN pio p USING(seq) WHERE b.op='read'")" "503:20,503:20"
	# KVM hands `rep outsw` to userspace one word per exit (`rep insw` is batched)
	check_eq "data-register OUT words and bytes (4 sectors)" "$(q "$db" "SELECT sum(count) || ',' || sum(length(data)) || ',' || min(size) || ',' || max(size) FROM pio WHERE port=496 AND is_write=1")" "1024,2048,2,2"
	check_eq "every pio row holds size*count bytes" "$(q "$db" "SELECT count(*) FROM pio WHERE length(data) <> size*count")" 0
	check_eq "first data OUT bytes = pattern start" "$(q "$db" "SELECT hex(substr(data,1,2)) FROM pio WHERE port=496 AND is_write=1 ORDER BY seq LIMIT 1")" "5A5B"
	check_eq "rep insw rows (IDENTIFY + 4 + 1 sectors)" "$(q "$db" "SELECT count(*) FROM pio WHERE port=496 AND is_write=0 AND size=2 AND count=256 AND length(data)=512")" 6
	check_eq "IDENTIFY words 60-61 in the logged IN data" "$(q "$db" "SELECT hex(substr(data,121,4)) FROM pio WHERE port=496 AND is_write=0 ORDER BY seq LIMIT 1")" "00200000"
	check_eq "IDENTIFY word 0 (ATA device)" "$(q "$db" "SELECT hex(substr(data,1,2)) FROM pio WHERE port=496 AND is_write=0 ORDER BY seq LIMIT 1")" "4000"
	check_eq "all 0x1f0-0x1f7/0x3f6 rows claimed by ata0" "$(q "$db" "SELECT count(*) FROM pio WHERE (port BETWEEN 496 AND 503 OR port=1014) AND device IS NOT 'ata0'")" 0
	check_eq "commands written (IDENTIFY, WRITE, FLUSH, READ, READ)" "$(q "$db" "SELECT group_concat(hex(data),',') FROM (SELECT data FROM pio WHERE port=503 AND is_write=1 ORDER BY seq)")" "EC,30,E7,20,20"
	check_eq "status polls: the minimum (commands complete at once)" "$(q "$db" "SELECT count(*) FROM pio WHERE port=503 AND is_write=0")" 17
	check_eq "nIEN set: no IRQ rows" "$(q "$db" "SELECT count(*) FROM irqs")" 0
	check_eq "console OUTs = console bytes" "$(q "$db" "SELECT count(*) FROM pio WHERE port=1016 AND is_write=1")" "$(wc -c < "$W/rec.out")"
	check_eq "exit count (1359: see samples/guests/README.md)" "$(q "$db" "SELECT count(*) FROM exits")" 1359
	check_eq "disks table" "$(q "$db" "SELECT device||','||kind||','||sectors||','||(final_sha256 = '$(sha_of "$img")')||','||initial_sha256 FROM disks")" "ata0,ide,8192,1,$(zero_sha 8192)"
	check_eq "IO exits = pio rows" "$(q "$db" "SELECT count(*) FROM exits WHERE reason=2")" "$(q "$db" "SELECT count(*) FROM pio")"
	check_eq "last exit HLT" "$(q "$db" "SELECT reason FROM exits ORDER BY seq DESC LIMIT 1")" 5
	gapless "$db"
	. tests/browser/e2e.sh && check_pictures "$db"
}
