#!/bin/sh
# linux.sh - the sample Linux session side by side (issue 17): exitlog
# record, exitlog record --no-log and QEMU -accel kvm, same kernel,
# initramfs, command line and disks, all in ONE scripts/with-kvm session.
#
#   sh bench/linux.sh          (bench/run.sh calls it; BENCH_QUICK=1: one round)
#   sh bench/linux.sh --report RAW   the figures again from a kept build/bench/linux.raw
#   BENCH_LINUX_REPS=N         override the number of rounds
#   BENCH_LINUX_BASE=BINARY    also run another exitlog binary (an older build: before/after
#                              a change in the same session) as brecord / bnolog
#   sh bench/linux.sh --inside DIR REPS TIMEOUT KEEP   (internal)
#
# The session is t_linux's: build/guest/vmlinuz, build/guest/initrd.img,
# "console=ttyS0 reboot=k panic=-1", a 64 MiB IDE disk and a 64 MiB
# virtio-blk disk (zeroed before every run); the init writes and reads back
# both and reboots (reboot=k: the i8042 reset ends either VMM).
#   record  exitlog record -o DB --disk a.img --virtio-disk b.img ...
#   nolog   the same with --no-log
#   qemu    qemu-system-x86_64 -accel kvm -M q35 -cpu host -m 256 -nodefaults
#           -no-reboot, the IDE disk on an isa-ide at 0x1f0/0x3f6 IRQ 14 and
#           the other on virtio-blk-pci (SeaBIOS and the linuxboot option ROM
#           load the kernel: QEMU's own boot path)
# Wall time of the whole command; medians of REPS rounds, order rotated.
# Exits: counted in L1's kernel for every configuration alike, with tracefs
# hist triggers (no trace buffer, nothing dropped): kvm:kvm_exit by
# exit_reason (every exit, also those KVM handles itself), kvm:kvm_userspace_exit
# (exits to the VMM) and kvm:kvm_pio by port; exitlog's own exits table
# must agree with the userspace count.  KEEP=1 copies the last recorded
# database to build/bench/linux-record.db (for `exitlog stat/timeline`).
set -u
cd "$(dirname "$0")/.." || exit 2

KERNEL=build/guest/vmlinuz
INITRD=build/guest/initrd.img
APPEND="console=ttyS0 reboot=k panic=-1"
TR=/sys/kernel/tracing

