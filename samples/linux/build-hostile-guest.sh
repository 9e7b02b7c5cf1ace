#!/bin/sh
# build-hostile-guest.sh - build/guest/initrd-hostile.img, the initramfs of
# the hostile SMP/async e2e test (tests/e2e/t_hostile_smp.sh): nothing but
# samples/linux/vhostile (vhostile.c, vhhammer.c, vhdrv.c) built static as
# /init.  No virtio module is in it, so the virtio-blk function stays
# unbound and vhostile drives it from userspace; no busybox either (a
# smaller initramfs unpacks faster in the nested sandbox).  Run by
# build-guest.sh (`make linux-guest`, `make e2e`); rebuilt only when an
# input changed.  The kernel is build/guest/vmlinuz.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/samples/linux
kdir=$top/build/cache/kernel
out=$top/build/guest
img=$out/initrd-hostile.img
[ -f "$kdir/VERSION" ] || { echo "build-hostile-guest: no kernel in $kdir (run scripts/install-deps)" >&2; exit 1; }
mkdir -p "$out"
fresh=1
for f in "$src/vhostile.c" "$src/vhostile.h" "$src/vhhammer.c" "$src/vhdrv.c" "$src/vhdrv.h" "$kdir/VERSION" "$0"; do
	[ "$img" -nt "$f" ] || fresh=0
done
[ $fresh = 1 ] && exit 0
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/proc" "$root/sys" "$root/dev"
${CC:-cc} -static -O2 -std=gnu11 -Wall -Wextra -Werror -pthread -o "$root/init" \
	"$src/vhostile.c" "$src/vhhammer.c" "$src/vhdrv.c"
strip "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$img.tmp"
mv "$img.tmp" "$img"
echo "build-hostile-guest: $img ($(wc -c < "$img") bytes)"
