# t_hostile.sh - samples/guests/virtio-hostile against the virtio-blk model
# on the legacy transport (--virtio-disk IMG,legacy: the IO BAR at 0xc000):
# good requests, requests past the end of the disk, buffers / header / status
# / rings outside guest RAM, bad indexes, looping descriptor chains.  The
# VMM must answer each with a device error (IOERR, or NEEDS_RESET until the
# driver resets the device), never crash, never touch anything but guest RAM
# and the image, end the session cleanly (HLT) and replay it clean.
#
# sha256 of sector 0 of the image ("exitlog-hostile\n" x 32) and of the
# pattern the guest writes to sector 2 (byte i = (i & 0xff) ^ 0x3c):
S0=750fc9085e4870b89fa02a8f51a2b2abfa77dbbe288cf9c84ef40902254995eb
PAT=5f8099e75539cca50d8498cf96206668a12c1fc777575d546f7ed1f0ebde78a2
record() {
	yes exitlog-hostile | head -c 1048576 > "$W/img"
	cp "$W/img" "$W/img0"
	run rec $EXITLOG record -o "$W/h.db" --mem 16 --virtio-disk "$W/img,legacy" $G/virtio-hostile.bin
}
check() {
	db=$W/h.db img=$W/img
	check_eq "record exit status (hlt: clean end)" "$(cat "$W/rec.rc")" 0
	check_eq "record stderr" "$(cat "$W/rec.err")" \
		"exitlog: guest halted (hlt with no interrupt source); $(q "$db" "SELECT count(*) FROM exits") exits recorded in $db"
	check_eq "console" "$(cat "$W/rec.out")" "$HOSTILE_CONSOLE"
	check_eq "initial image = sector 0 text x 2048" "$(sha_of "$W/img0" 0 1)" "$S0"
	check_eq "image: sector 2 holds the pattern" "$(sha_of "$img" 2 1)" "$PAT"
	check_eq "image: everything else unchanged" \
		"$(sha_of "$img" 0 2)$(sha_of "$img" 3 2045)$(wc -c < "$img")" \
		"$(sha_of "$W/img0" 0 2)$(sha_of "$W/img0" 3 2045)1048576"
	check_eq "blk_requests: only the good ones (+ the read of 12, done before its buffer was found outside RAM)" \
		"$(q "$db" "SELECT group_concat(op||','||sector||','||nsectors||','||coalesce(data_hash,'-')||','||status||','||device, ' ') FROM (SELECT * FROM blk_requests ORDER BY id)")" \
		"read,0,1,$S0,0,vblk0 write,2,1,$PAT,0,vblk0 read,2,1,$PAT,0,vblk0 read,0,1,$S0,0,vblk0 read,2,1,$PAT,0,vblk0"
	check_eq "dma rows refused (-EFAULT): the accesses outside RAM, in order" \
		"$(q "$db" "SELECT group_concat(printf('%s:%x:%d:%d:%s', device, gpa, len, is_write, coalesce(data,'nodata')), ' ') FROM (SELECT * FROM dma WHERE status <> 0 ORDER BY id)")" \
		"vblk0:f0000000:512:0:nodata vblk0:ffff00:512:0:nodata vblk0:f0000000:512:1:nodata vblk0:f0000000:16:0:nodata vblk0:f0000000:1:1:nodata vblk0:f0001000:4:0:nodata"
	check_eq "refused dma rows are all -EFAULT" "$(q "$db" "SELECT group_concat(DISTINCT status) FROM dma WHERE status <> 0")" -14
	check_eq "each hostile request (04-21) logged as a device error in exit_info" "$(q "$db" "SELECT count(*) || ':' || group_concat(DISTINCT code) FROM (SELECT code FROM exit_info WHERE detail LIKE 'vblk0.queue_notify write 0xc010:%' ORDER BY code DESC)")" "18:-5,-14,-22,-40"
	check_eq "legacy-only board: requests complete inside the notify (no IO threads, no events)" "$(q "$db" "SELECT coalesce((SELECT value FROM meta WHERE key='blk_async'), 0) || ':' || (SELECT count(*) FROM events)")" "0:0"
	check_eq "meta device_errors = refused dma rows + refused accesses" "$(q "$db" "SELECT value FROM meta WHERE key='device_errors'")" "$(q "$db" "SELECT (SELECT count(*) FROM dma WHERE status<0) + (SELECT count(*) FROM exit_info)")"
	check_eq "every dma row that went through lies inside the 16 MiB of RAM, with its bytes" \
		"$(q "$db" "SELECT count(*) FROM dma WHERE status = 0 AND (gpa + len > 16777216 OR length(data) <> len)")" 0
	check_eq "descriptor reads per notify: 3 per served chain (01-14), 1 for next=qsize (19), the loops stop at the queue size (20, 21: 256)" \
		"$(q "$db" "SELECT group_concat(n, ',') FROM (SELECT count(*) AS n FROM dma WHERE gpa >= 53248 AND gpa < 57344 AND len = 16 GROUP BY seq ORDER BY seq)")" \
		"3,3,3,3,3,3,3,3,3,3,3,3,3,3,1,256,256,3"
	check_eq "data moved between RAM and the device: the good requests' 512 bytes, the id of 14, nothing else" \
		"$(q "$db" "SELECT group_concat(printf('%s%x:%d:%d', CASE is_write WHEN 1 THEN 'W' ELSE 'R' END, gpa, len, status), ' ') FROM (SELECT * FROM dma WHERE len >= 20 ORDER BY id)")" \
		"W9000:512:0 Ra000:512:0 W9000:512:0 Rf0000000:512:-14 Rffff00:512:-14 Wf0000000:512:-14 W9000:20:0 W9000:512:0"
	check_eq "irqs: line 11 raised by each completion / config interrupt, lowered by each ISR read" \
		"$(q "$db" "SELECT count(*)||','||sum(level)||','||min(line)||','||max(line)||','||group_concat(DISTINCT device) FROM irqs")" "42,21,11,11,vblk0"
	check_eq "exit count (6322: see samples/guests/README.md)" "$(q "$db" "SELECT count(*) FROM exits")" 6322
	check_eq "meta end_reason" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" hlt
	check_eq "last exit HLT" "$(q "$db" "SELECT reason FROM exits ORDER BY seq DESC LIMIT 1")" 5
	check_eq "IO exits = pio rows" "$(q "$db" "SELECT count(*) FROM exits WHERE reason=2")" "$(q "$db" "SELECT count(*) FROM pio")"
	check_eq "virtio BAR rows all claimed by vblk0" "$(q "$db" "SELECT count(*) FROM pio WHERE port BETWEEN 49152 AND 49215 AND device IS NOT 'vblk0'")" 0
	check_eq "queue notifies (one per request)" "$(q "$db" "SELECT count(*) FROM pio WHERE port=49168 AND is_write=1")" 22
	check_eq "disks table (final hash = the image)" \
		"$(q "$db" "SELECT device||','||kind||','||sectors||','||(final_sha256 = '$(sha_of "$img")')||','||(initial_sha256 = '$(sha_of "$W/img0")') FROM disks")" \
		"vblk0,virtio-legacy,2048,1,1"
	gapless "$db"
	sha0=$(sha_of "$W/img0")
	run replay $EXITLOG replay "$db" --disk "$W/img0"
	check_eq "replay exit status (0 = clean)" "$(cat "$W/replay.rc")" 0
	if grep -q "dma: clean" "$W/replay.out"; then ok "replay: $(cat "$W/replay.out")"
	else fail "replay: $(cat "$W/replay.out" "$W/replay.err")"; fi
	check_eq "replay left img0 unchanged" "$(sha_of "$W/img0")" "$sha0"
}

