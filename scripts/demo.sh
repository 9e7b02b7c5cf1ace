#!/bin/sh
# demo.sh - `make demo`: record the ata-rw sample guest under real KVM
# (scripts/with-kvm: natively or in the nested sandbox), then show what was
# logged: the exit report, the per-port report, the block requests, the IO
# path, the replay check, and finally the HTML report (its path is the last
# line printed) and a Perfetto trace.  Everything goes to build/demo/.
set -eu
cd "$(dirname "$0")/.."
X=build/exitlog
d=build/demo
mkdir -p "$d"
rm -f "$d/ata-rw.db" "$d/ata-rw.db-wal" "$d/ata-rw.db-shm"
dd if=/dev/zero of="$d/disk.img" bs=512 count=8192 status=none
cp "$d/disk.img" "$d/disk-initial.img"   # replay starts from the image as it was

echo "== exitlog record --disk $d/disk.img build/guests/ata-rw.bin   (guest console below)"
scripts/with-kvm $X record -o "$d/ata-rw.db" --disk "$d/disk.img" build/guests/ata-rw.bin
echo
echo "== exitlog stat $d/ata-rw.db"
$X stat "$d/ata-rw.db" --skip-zero
echo
echo "== exitlog stat --event ioport"
$X stat "$d/ata-rw.db" --event ioport --skip-zero
echo
echo "== exitlog stat --event blk"
$X stat "$d/ata-rw.db" --event blk
echo
echo "== exitlog iopath"
$X iopath "$d/ata-rw.db"
echo
echo "== exitlog sql: the block requests as logged"
$X sql "$d/ata-rw.db" "SELECT id, seq, device, op, sector, nsectors, substr(data_hash,1,16) AS hash16, status FROM blk_requests"
echo
echo "== exitlog replay (no KVM: the device models re-driven from the log)"
$X replay "$d/ata-rw.db" --disk "$d/disk-initial.img"
echo
echo "== exitlog report: the pictures (self-contained HTML: open it in any browser)"
$X report "$d/ata-rw.db" -o "$d/report.html"
$X export --perfetto "$d/ata-rw.db" -o "$d/trace.json"
echo "Perfetto trace (open in https://ui.perfetto.dev): $(pwd)/$d/trace.json"
echo "report: $(pwd)/$d/report.html"
