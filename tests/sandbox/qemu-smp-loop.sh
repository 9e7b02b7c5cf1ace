#!/usr/bin/env bash
# qemu-smp-loop.sh - the platform control of smp-boot-loop.sh: boot the same
# sample Linux guest (kernel, initrd, command line, disks) N times under
# QEMU -accel kvm with CPUS vCPUs, in one with-kvm sandbox, and print one
# line per boot: "qemu boot I: END secs S", END being `reboot` when the
# guest's own reboot message came, `died` otherwise (a triple fault makes
# QEMU reset, which -no-reboot turns into an exit without that message).
# If QEMU's guests die as exitlog's do, the fault is the nested platform's.
#
# Usage: tests/sandbox/qemu-smp-loop.sh N CPUS [SECS]   (needs make linux-guest)
# Not part of `make test`.
set -uo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
N=${1:-}; CPUS=${2:-}; SECS=${3:-60}
[[ $N =~ ^[0-9]+$ && $CPUS =~ ^[0-9]+$ && $SECS =~ ^[0-9]+$ ]] ||
	{ echo "usage: qemu-smp-loop.sh N CPUS [SECS]" >&2; exit 2; }
if [[ -z ${EXITLOG_IN_SANDBOX:-} ]]; then
	EXITLOG_FORCE_SANDBOX=1 EXITLOG_SANDBOX_TIMEOUT=${EXITLOG_SANDBOX_TIMEOUT:-3600} \
		exec "$ROOT/scripts/with-kvm" "$ROOT/tests/sandbox/qemu-smp-loop.sh" "$@"
fi
cd "$ROOT" || exit 1
w=$(mktemp -d /dev/shm/qemu-smp-loop.XXXXXX) || exit 1
trap 'rm -rf "$w"' EXIT
for i in $(seq 1 "$N"); do
	rm -f "$w"/*.img
	truncate -s 8M "$w/a.img" "$w/b.img"
	t0=$SECONDS
	timeout "$SECS" qemu-system-x86_64 -accel kvm -M pc -smp "$CPUS" -m 256 -display none \
		-monitor none -serial "file:$w/con" -no-reboot \
		-drive "file=$w/a.img,if=ide,format=raw" -drive "file=$w/b.img,if=virtio,format=raw" \
		-kernel build/guest/vmlinuz -initrd build/guest/initrd.img \
		-append "console=ttyS0 reboot=k panic=-1 exitlog.smp" > "$w/out" 2>&1
	rc=$?
	end=died
	grep -q 'reboot: Restarting system' "$w/con" && end=reboot
	[[ $rc == 124 ]] && end=timeout
	echo "qemu boot $i cpus $CPUS: $end rc $rc secs $((SECONDS - t0))"
	[[ $end == reboot ]] || tail -n 4 "$w/con" | tr -d '\r' | sed 's/^/  console: /'
done