# hist_on / hist_off EVENT KEYS: an in-kernel histogram on one kvm event
hist_on() { echo "hist:keys=$2:size=4096" >"$TR/events/kvm/$1/trigger"; }
hist_off() { echo "!hist:keys=$2:size=4096" >"$TR/events/kvm/$1/trigger" 2>/dev/null; }
# hist_dump TAG EVENT: "hist TAG EVENT KEY COUNT" lines and "hist TAG EVENT total N"
hist_dump() {
	awk -v tag="$1" -v ev="$2" '
	/^\{/ { k = $0; sub(/^\{ */, "", k); sub(/ *\}.*/, "", k); gsub(/ +/, "", k)
		c = $0; sub(/.*hitcount: */, "", c); sub(/ .*/, "", c); print "hist", tag, ev, k, c }
	/Hits:/ { print "hist", tag, ev, "total", $2 }
	/Dropped:/ { print "hist", tag, ev, "dropped", $2 }' "$TR/events/kvm/$2/hist"
}

inside() {
	W=$1 REPS=$2 TMO=$3 KEEP=$4 BASE=${5:-}
	mkdir -p "$W" || exit 2
	echo "l1_load $(cut -d' ' -f1-3 /proc/loadavg)"
	[ -d "$TR/events" ] || mount -t tracefs nodev "$TR" 2>/dev/null
	if [ -w "$TR/events/kvm/kvm_exit/trigger" ] && hist_on kvm_exit exit_reason; then
		hist_off kvm_exit exit_reason
		hists=1
	else
		hists=
		echo "nohist tracefs hist triggers are not available in L1 ($TR/events/kvm/kvm_exit/trigger)"
	fi
	if command -v qemu-system-x86_64 >/dev/null 2>&1; then
		echo "qemu_version $(qemu-system-x86_64 -version | head -n 1)"
	else
		echo "noqemu qemu-system-x86_64 is not installed (the sandbox sees the host's /)"
	fi
	# warm the page cache (binaries come over 9p in the sandbox)
	build/exitlog record --no-log build/guests/hello.bin >/dev/null 2>&1
	cat "$KERNEL" "$INITRD" >/dev/null
	r=1
	while [ "$r" -le "$REPS" ]; do
		set -- record nolog qemu
		[ -n "$BASE" ] && set -- "$@" brecord bnolog
		i=1
		while [ "$i" -lt "$r" ]; do c=$1; shift; set -- "$@" "$c"; i=$((i + 1)); done
		for cfg in "$@"; do
			linux_run "$cfg" "$r"
		done
		r=$((r + 1))
	done
	echo "l1_load_end $(cut -d' ' -f1-3 /proc/loadavg)"
}

# linux_run CFG ROUND: prints
#   lrun CFG ROUND RC WALL_NS OK DB_EXITS T_INIT T_END
#   phases CFG ROUND inputs=S setup=S store=S run=S finish=S close=S   (exitlog only)
#   hist CFG/ROUND EVENT KEY COUNT ...
linux_run() {
	cfg=$1 round=$2
	rm -f "$W"/linux.db* "$W"/[ab].img
	for d in a b; do dd if=/dev/zero of="$W/$d.img" bs=1M count=64 status=none; done
	case $cfg in
	record) set -- build/exitlog record -o "$W/linux.db" --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd "$INITRD" --append "$APPEND" "$KERNEL" ;;
	nolog) set -- build/exitlog record --no-log --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd "$INITRD" --append "$APPEND" "$KERNEL" ;;
	brecord) set -- "$BASE" record -o "$W/linux.db" --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd "$INITRD" --append "$APPEND" "$KERNEL" ;;
	bnolog) set -- "$BASE" record --no-log --disk "$W/a.img" --virtio-disk "$W/b.img" \
		--initrd "$INITRD" --append "$APPEND" "$KERNEL" ;;
	qemu)
		command -v qemu-system-x86_64 >/dev/null 2>&1 || return 0
		set -- qemu-system-x86_64 -accel kvm -M q35 -cpu host -smp 1 -m 256 -nodefaults \
			-display none -no-reboot -serial stdio -monitor none \
			-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
			-drive if=none,id=da,file="$W/a.img",format=raw \
			-device isa-ide,id=isaide,iobase=0x1f0,iobase2=0x3f6,irq=14 \
			-device ide-hd,drive=da,bus=isaide.0 \
			-drive if=none,id=db,file="$W/b.img",format=raw \
			-device virtio-blk-pci,drive=db ;;
	esac
	if [ -n "$hists" ]; then
		hist_on kvm_exit exit_reason
		hist_on kvm_userspace_exit reason
		hist_on kvm_pio port
	fi
	t0=$(date +%s%N)
	EXITLOG_PHASES=1 timeout -s KILL "$TMO" "$@" </dev/null >"$W/out" 2>"$W/err"
	rc=$?
	t1=$(date +%s%N)
	if [ -n "$hists" ]; then
		hist_dump "$cfg/$round" kvm_exit
		hist_dump "$cfg/$round" kvm_userspace_exit
		hist_dump "$cfg/$round" kvm_pio
		hist_off kvm_exit exit_reason
		hist_off kvm_userspace_exit reason
		hist_off kvm_pio port
	fi
	# the guest's own verdict: both disks read back right
	ok=$(tr -d '\r' <"$W/out" | grep -c '^guest: [sv]da ok ')
	# the kernel's clock (kvm-clock: from about the VM's start) when it ran
	# /init and at its last line (the restart)
	tinit=$(tr -d '\r' <"$W/out" | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init .*/\1/p' | head -n 1)
	tend=$(tr -d '\r' <"$W/out" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | tail -n 1)
	dbx=-
	if [ "$cfg" = record ] && [ -f "$W/linux.db" ]; then
		dbx=$(sqlite3 "$W/linux.db" "SELECT count(*) FROM exits")
		[ "$KEEP" = 1 ] && cp "$W/linux.db" build/bench/linux-record.db
	fi
	[ "$KEEP" = 1 ] && cp "$W/out" "build/bench/linux-$cfg.out"
	echo "lrun $cfg $round $rc $((t1 - t0)) $ok $dbx ${tinit:-0} ${tend:-0}"
	# exitlog's own account of its wall time (EXITLOG_PHASES)
	sed -n "s/^exitlog: phases /phases $cfg $round /p" "$W/err"
	[ "$rc" = 0 ] && [ "$ok" = 2 ] ||
		echo "fail $cfg round $round rc=$rc ok=$ok: $(tail -n 2 "$W/err" | tr '\n' ' ')"
	rm -f "$W"/linux.db* "$W"/[ab].img
}

