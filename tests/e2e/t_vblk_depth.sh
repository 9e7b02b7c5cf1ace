# t_vblk_depth.sh - queue depth on virtio-blk (issue 18): Debian's kernel
# with build/guest/initrd-aio.img (samples/linux/build-aio-guest.sh) on 2
# vCPUs runs aiodepth on /dev/vda and /dev/vdb at once: 16 O_DIRECT 4 KiB
# Linux-AIO requests in flight per disk (one io_submit of 16, refilled from
# the completions), random reads and writes over the first MiB, every read
# verified, then a full read-back.  The disks are modern virtio-pci, so the
# requests complete on the recorder's IO threads while the vCPUs run: the
# driver's virtblk_done (callbacks off, reap, callbacks on, check used->idx)
# on one vCPU races completions and the other vCPU's notifies, the case
# issue 18's rule is about.  The guest reboots (reboot=k) when done; a
# device model that loses a completion or an interrupt hangs the guest,
# which the `timeout` around the record turns into a failed check.  Every
# completion is also held to virtio 2.7.7.2 from the log (vring_irq_rule,
# lib.sh: the avail flags judged after the used ring, and an interrupt when
# they allow it), which the pre-fix model fails on every request
# (docs/virtio-blk.md).  Then replay the whole session against the initial
# images.
# (~130 s in the sandbox; the harness's limit is above the record's timeout)
LIMIT=420
APPEND="console=ttyS0 reboot=k panic=-1 aiodepth=256,768,1,16"
record() {
	for d in a b; do
		dd if=/dev/zero of="$W/$d.img" bs=1M count=8 status=none
		cp "$W/$d.img" "$W/$d-initial.img"
	done
	run rec timeout 360 $EXITLOG record -o "$W/depth.db" --cpus 2 --virtio-disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd build/guest/initrd-aio.img --append "$APPEND" build/guest/vmlinuz
}
check() {
	db=$W/depth.db
	out=$(tr -d '\r' < "$W/rec.out")
	check_eq "record exit status (124: timed out, the guest hung)" "$(cat "$W/rec.rc")" 0
	for d in vda vdb; do
		check_eq "aiodepth on $d" "$(echo "$out" | grep "^guest: aiodepth: /dev/$d" | sed 's/ writes=.*//')" "guest: aiodepth: /dev/$d ok"
		check_eq "$d: 16 requests in flight, handed over by one io_submit" "$(echo "$out" | grep "^guest: aiodepth: /dev/$d ok" | sed 's/.* maxdepth=//')" "16 batch=16"
	done
	check_eq "init finished" "$(echo "$out" | grep -c '^guest: done')" 1
	check_eq "meta end_reason (reboot=k: i8042 reset)" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" reset
	check_eq "a.img's first MiB is what the guest read back" "$(dd if="$W/a.img" bs=4096 count=256 status=none | md5sum | cut -d' ' -f1)" "$(echo "$out" | sed -n 's/^guest: vda md5 //p')"
	check_eq "b.img's first MiB is what the guest read back" "$(dd if="$W/b.img" bs=4096 count=256 status=none | md5sum | cut -d' ' -f1)" "$(echo "$out" | sed -n 's/^guest: vdb md5 //p')"
	gapless "$db"
	for d in vblk0:vda vblk1:vdb; do
		dev=${d%:*} g=${d#*:}
		line=$(echo "$out" | grep "^guest: aiodepth: /dev/$g ok")
		w=$(echo "$line" | sed -n 's/.* writes=\([0-9]*\).*/\1/p')
		r=$(echo "$line" | sed -n 's/.* reads=\([0-9]*\).*/\1/p')
		# the block layer merges neighbours (mq-deadline), so count sectors:
		# every aiodepth write and nothing else; reads also include the
		# partition scan and the md5 read-back
		check_eq "$dev: written sectors = aiodepth's 4 KiB writes x 8" "$(q "$db" "SELECT sum(nsectors) FROM blk_requests WHERE device='$dev' AND op='write' AND status=0")" "$((${w:-0} * 8))"
		check_ge "$dev: read sectors >= aiodepth's 4 KiB reads x 8" "$(q "$db" "SELECT sum(nsectors) FROM blk_requests WHERE device='$dev' AND op='read' AND status=0")" "$((${r:-1} * 8))"
		# (16 per io_submit; with 2 vCPUs a notify may also take chains the
		# other vCPU made available meanwhile)
		check_ge "$dev: 16 chains served by one notify" "$(q "$db" "SELECT max(n) FROM (SELECT count(*) n FROM blk_requests WHERE device='$dev' GROUP BY seq)")" 16
		check_ge "$dev: interrupts raised" "$(q "$db" "SELECT count(*) FROM irqs WHERE device='$dev' AND level=1")" 20
		check_ge "$dev: completions delivered as events, after their notify" "$(q "$db" "SELECT count(*) FROM blk_requests WHERE device='$dev' AND done_seq > seq")" 100
		check_eq "$dev: 2.7.7.2 on every used->idx update (no avail-flags read after it, notification owed but not sent)" "$(vring_irq_rule "$db" "$dev")" "0 0"
	done
	check_eq "both vCPUs ran (exits from each)" "$(q "$db" "SELECT count(DISTINCT vcpu) FROM exits")" 2
	check_eq "no device errors" "$(q "$db" "SELECT value FROM meta WHERE key='device_errors'")" 0
	timeout 300 $EXITLOG replay "$db" --disk "$W/a-initial.img" --disk "$W/b-initial.img" > "$W/replay.out" 2> "$W/replay.err"
	check_eq "replay of the whole session: exit status" "$?" 0
	check_eq "replay: clean, both final hashes match" "$(grep -c 'clean; disk 0 final sha256 matches; disk 1 final sha256 matches' "$W/replay.out")" 1
	echo "  (vblk depth: $(q "$db" "SELECT count(*) FROM exits") exits, $(q "$db" "SELECT count(*) FROM blk_requests") blk requests, $(q "$db" "SELECT (max(t_ns)/1000000000) FROM exits") s of guest time)"
}
