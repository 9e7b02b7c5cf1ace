# t_linux.sh - boot Debian's own kernel (build/guest/vmlinuz) with the
# sample initramfs (make linux-guest): it loads pata_legacy and virtio_blk
# (the virtio disk on the default, modern virtio-pci transport: MMIO),
# writes a pattern to /dev/sda and /dev/vda, reads it back and reboots with
# reboot=k (i8042 reset: a clean end).  Then replay the whole session.
LIMIT=420
APPEND="console=ttyS0 reboot=k panic=-1"
record() {
	for d in a b; do
		dd if=/dev/zero of="$W/$d.img" bs=1M count=64 status=none
		cp "$W/$d.img" "$W/$d-initial.img"
	done
	run rec $EXITLOG record -o "$W/linux.db" --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd build/guest/initrd.img --append "$APPEND" build/guest/vmlinuz
}
# pattern TAG - md5 of the 64 KiB the init writes at byte 65536 of a disk
pattern() { yes "exitlog-$1" | head -c 65536 | md5sum | cut -d' ' -f1; }
check() {
	db=$W/linux.db
	check_eq "record exit status" "$(cat "$W/rec.rc")" 0
	check_eq "init ran" "$(grep -c '^guest: init started' "$W/rec.out")" 1
	check_eq "sda (IDE, pata_legacy)" "$(tr -d '\r' < "$W/rec.out" | grep '^guest: sda')" "guest: sda ok sectors=131072 md5=$(pattern sda)"
	check_eq "vda (virtio-blk)" "$(tr -d '\r' < "$W/rec.out" | grep '^guest: vda')" "guest: vda ok sectors=131072 md5=$(pattern vda)"
	check_eq "init finished" "$(grep -c '^guest: done' "$W/rec.out")" 1
	check_eq "a.img holds the pattern" "$(dd if="$W/a.img" bs=4096 skip=16 count=16 status=none | md5sum | cut -d' ' -f1)" "$(pattern sda)"
	check_eq "b.img holds the pattern" "$(dd if="$W/b.img" bs=4096 skip=16 count=16 status=none | md5sum | cut -d' ' -f1)" "$(pattern vda)"
	check_eq "meta end_reason (reboot=k: i8042 reset)" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" reset
	check_ge "exits of the boot" "$(q "$db" "SELECT count(*) FROM exits")" 20000
	gapless "$db"
	check_eq "IDE write requests carry the pattern's 128 sectors" "$(q "$db" "SELECT sum(nsectors) FROM blk_requests WHERE device='ata0' AND op='write' AND status=0 AND sector >= 128 AND sector < 256")" 128
	check_eq "virtio write requests carry the pattern's 128 sectors" "$(q "$db" "SELECT sum(nsectors) FROM blk_requests WHERE device='vblk0' AND op='write' AND status=0 AND sector >= 128 AND sector < 256")" 128
	check_ge "virtio DMA rows" "$(q "$db" "SELECT count(*) FROM dma WHERE device='vblk0'")" 10
	check_ge "IRQ 14 (IDE) level changes" "$(q "$db" "SELECT count(*) FROM irqs WHERE line=14")" 2
	check_ge "IRQ 11 (virtio) level changes" "$(q "$db" "SELECT count(*) FROM irqs WHERE line=11")" 2
	check_ge "COM1 IRQ 4 level changes (interrupt-driven console)" "$(q "$db" "SELECT count(*) FROM irqs WHERE line=4")" 2
	# modern virtio-pci (the default): registers in the memory BAR at 0xfe000000
	check_eq "virtio requests issued by an MMIO notify write" "$(q "$db" "SELECT count(*) FROM blk_requests b LEFT JOIN v_mmio m USING(seq) WHERE b.device='vblk0' AND NOT (m.label IS 'vblk0.notify' AND m.is_write=1)")" 0
	check_eq "vblk0 kind" "$(q "$db" "SELECT kind FROM disks WHERE device='vblk0'")" virtio-modern
	check_eq "queue set up through the common cfg" "$(q "$db" "SELECT count(*) FROM v_mmio WHERE label='vblk0.common.queue_enable' AND is_write=1")" 1
	check_ge "ISR reads (read-to-clear)" "$(q "$db" "SELECT count(*) FROM v_mmio WHERE label='vblk0.isr' AND is_write=0")" 2
	check_eq "every vblk0 mmio row has a register name" "$(q "$db" "SELECT count(*) FROM v_mmio WHERE device='vblk0' AND register IS NULL")" 0
	check_eq "no pio rows in the legacy BAR" "$(q "$db" "SELECT count(*) FROM pio WHERE port BETWEEN 49152 AND 49215")" 0
	check_eq "the kernel found the ACPI tables, no ACPI BIOS Error" "$(grep -c 'ACPI BIOS Error\|ACPI Error' "$W/rec.out")" 0
	check_eq "ACPI: S5 offered" "$(tr -d '\r' < "$W/rec.out" | grep -c 'ACPI: PM: (supports.*S5')" 1
	check_eq "no device errors" "$(q "$db" "SELECT value FROM meta WHERE key='device_errors'")" 0
	$EXITLOG replay "$db" --disk "$W/a-initial.img" --disk "$W/b-initial.img" > "$W/replay.out" 2> "$W/replay.err"
	check_eq "replay of the whole boot: exit status" "$?" 0
	check_eq "replay: clean, both final hashes match" "$(grep -c 'clean; disk 0 final sha256 matches; disk 1 final sha256 matches' "$W/replay.out")" 1
	check_eq "replay left the initial images untouched" "$(sha_of "$W/a-initial.img")$(sha_of "$W/b-initial.img")" "$(zero_sha 131072)$(zero_sha 131072)"
	. tests/browser/e2e.sh && check_pictures "$db"
	echo "  (linux: $(q "$db" "SELECT count(*) FROM exits") exits, $(q "$db" "SELECT (max(t_ns)/1000000000) FROM exits") s of guest time in the sandbox)"
}
