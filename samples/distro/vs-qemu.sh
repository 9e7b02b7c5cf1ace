#!/bin/sh
# samples/distro/vs-qemu.sh - the Debian session of `make rootfs` under QEMU
# -accel kvm and under exitlog, one after the other in ONE KVM session (the
# same load for all), for the time comparison of issue 18.  Run it through
# scripts/with-kvm (as root; the sandbox needs EXITLOG_SANDBOX_MEM=4096 for
# the image copies and a 1 GiB guest):
#
#   EXITLOG_SANDBOX_MEM=4096 scripts/with-kvm sh samples/distro/vs-qemu.sh [-j JOB] RUN...
#
# RUN: qemu-pc        QEMU -M pc -smp 1 (our board's shape: i440fx, 0xcf8)
#      qemu-q35       QEMU -M q35 -smp 2 (the reference of distro-in-sandbox.md)
#      nolog[:N[:BIN]]  exitlog record --no-log --cpus N (BIN: another binary)
#      log[:N[:BIN]]    exitlog record --cpus N, into a database
#      logh[:N[:BIN]]   the same with the root image's hash given
#                       (--image-sha256 from debian.img.sha256, as t_distro
#                       does): the recorder does not hash 1 GiB at the start
# JOB: a fio job file or a workload script (default randrw-verify.fio).
# Every run boots a fresh copy of build/cache/rootfs/debian.img (1024 MiB
# of RAM, root on virtio-blk vda, the workload disk vdb) and ends with the
# workload unit's power-off.  The workload is wrapped so that the guest also
# prints the dmesg times of its boot phases.  Per run, one line:
#   vsq: RUN wall=S boot=... fio=... end=...
# plus L1's KVM counters for the run's VM (debugfs sums them over the live
# VMs only, so they are sampled every 5 s while it runs, minus what the
# sandbox's idle kvmhold VMs had before: up to the last sample) and
# pages_4k / pages_2m at the last sample (how KVM mapped guest RAM).
set -u
cd "$(dirname "$0")/../.." || exit 2
R=build/cache/rootfs
JOB=samples/distro/randrw-verify.fio
if [ "${1:-}" = -j ]; then JOB=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: vs-qemu.sh [-j JOB] RUN..." >&2; exit 2; }
[ -s "$R/debian.img" ] || { echo "vs-qemu.sh: no $R/debian.img (make rootfs)" >&2; exit 2; }
QEMU=${QEMU:-qemu-system-x86_64}
APPEND="root=/dev/vda rw console=ttyS0 quiet panic=-1"

# on L1's tmpfs in the sandbox (never write images over 9p while a guest runs)
if [ -d /dev/shm ] && [ -n "${EXITLOG_IN_SANDBOX:-}" ]; then
	W=$(mktemp -d /dev/shm/vsq.XXXXXX)
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/vsq.XXXXXX")
fi
trap 'rm -rf "$W"' EXIT
OUT=${VSQ_OUT:-build/vs-qemu}
mkdir -p "$OUT"

# the workload: the job (or script), then the guest's own boot phases
wl=$W/workload
case "$JOB" in
*.fio)
	{
		echo '#!/bin/sh'
		echo "cat > /run/exitlog-job.fio <<'EXITLOG_JOB_EOF'"
		cat "$JOB"
		echo 'EXITLOG_JOB_EOF'
		echo 't0=$(cut -d" " -f1 /proc/uptime)'
		echo 'fio /run/exitlog-job.fio; rc=$?'
		echo 'echo "fio: exit $rc secs $t0 -> $(cut -d" " -f1 /proc/uptime)"'
	} > "$wl" ;;
*)	cat "$JOB" > "$wl"; echo 'rc=$?' >> "$wl" ;;
esac
cat >> "$wl" <<'EOF'
echo "vsq-clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) cpus=$(nproc)"
dmesg | grep -E 'Run /init|EXT4-fs \(vda\): mounted|systemd\[1\]: systemd [0-9]|Switched to clocksource|Freeing unused kernel image \(initmem\)' |
	sed 's/^/vsq-dmesg: /'
exit $rc
EOF
sh samples/distro/mkdata.sh "$wl" "$W/data0.img" 64 || exit 2
echo "vsq: copying the root image into $W"
cp --sparse=always "$R/debian.img" "$W/pristine.img" || exit 2

