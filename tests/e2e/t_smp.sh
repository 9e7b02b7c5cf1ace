# t_smp.sh - the sample Linux guest on 2 vCPUs (record --cpus 2, MP
# tables): with exitlog.smp on its command line the init runs one dd writer
# per CPU at once (taskset -c) on /dev/sda (IDE) and /dev/vda (virtio-blk),
# then reads every region back, again one reader per CPU.  The data must be
# right on the guest and on the images, the guest must see 2 CPUs, both
# vCPUs must have IO exits, seq must be gapless, and the replay must be
# clean.  (t_smp_int.sh stops such a recording with SIGINT.)
LIMIT=600
APPEND="console=ttyS0 reboot=k panic=-1 exitlog.smp"
record() {
	for d in a b; do
		dd if=/dev/zero of="$W/$d.img" bs=1M count=64 status=none
		cp "$W/$d.img" "$W/$d-initial.img"
	done
	start=$(date +%s)
	run rec $EXITLOG record --cpus 2 -o "$W/smp.db" --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd build/guest/initrd.img --append "$APPEND" build/guest/vmlinuz
	echo $(($(date +%s) - start)) > "$W/rec.secs"
}
# smp_pattern DEV CPU - md5 of the 64 KiB the init writes for that CPU
smp_pattern() { yes "exitlog-smp-$1-cpu$2" | head -c 65536 | md5sum | cut -d' ' -f1; }
pattern() { yes "exitlog-$1" | head -c 65536 | md5sum | cut -d' ' -f1; }
check() {
	db=$W/smp.db
	out=$(tr -d '\r' < "$W/rec.out")
	check_eq "record exit status" "$(cat "$W/rec.rc")" 0
	check_eq "guest sees 2 CPUs (/proc/cpuinfo, online)" "$(echo "$out" | grep '^guest: smp cpus=')" "guest: smp cpus=2 online=0-1"
	check_eq "sda (single writer)" "$(echo "$out" | grep '^guest: sda')" "guest: sda ok sectors=131072 md5=$(pattern sda)"
	check_eq "vda (single writer)" "$(echo "$out" | grep '^guest: vda')" "guest: vda ok sectors=131072 md5=$(pattern vda)"
	for dev in sda vda; do
		for c in 0 1; do
			check_eq "$dev: writer and reader on CPU $c" "$(echo "$out" | grep "^guest: smp $dev cpu$c ")" "guest: smp $dev cpu$c ok md5=$(smp_pattern $dev $c)"
		done
	done
	check_eq "init finished" "$(echo "$out" | grep -c '^guest: done')" 1
	for c in 0 1; do
		check_eq "a.img holds CPU $c's pattern" "$(dd if="$W/a.img" bs=4096 skip=$((64 + 16 * c)) count=16 status=none | md5sum | cut -d' ' -f1)" "$(smp_pattern sda $c)"
		check_eq "b.img holds CPU $c's pattern" "$(dd if="$W/b.img" bs=4096 skip=$((64 + 16 * c)) count=16 status=none | md5sum | cut -d' ' -f1)" "$(smp_pattern vda $c)"
	done
	check_eq "meta vcpus" "$(q "$db" "SELECT value FROM meta WHERE key='vcpus'")" 2
	check_eq "meta end_reason (reboot=k: i8042 reset)" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" reset
	check_eq "meta ring_waits per vCPU" "$(q "$db" "SELECT group_concat(key) FROM (SELECT key FROM meta WHERE key LIKE 'ring_waits.vcpu%' ORDER BY key)")" "ring_waits.vcpu0,ring_waits.vcpu1"
	gapless "$db"
	check_eq "exits.vcpu in 0..1, both present" "$(q "$db" "SELECT group_concat(vcpu) FROM (SELECT DISTINCT vcpu FROM exits ORDER BY vcpu)")" "0,1"
	check_eq "port IO exits from both vCPUs" "$(q "$db" "SELECT count(DISTINCT e.vcpu) FROM exits e JOIN pio USING(seq)")" 2
	check_ge "vCPU 1's port IO exits" "$(q "$db" "SELECT count(*) FROM exits e JOIN pio USING(seq) WHERE e.vcpu=1")" 10
	check_ge "IDE write requests of the SMP regions" "$(q "$db" "SELECT sum(nsectors) FROM blk_requests WHERE device='ata0' AND op='write' AND status=0 AND sector >= 512 AND sector < 768")" 256
	check_ge "virtio write requests of the SMP regions" "$(q "$db" "SELECT sum(nsectors) FROM blk_requests WHERE device='vblk0' AND op='write' AND status=0 AND sector >= 512 AND sector < 768")" 256
	check_eq "no device errors" "$(q "$db" "SELECT value FROM meta WHERE key='device_errors'")" 0
	$EXITLOG replay "$db" --disk "$W/a-initial.img" --disk "$W/b-initial.img" > "$W/replay.out" 2> "$W/replay.err"
	check_eq "replay of the SMP boot: exit status" "$?" 0
	check_eq "replay: clean, both final hashes match" "$(grep -c 'clean; disk 0 final sha256 matches; disk 1 final sha256 matches' "$W/replay.out")" 1
	check_eq "replay left the initial images untouched" "$(sha_of "$W/a-initial.img")$(sha_of "$W/b-initial.img")" "$(zero_sha 131072)$(zero_sha 131072)"
	$EXITLOG stat "$db" --vcpu 1 --format csv > "$W/stat1.csv" 2> "$W/stat1.err"
	check_eq "stat --vcpu 1: exit status" "$?" 0
	echo "  (smp: $(q "$db" "SELECT count(*) FROM exits") exits, by vCPU $(q "$db" "SELECT group_concat(n) FROM (SELECT count(*) n FROM exits GROUP BY vcpu ORDER BY vcpu)"), $(cat "$W/rec.secs") s wall in the sandbox; blk requests by vCPU $(q "$db" "SELECT group_concat(v || ':' || n) FROM (SELECT e.vcpu v, count(*) n FROM blk_requests b JOIN exits e USING(seq) GROUP BY e.vcpu)"))"
}