if [ "${1:-}" = "--inside" ]; then
	shift
	inside "$@"
	exit 0
fi

# --- on the host ------------------------------------------------------------
case "${BENCH_QUICK:-}" in
"" | 0) REPS=3 TMO=900 sbt=${EXITLOG_SANDBOX_TIMEOUT:-5400} ;;
*) REPS=1 TMO=300 sbt=${EXITLOG_SANDBOX_TIMEOUT:-900} ;;
esac
REPS=${BENCH_LINUX_REPS:-$REPS}   # override, for a run by hand
FIGS="linux_record_vs_qemu linux_nolog_vs_qemu linux_record_vs_nolog linux_exits_record
linux_exits_nolog linux_exits_qemu"

all_nan() {
	echo "# $1"
	for f in $FIGS; do echo "$f nan"; done
	exit 0
}

raw=build/bench/linux.raw
if [ "${1:-}" = "--report" ]; then
	raw=$2   # the figures again from a kept raw file
else
	[ -x build/exitlog ] || all_nan "build/exitlog is missing (make all)"
	sh samples/linux/build-guest.sh >/dev/null 2>build/bench/linux.build.err ||
		all_nan "cannot build the sample Linux guest: $(tail -n 1 build/bench/linux.build.err)"
	rm -f build/bench/linux-record.db
	start=$(date +%s)
	hload=$(cut -d' ' -f1-3 /proc/loadavg)
	EXITLOG_SANDBOX_TIMEOUT=$sbt scripts/with-kvm sh bench/linux.sh --inside /dev/shm/exitlog-linux \
		"$REPS" "$TMO" 1 "${BENCH_LINUX_BASE:-}" >"$raw" 2>build/bench/linux.err
	rc=$?
	[ $rc -eq 0 ] || all_nan "the KVM session failed (status $rc): $(tail -n 1 build/bench/linux.err)"
	{ echo "host_secs $(($(date +%s) - start))"; echo "host_load $hload"; echo "reps $REPS"; } >>"$raw"
fi