D=/sys/kernel/debug/kvm
[ -d "$D" ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
STATS="exits io_exits mmio_exits halt_exits irq_exits irq_window_exits irq_injections pf_taken pf_fixed insn_emulation nested_run host_state_reload signal_exits halt_wait_ns"
snap() { # (shell builtins only: it runs every 5 s beside the guest)
	for s in $STATS; do
		v=-; [ -r "$D/$s" ] && read -r v < "$D/$s"
		printf '%s=%s ' "$s" "$v"
	done
}
delta() { # BEFORE AFTER
	for s in $STATS; do
		a=$(echo "$1" | tr ' ' '\n' | sed -n "s/^$s=//p")
		b=$(echo "$2" | tr ' ' '\n' | sed -n "s/^$s=//p")
		case "$a$b" in *-*|'') continue ;; esac
		printf '%s=%s ' "$s" $((b - a))
	done
}

for run in "$@"; do
	cp --sparse=always "$W/pristine.img" "$W/root.img"
	cp "$W/data0.img" "$W/data.img"
	rm -f "$W/x.db"
	kind=${run%%:*}
	n=$(echo "$run" | cut -s -d: -f2); n=${n:-1}
	bin=$(echo "$run" | cut -s -d: -f3-); bin=${bin:-build/exitlog}
	case $kind in
	qemu-pc)  set -- timeout 900 "$QEMU" -accel kvm -M pc -smp 1 -m 1024 -display none \
			-monitor none -serial "file:$W/con" -no-reboot \
			-drive "file=$W/root.img,if=virtio,format=raw" \
			-drive "file=$W/data.img,if=virtio,format=raw" \
			-kernel "$R/vmlinuz" -initrd "$R/initrd.img" -append "$APPEND" ;;
	qemu-q35) set -- timeout 900 "$QEMU" -accel kvm -M q35 -smp 2 -m 1024 -display none \
			-monitor none -serial "file:$W/con" -no-reboot \
			-drive "file=$W/root.img,if=virtio,format=raw" \
			-drive "file=$W/data.img,if=virtio,format=raw" \
			-kernel "$R/vmlinuz" -initrd "$R/initrd.img" -append "$APPEND" ;;
	nolog|log|logh)
		o=--no-log; [ $kind != nolog ] && o="-o $W/x.db"
		h=; [ $kind = logh ] && h="--image-sha256 $(cat "$R/debian.img.sha256")"
		set -- timeout 1800 "$bin" record $o --cpus "$n" --mem 1024 \
			--virtio-disk "$W/root.img" $h --virtio-disk "$W/data.img" \
			--initrd "$R/initrd.img" --append "$APPEND" "$R/vmlinuz" ;;
	*) echo "vs-qemu.sh: unknown run $run" >&2; continue ;;
	esac
	: > "$W/con"
	before=$(snap)
	pages=
	t0=$(date +%s.%N)
	case $kind in
	qemu-*) "$@" > "$W/run.out" 2> "$W/run.err" & ;;
	*)      "$@" > "$W/con" 2> "$W/run.err" < /dev/null & ;;
	esac
	pid=$!
	after=$before
	while kill -0 $pid 2>/dev/null; do
		p=$(cat "$D/pages_4k" "$D/pages_2m" 2>/dev/null | tr '\n' /)
		[ -n "$p" ] && pages=$p
		after=$(snap)
		sleep 5
	done
	wait $pid; rc=$?
	t1=$(date +%s.%N)
	con=$(tr -d '\r' < "$W/con")
	name=$(echo "$run" | tr ':/' '__')
	echo "$con" > "$OUT/$name.console"
	cp "$W/run.err" "$OUT/$name.err" 2>/dev/null
	st=$(echo "$con" | sed -n 's/.*exitlog-workload: start .*uptime=\([0-9.]*\).*/\1/p' | head -1)
	en=$(echo "$con" | sed -n 's/.*exitlog-workload: exit \([0-9]*\) uptime=\([0-9.]*\).*/rc \1 at \2/p' | head -1)
	fio=$(echo "$con" | sed -n 's/.*fio: exit \([0-9]*\) secs \([0-9.]*\) -> \([0-9.]*\).*/\1 \2 \3/p' | head -1)
	down=$(echo "$con" | sed -n 's/.*\[ *\([0-9.]*\)\] reboot: Power down.*/\1/p' | tail -1)
	echo "vsq: $run rc=$rc wall=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s; guest uptime: workload start ${st:-?}, workload exit ${en:-?}, power down ${down:-?}; fio rc/start/end ${fio:-?}; verify errors $(echo "$con" | grep -ci 'verify: bad\|bad magic\|verify failed'); err=0 lines $(echo "$con" | grep -c 'err= 0')"
	echo "vsq: $run L1 kvm (to the last sample): $(delta "$before" "$after")pages_4k/2m=$pages"
	echo "$con" | grep '^vsq-' | sed "s|^|vsq: $run |"
	[ $kind != nolog ] && [ -s "$W/x.db" ] && cp "$W/x.db" "$OUT/$name.db"
	tail -n 2 "$W/run.err" | sed "s|^|vsq: $run stderr: |"
	rm -f "$W/root.img" "$W/data.img"
done
