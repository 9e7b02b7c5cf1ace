#!/bin/sh
# build-aio-guest.sh - build/guest/initrd-aio.img, the initramfs of the
# queue-depth e2e test (tests/e2e/t_vblk_depth.sh): static busybox, the
# virtio-blk driver modules, samples/linux/init-aio as /init and
# samples/linux/aiodepth.c built static as /bin/aiodepth.  Run by
# build-guest.sh (`make linux-guest`, `make e2e`); rebuilt only when an
# input changed.  The kernel is build/guest/vmlinuz, as for the sample initrd.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/samples/linux
kdir=$top/build/cache/kernel
out=$top/build/guest
img=$out/initrd-aio.img
[ -f "$kdir/VERSION" ] || { echo "build-aio-guest: no kernel in $kdir (run scripts/install-deps)" >&2; exit 1; }
busybox=$(command -v busybox || true)
[ -x /bin/busybox ] && busybox=/bin/busybox
[ -n "$busybox" ] || { echo "build-aio-guest: busybox-static is not installed" >&2; exit 1; }
mkdir -p "$out"
if [ "$img" -nt "$src/init-aio" ] && [ "$img" -nt "$src/aiodepth.c" ] &&
   [ "$img" -nt "$kdir/VERSION" ] && [ "$img" -nt "$0" ]; then
	exit 0
fi
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
${CC:-cc} -static -O2 -Wall -Wextra -Werror -o "$root/bin/aiodepth" "$src/aiodepth.c"
cp "$src/init-aio" "$root/init"
chmod 755 "$root/init"
: > "$root/etc/modules.order"
for m in $mods; do
	f=$(find "$kdir/modules/kernel" -name "$m.ko" | head -n1)
	[ -n "$f" ] || { echo "build-aio-guest: module $m not found" >&2; exit 1; }
	cp "$f" "$root/lib/modules/$m.ko"
	echo "$m" >> "$root/etc/modules.order"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$img.tmp"
mv "$img.tmp" "$img"
echo "build-aio-guest: $img ($(wc -c < "$img") bytes)"
