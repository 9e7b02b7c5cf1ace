#!/bin/sh
# build-guest.sh - `make linux-guest`: build/guest/vmlinuz (Debian's kernel,
# the same package the sandbox boots, fetched by scripts/install-deps), the
# same kernel uncompressed as build/guest/vmlinux (an ELF the recorder boots
# without the guest's seconds of xz decompression; the e2e tests use it where
# the boot path is not what they test) and build/guest/initrd.img (static busybox, the IDE and virtio-blk driver
# modules, and samples/linux/init).  Rebuilt only when an input changed.
# Also builds build/guest/initrd-aio.img (build-aio-guest.sh),
# build/guest/initrd-storm.img (build-storm-guest.sh, for make bench) and
# build/guest/initrd-hostile.img (build-hostile-guest.sh).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$top/build/cache/kernel
out=$top/build/guest
[ -f "$kdir/vmlinuz" ] || { echo "build-guest: no kernel in $kdir (run scripts/install-deps)" >&2; exit 1; }
busybox=$(command -v busybox || true)
[ -x /bin/busybox ] && busybox=/bin/busybox
[ -n "$busybox" ] || { echo "build-guest: busybox-static is not installed" >&2; exit 1; }
mkdir -p "$out"
# the queue-depth test's initramfs (t_vblk_depth) and the hostile SMP
# guest's (t_hostile_smp), rebuilt on their own inputs
sh "$top/samples/linux/build-aio-guest.sh"
sh "$top/samples/linux/build-hostile-guest.sh"
# the SMP storm benchmark's initramfs (bench/smpstorm.sh)
sh "$top/samples/linux/build-storm-guest.sh"
if [ "$out/initrd.img" -nt "$top/samples/linux/init" ] && [ "$out/initrd.img" -nt "$kdir/VERSION" ] &&
   [ "$out/initrd.img" -nt "$0" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/vmlinux" ]; then
	exit 0
fi
cp "$kdir/vmlinuz" "$out/vmlinuz"
bash "$top/scripts/sandbox/extract-vmlinux" "$out/vmlinuz" "$out/vmlinux" ||
	{ echo "build-guest: cannot extract an ELF vmlinux from $out/vmlinuz" >&2; exit 1; }

# Load order from /work/shared/design/linux-guest.md (each .ko's depends=).
mods="scsi_common scsi_mod libata pata_legacy crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi sd_mod virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$top/samples/linux/init" "$root/init"
chmod 755 "$root/init"
: > "$root/etc/modules.order"
for m in $mods; do
	f=$(find "$kdir/modules/kernel" -name "$m.ko" | head -n1)
	[ -n "$f" ] || { echo "build-guest: module $m not found" >&2; exit 1; }
	cp "$f" "$root/lib/modules/$m.ko"
	echo "$m" >> "$root/etc/modules.order"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "build-guest: $out/vmlinuz $out/vmlinux $out/initrd.img ($(wc -c < "$out/initrd.img") bytes)"