awk '
function median(a, k,    i, j, t) {
	if (k == 0) return ""
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
# SVM exit codes (arch/x86/include/uapi/asm/svm.h) of the reasons that matter here
BEGIN {
	svm[96] = "intr"; svm[97] = "nmi"; svm[100] = "vintr"; svm[114] = "cpuid"; svm[120] = "hlt"
	svm[123] = "io"; svm[124] = "msr"; svm[127] = "shutdown"; svm[129] = "vmmcall"; svm[1024] = "npf"
	svm[65] = "excp_db"; svm[78] = "excp_pf"; svm[0] = "read_cr0"; svm[16] = "write_cr0"
	svm[117] = "pause"; svm[1025] = "avic_incomplete_ipi"; svm[1026] = "avic_unaccelerated"
	svm[125] = "task_switch"; svm[110] = "rdtsc"; svm[135] = "rdtscp"; svm[130] = "vmload"
	svm[113] = "iret"; svm[121] = "invlpg"; svm[101] = "rdpmc"; svm[1027] = "vmgexit"
	svm[118] = "invd"; svm[126] = "ferr_freeze"; svm[-1] = "invalid"; svm[143] = "xsetbv"
	usr[2] = "io"; usr[6] = "mmio"; usr[5] = "hlt"; usr[8] = "shutdown"; usr[10] = "intr"
	usr[24] = "system_event"; usr[17] = "internal_error"
}
$1 == "host_secs" { secs = $2 }
$1 == "reps" { reps = $2 }
$1 == "host_load" { hload = $2 " " $3 " " $4 }
$1 == "l1_load" { l1load = $2 " " $3 " " $4 }
$1 == "l1_load_end" { l1end = $2 " " $3 " " $4 }
$1 == "qemu_version" { qver = substr($0, 14) }
$1 == "noqemu" || $1 == "nohist" { why[$1] = substr($0, length($1) + 2) }
$1 == "fail" { fails = fails "\n# failed run: " substr($0, 6) }
$1 == "lrun" && $4 == 0 && $6 == 2 {
	c = $2; k = ++cnt[c]; wall[c, k] = $5; good[c, $3] = $5; if ($3 == 1) dbx[c] = $7
	tinit[c, k] = $8; tend[c, k] = $9
}
$1 == "phases" {
	for (i = 4; i <= NF; i++) { split($i, kv, "="); ph[$2, kv[1]] = ph[$2, kv[1]] " " kv[2]; phn[kv[1]] = 1 }
}
$1 == "hist" {
	split($2, tr, "/"); c = tr[1]; r = tr[2]; ev = $3; key = $4; v = $5
	if (key == "total") { tot[c, ev, r] = v; next }
	if (key == "dropped") { if (v > 0) dropped = 1; next }
	if (r != 1) next
	sub(/^[a-z_]*:/, "", key)
	if (ev == "kvm_exit") { nm = (key in svm) ? svm[key] : "svm_" key; kx[c, nm] += v; kreasons[nm] = 1 }
	if (ev == "kvm_userspace_exit") { nm = (key in usr) ? usr[key] : "reason_" key; ux[c, nm] += v; ureasons[nm] = 1 }
	if (ev == "kvm_pio") { pio[c, key] += v; ports[key] = 1 }
}
END {
	print "# Linux side by side (issue 17): the t_linux session (vmlinuz, initrd.img, IDE + virtio-blk"
	print "# 64 MiB disks, init writes, reads back, reboots) under exitlog record, record --no-log and"
	printf "# %s -accel kvm (q35, SeaBIOS, isa-ide + virtio-blk-pci, -cpu host, 256 MiB);\n", qver != "" ? qver : "QEMU"
	printf "# one scripts/with-kvm session (%d s; host load %s; L1 load %s at start, %s at end),\n", secs, hload, l1load, l1end
	printf "# wall time of the whole command, medians of %d rounds, order rotated\n", reps
	if (why["noqemu"] != "") print "# " why["noqemu"]
	if (why["nohist"] != "") print "# " why["nohist"]
	if (fails != "") print substr(fails, 2)
	for (cc = 1; cc <= 5; cc++) { c = cc == 1 ? "record" : cc == 2 ? "nolog" : cc == 3 ? "qemu" : cc == 4 ? "brecord" : "bnolog"
		if (cc > 3 && !cnt[c]) continue
		split("", t); for (k = 1; k <= cnt[c]; k++) t[k] = wall[c, k]; med[c] = median(t, cnt[c])
		s = ""; for (r = 1; r <= reps; r++) s = s sprintf(" %s", good[c, r] ? sprintf("%.1f", good[c, r] / 1e9) : "-")
		printf "# %s wall seconds per round:%s\n", c, s
		if (med[c] != "") printf "linux_wall_seconds_%s %.2f\n", c, med[c] / 1e9
	}
	print "# the guest kernel'"'"'s own clock (printk time, kvm-clock): at `Run /init` and at its last"
	print "# line (restart), medians; wall minus the last = VMM start-up, firmware, tear-down, close"
	for (cc = 1; cc <= 5; cc++) { c = cc == 1 ? "record" : cc == 2 ? "nolog" : cc == 3 ? "qemu" : cc == 4 ? "brecord" : "bnolog"
		if (cc > 3 && !cnt[c]) continue
		split("", t); for (k = 1; k <= cnt[c]; k++) t[k] = tinit[c, k]; mi = median(t, cnt[c])
		split("", t); for (k = 1; k <= cnt[c]; k++) t[k] = tend[c, k]; me = median(t, cnt[c])
		if (mi != "") printf "linux_guest_init_seconds_%s %.2f\nlinux_guest_end_seconds_%s %.2f\n", c, mi, c, me
	}
	print "# exitlog'"'"'s wall time by phase (EXITLOG_PHASES), seconds per round: inputs (guest read, disks"
	print "# opened and hashed), setup (VM, board, load), store (database created), run (the guest),"
	print "# finish (images flushed, final hashes, meta), close (store_close)"
	split("inputs setup store run finish close", pn, " ")
	for (cc = 1; cc <= 4; cc++) { c = cc == 1 ? "record" : cc == 2 ? "nolog" : cc == 3 ? "brecord" : "bnolog"; s = ""
		if (cc > 2 && !cnt[c]) continue
		for (i = 1; i <= 6; i++) s = s sprintf(" %s=%s", pn[i], substr(ph[c, pn[i]], 2))
		gsub(/ /, ",", s); gsub(/,([a-z]+)=/, "  &", s); gsub(/  ,/, " ", s)
		printf "#   %s:%s\n", c, s }
	# ratios: wall time under the first / under the second (< 1: the first is faster)
	if (med["record"] != "" && med["qemu"] != "") printf "linux_record_vs_qemu %.3f\n", med["record"] / med["qemu"]
	else print "linux_record_vs_qemu nan"
	if (med["nolog"] != "" && med["qemu"] != "") printf "linux_nolog_vs_qemu %.3f\n", med["nolog"] / med["qemu"]
	else print "linux_nolog_vs_qemu nan"
	print "# linux_record_vs_nolog: wall --no-log / wall recorded (the bench'"'"'s usual sense: 1 = free)"
	if (med["record"] != "" && med["nolog"] != "") printf "linux_record_vs_nolog %.3f\n", med["nolog"] / med["record"]
	else print "linux_record_vs_nolog nan"
	if (med["brecord"] != "" || med["bnolog"] != "") {
		print "# the same for the other binary (BENCH_LINUX_BASE), in this session"
		if (med["brecord"] != "" && med["qemu"] != "") printf "linux_base_record_vs_qemu %.3f\n", med["brecord"] / med["qemu"]
		if (med["bnolog"] != "" && med["qemu"] != "") printf "linux_base_nolog_vs_qemu %.3f\n", med["bnolog"] / med["qemu"]
		if (med["brecord"] != "" && med["bnolog"] != "") printf "linux_base_record_vs_nolog %.3f\n", med["bnolog"] / med["brecord"]
	}
	print "# exits of round 1 counted in L1'"'"'s kernel (kvm:kvm_exit: all, also those KVM handles"
	print "# itself; _userspace: kvm:kvm_userspace_exit, the ones the VMM sees); exitlog'"'"'s own exits table"
	if (dropped) print "# WARNING: a hist trigger dropped entries"
	for (cc = 1; cc <= 3; cc++) { c = cc == 1 ? "record" : cc == 2 ? "nolog" : "qemu"
		if (tot[c, "kvm_exit", 1] != "") printf "linux_exits_%s %d\n", c, tot[c, "kvm_exit", 1]
		else printf "linux_exits_%s nan\n", c
		if (tot[c, "kvm_userspace_exit", 1] != "") printf "linux_exits_userspace_%s %d\n", c, tot[c, "kvm_userspace_exit", 1]
	}
	if (dbx["record"] != "" && dbx["record"] != "-") printf "linux_exits_record_db %d\n", dbx["record"]
	print "# what logging costs per exit the VMM sees: (wall recorded - wall --no-log) / userspace exits, us"
	if (med["record"] != "" && med["nolog"] != "" && tot["record", "kvm_userspace_exit", 1] > 0)
		printf "linux_log_us_per_exit %.1f\n", (med["record"] - med["nolog"]) / 1000 / tot["record", "kvm_userspace_exit", 1]
	# by reason, round 1
	s = ""; for (nm in kreasons) s = s " " nm
	n = split(substr(s, 2), names, " ")
	if (n) {
		print "# kernel exits by SVM reason, round 1:      record / nolog / qemu"
		for (i = 1; i <= n; i++) printf "#   %-22s %8d %8d %8d\n", names[i], kx["record", names[i]], kx["nolog", names[i]], kx["qemu", names[i]]
	}
	s = ""; for (nm in ureasons) s = s " " nm
	n = split(substr(s, 2), names, " ")
	if (n) {
		print "# userspace exits by KVM_EXIT reason, round 1: record / nolog / qemu"
		for (i = 1; i <= n; i++) printf "#   %-22s %8d %8d %8d\n", names[i], ux["record", names[i]], ux["nolog", names[i]], ux["qemu", names[i]]
	}
	s = ""; for (p in ports) if (pio["record", p] + pio["qemu", p] >= 200) s = s " " p
	n = split(substr(s, 2), names, " ")
	if (n) {
		print "# port IO exits (kvm:kvm_pio) by port, round 1, ports with >= 200: record / qemu"
		for (i = 1; i <= n; i++) printf "#   port 0x%04x %8d %8d\n", names[i], pio["record", names[i]], pio["qemu", names[i]]
	}
}' "$raw"