# The console, byte for byte (see samples/guests/README.md, virtio-hostile).
HOSTILE_CONSOLE="virtio: pci 00:01.0 id=0x10011af4 subsys=0x00021af4 bar0=0x0000c001 irq=0x0b
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 01 read lba=0: st=0x00 used=0x0001 len=0x00000201 isr=0x01 dev=0x07 sum=0x2266c560 text ok
hostile: 02 write lba=2: st=0x00 used=0x0002 len=0x00000001 isr=0x01 dev=0x07 sum=0x25daff00
hostile: 03 read lba=2: st=0x00 used=0x0003 len=0x00000201 isr=0x01 dev=0x07 sum=0x25daff00 data ok
hostile: 04 read lba=capacity: st=0x01 used=0x0004 len=0x00000001 isr=0x01 dev=0x07 sum=0x00000000
hostile: 05 read n=2 lba=capacity-1: st=0x01 used=0x0005 len=0x00000001 isr=0x01 dev=0x07 sum=0x00000000
hostile: 06 read lba=0xffffffffffffffff: st=0x01 used=0x0006 len=0x00000001 isr=0x01 dev=0x07 sum=0x00000000
hostile: 07 read len=0xfffffe00: st=0x01 used=0x0007 len=0x00000001 isr=0x01 dev=0x07 sum=0x00000000
hostile: 08 write lba=0 len=0x00080200: st=0x01 used=0x0008 len=0x00000001 isr=0x01 dev=0x07
hostile: 09 write lba=3 data@0x00000000f0000000: st=0x01 used=0x0009 len=0x00000001 isr=0x01 dev=0x07
hostile: 10 write lba=3 data@0x0000000000ffff00: st=0x01 used=0x000a len=0x00000001 isr=0x01 dev=0x07
hostile: 11 write lba=3 data@0xffffffffffffff00: st=0x01 used=0x000b len=0x00000001 isr=0x01 dev=0x07
hostile: 12 read lba=0 data@0x00000000f0000000: st=0x01 used=0x000c len=0x00000001 isr=0x01 dev=0x07
hostile: 13 read lba=0 header@0x00000000f0000000: st=0x01 used=0x000d len=0x00000001 isr=0x01 dev=0x07 sum=0x00000000
hostile: 14 get-id status@0x00000000f0000000: st=0xff used=0x000d len=0x00000001 isr=0x02 dev=0x47 id=exitlog-vblk0
hostile: 15 read lba=2 while NEEDS_RESET: st=0xff used=0x000d len=0x00000001 isr=0x00 dev=0x47 sum=0x00000000
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 16 queue pfn=0x000f0000: st=0xff used=0x0000 len=0x00000000 isr=0x02 dev=0x47
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 17 avail idx=qsize+1: st=0xff used=0x0000 len=0x00000000 isr=0x02 dev=0x47
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 18 head=qsize: st=0xff used=0x0000 len=0x00000000 isr=0x02 dev=0x47
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 19 next=qsize: st=0xff used=0x0000 len=0x00000000 isr=0x02 dev=0x47
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 20 loop 0->1->0 (readable): st=0xff used=0x0000 len=0x00000000 isr=0x02 dev=0x47
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 21 loop 0->1->1 (writable): st=0xff used=0x0000 len=0x00000000 isr=0x02 dev=0x47 sum=0x00000000
virtio: init features=0x00000206 qsize=0x0100 pfn=0x0000000d status=0x07 capacity=0x0000000000000800
hostile: 22 read lba=2: st=0x00 used=0x0001 len=0x00000201 isr=0x01 dev=0x07 sum=0x25daff00 data ok
hostile: done"
