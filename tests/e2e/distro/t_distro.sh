# t_distro.sh - a real distribution session (issues 14 and 18), `make
# test-distro`: the Debian 12 image of `make rootfs` (build/cache/rootfs/)
# boots systemd with 2 vCPUs from a virtio-blk root disk (modern virtio-pci:
# MMIO, requests completed on the IO threads), its exitlog-workload.service
# runs a fio job from the data disk and powers off through ACPI S5.  Checks:
# fio's exit status and verify, end_reason poweroff, MMIO exits with virtio
# register names, no ACPI error, a clean replay.
#   DISTRO_JOB=FILE   the job: a fio job file (*.fio) or a workload script
#                     (samples/distro/README.md); default
#                     samples/distro/randrw-verify.fio (libaio, iodepth 16,
#                     randrw, verify=crc32c on /dev/vdb), which also gets the
#                     checks of that job (depth 16, its writes on vblk1)
#   DISTRO_CPUS=N     vCPUs (default 2)
#   DISTRO_DATA_MIB=N the data disk's size (default: 64 MiB, or more when
#                     the fio job's size=/offset= reach further; mkdata.sh)
#   DISTRO_CONSOLE=FILE  the guest console, live
# (`make test-distro` carries the four into the sandbox.)
# The root image's hash comes from `make rootfs` (debian.img.sha256, made
# natively; `exitlog record --image-sha256`), so the recorder hashes it only
# at the end.  Takes 10-15 min in the nested sandbox (TCG) under load, so it
# is not in `make e2e`.
LIMIT=2400
R=build/cache/rootfs
APPEND="root=/dev/vda rw console=ttyS0 quiet panic=-1"
JOB=${DISTRO_JOB:-samples/distro/randrw-verify.fio}
CPUS=${DISTRO_CPUS:-2}
record() {
	# the working copy of the root disk stays sparse on L1's tmpfs and is
	# deleted afterwards: replay starts from the cached image itself
	cp --sparse=always "$R/debian.img" "$W/root.img"
	# the data disk: 64 MiB, or what the job reaches (mkdata.sh auto), or
	# DISTRO_DATA_MIB
	sh samples/distro/mkdata.sh "$JOB" "$W/data.img" "${DISTRO_DATA_MIB:-auto}" > "$W/mkdata.out" 2>&1
	echo $? > "$W/mkdata.rc"
	cp "$W/data.img" "$W/data-initial.img"
	# the root image's hash as `make rootfs` made it (natively): the
	# recorder need not hash a GiB under TCG (minutes); the replay against
	# the cached image below checks it
	sha=
	if [ -s "$R/debian.img.sha256" ] && [ ! "$R/debian.img" -nt "$R/debian.img.sha256" ]; then
		sha="--image-sha256 $(cat "$R/debian.img.sha256")"
	fi
	start=$(date +%s)
	run rec timeout 2300 $EXITLOG record -o "$W/distro.db" --mem 1024 --cpus "$CPUS" \
		--virtio-disk "$W/root.img" $sha --virtio-disk "$W/data.img" \
		--initrd "$R/initrd.img" --append "$APPEND" "$R/vmlinuz" &
	rp=$!
	# DISTRO_CONSOLE=FILE (carried in by EXITLOG_SANDBOX_ENV): watch the
	# guest console of this long run live
	if [ -n "${DISTRO_CONSOLE:-}" ]; then
		sleep 1
		tail -f --pid=$rp "$W/rec.out" > "$DISTRO_CONSOLE" 2>/dev/null &
	fi
	wait
	echo $(( $(date +%s) - start )) > "$W/rec.secs"
	rm -f "$W/root.img"
}
check() {
	db=$W/distro.db
	out=$(tr -d '\r' < "$W/rec.out")
	check_eq "the data disk was made from $JOB ($(cat "$W/mkdata.out" 2>/dev/null))" "$(cat "$W/mkdata.rc")" 0
	check_eq "record exit status (124: timed out)" "$(cat "$W/rec.rc")" 0
	check_eq "meta end_reason (ACPI S5)" "$(q "$db" "SELECT value FROM meta WHERE key='end_reason'")" poweroff
	check_eq "meta vcpus" "$(q "$db" "SELECT value FROM meta WHERE key='vcpus'")" "$CPUS"
	check_eq "the guest brought up every vCPU (exits from each)" "$(q "$db" "SELECT count(DISTINCT vcpu) FROM exits")" "$CPUS"
	# (the getty's login prompt may share the line)
	check_eq "systemd ran the workload unit" "$(echo "$out" | grep -c 'exitlog-workload: start')" 1
	check_eq "the workload's exit status" "$(echo "$out" | sed -n 's/.*exitlog-workload: exit \([0-9]*\) .*/\1/p')" 0
	case $JOB in *.fio)
		check_eq "fio exit status" "$(echo "$out" | grep -c '^fio: exit 0')" 1
		check_ge "fio: jobs that ended with err= 0" "$(echo "$out" | grep -c 'err= 0')" 1
		check_eq "fio: no job with an error" "$(echo "$out" | grep 'err=' | grep -vc 'err= 0')" 0 ;;
	esac
	check_eq "fio: no verify failure" "$(echo "$out" | grep -ci 'verify: bad\|bad magic\|verify failed\|verify_header\|bad header')" 0
	check_eq "the workload unit powered off" "$(echo "$out" | grep -c '^exitlog-workload: poweroff')" 1
	check_eq "no ACPI BIOS Error / ACPI Error on the console" "$(echo "$out" | grep -c 'ACPI BIOS Error\|ACPI Error')" 0
	gapless "$db"
	check_eq "disks: both modern virtio" "$(q "$db" "SELECT group_concat(device||':'||kind, ' ') FROM (SELECT * FROM disks ORDER BY idx)")" "vblk0:virtio-modern vblk1:virtio-modern"
	check_eq "requests completed on the IO threads (meta.blk_async)" "$(q "$db" "SELECT value FROM meta WHERE key='blk_async'")" 1
	check_eq "root disk set up through the common cfg" "$(q "$db" "SELECT count(*) FROM v_mmio WHERE label='vblk0.common.queue_enable' AND is_write=1")" 1
	check_ge "data disk notifies (MMIO)" "$(q "$db" "SELECT count(*) FROM v_mmio WHERE label='vblk1.notify' AND is_write=1")" 10
	check_ge "ISR reads (MMIO)" "$(q "$db" "SELECT count(*) FROM v_mmio WHERE label='vblk1.isr' AND is_write=0")" 10
	check_eq "every virtio mmio row has a register name" "$(q "$db" "SELECT count(*) FROM v_mmio WHERE device LIKE 'vblk%' AND register IS NULL")" 0
	check_eq "the S5 write is the last exit" "$(q "$db" "SELECT r.name FROM pio p JOIN registers r ON r.space='pio' AND r.addr=p.port AND r.is_write=p.is_write WHERE p.seq=(SELECT max(seq) FROM exits)")" pm1_cnt
	check_ge "vblk1: the job's requests" "$(q "$db" "SELECT count(*) FROM blk_requests WHERE device='vblk1' AND status=0")" 10
	if [ "$JOB" = samples/distro/randrw-verify.fio ]; then
		check_eq "fio ran at iodepth 16" "$(echo "$out" | grep -c 'iodepth=16')" 1
		check_ge "vblk1: fio's 4 KiB writes (sectors)" "$(q "$db" "SELECT coalesce(sum(nsectors),0) FROM blk_requests WHERE device='vblk1' AND op='write' AND status=0")" 800
		# the guest kept 16 in flight (fio's own count)
		check_ge "fio: share of the time at depth 16 (%)" "$(echo "$out" | sed -n 's/.*IO depths *:.* 16=\([0-9]*\).*/\1/p')" 50
	fi
	check_eq "no device errors" "$(q "$db" "SELECT value FROM meta WHERE key='device_errors'")" 0
	for dev in vblk0 vblk1; do
		check_eq "$dev: virtio 2.7.7.2 on every used->idx update (lib.sh vring_irq_rule)" "$(vring_irq_rule "$db" "$dev")" "0 0"
	done
	$EXITLOG stat "$db" --event mmio --top 12 > "$W/stat-mmio.out" 2>&1
	check_ge "stat --event mmio names virtio registers" "$(grep -c 'vblk1.notify\|notify' "$W/stat-mmio.out")" 1
	$EXITLOG iopath "$db" > "$W/iopath.out" 2>&1
	check_eq "iopath report" "$?" 0
	timeout 280 $EXITLOG replay "$db" --disk "$R/debian.img" --disk "$W/data-initial.img" > "$W/replay.out" 2> "$W/replay.err"
	check_eq "replay of the whole session: exit status" "$?" 0
	check_eq "replay: clean, both final hashes match" "$(grep -c 'clean; disk 0 final sha256 matches; disk 1 final sha256 matches' "$W/replay.out")" 1
	echo "  (distro: job $JOB, $CPUS vCPUs; record wall $(cat "$W/rec.secs") s in the sandbox; $(q "$db" "SELECT count(*) FROM exits") exits; guest time $(q "$db" "SELECT max(t_ns)/1000000000 FROM exits") s; $(echo "$out" | grep 'exitlog-workload: \(start\|exit\)' | sed 's/.*exitlog-workload/exitlog-workload/' | tr '\n' ' '))"
	q "$db" "SELECT '  (vblk1: '||count(*)||' requests, '||(sum(nsectors)/2)||' KiB)' FROM blk_requests WHERE device='vblk1'"
}
