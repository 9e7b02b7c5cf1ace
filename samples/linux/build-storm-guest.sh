#!/bin/sh
# build-storm-guest.sh - build/guest/initrd-storm.img, the initramfs of the
# SMP storm benchmark (bench/smpstorm.sh): static busybox,
# samples/linux/init-storm as /init and samples/linux/smpstorm.c built
# static as /bin/smpstorm; no modules (no disks).  Run by build-guest.sh
# (`make linux-guest`, `make e2e`, `make bench`); rebuilt only when an input
# changed.  The kernel is build/guest/vmlinuz, as for the sample initrd.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/samples/linux
out=$top/build/guest
img=$out/initrd-storm.img
busybox=$(command -v busybox || true)
[ -x /bin/busybox ] && busybox=/bin/busybox
[ -n "$busybox" ] || { echo "build-storm-guest: busybox-static is not installed" >&2; exit 1; }
mkdir -p "$out"
if [ "$img" -nt "$src/init-storm" ] && [ "$img" -nt "$src/smpstorm.c" ] && [ "$img" -nt "$0" ]; then
	exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
${CC:-cc} -static -O2 -Wall -Wextra -Werror -o "$root/bin/smpstorm" "$src/smpstorm.c" -lpthread
cp "$src/init-storm" "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$img.tmp"
mv "$img.tmp" "$img"
echo "build-storm-guest: $img ($(wc -c < "$img") bytes)"
