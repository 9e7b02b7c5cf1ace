#!/bin/sh
# samples/distro/build-rootfs.sh - `make rootfs`: a Debian 12 root filesystem
# for a real distribution session (issue 14), cached under build/cache/rootfs/.
#
#   base.tar    mmdebstrap minbase + systemd, udev, fio and the kernel package
#               the sandbox boots (build/cache/kernel/VERSION), modules included.
#               The slow part (4-10 min); built once per machine.
#   debian.img  ext4, made from base.tar plus samples/distro/overlay/ (serial
#               getty on ttyS0, exitlog-workload.service, fstab, hostname).
#   vmlinuz, initrd.img   the image's own kernel and initramfs-tools initrd
#               (virtio_pci, virtio_blk and ext4 are modules in Debian's kernel).
#
# Rebuilt only when missing or made from another recipe (debian.key: this
# script, the overlay and the base, by content).  debian.img.sha256: the
# image's hash, for `exitlog record --image-sha256` (t_distro).
# Needs root (mmdebstrap's root mode) and Debian's package mirror.
set -eu
cd "$(dirname "$0")/../.."
OUT=build/cache/rootfs
SRC=samples/distro
mkdir -p "$OUT"

exec 9>"$OUT/.lock"
flock 9

kver=$(cat build/cache/kernel/VERSION 2>/dev/null || true)
if [ -z "$kver" ]; then
    echo "build-rootfs: build/cache/kernel/VERSION missing (run scripts/install-deps)" >&2
    exit 2
fi

# a new sandbox kernel (scripts/install-deps) means a new base
if [ -s "$OUT/base.tar" ] && [ "$(cat "$OUT/base.kver" 2>/dev/null)" != "$kver" ]; then
    echo "build-rootfs: the sandbox kernel is now $kver: rebuilding base.tar" >&2
    rm -f "$OUT/base.tar"
fi
if [ ! -s "$OUT/base.tar" ]; then
    command -v mmdebstrap >/dev/null || apt-get install -y mmdebstrap >&2
    echo "build-rootfs: mmdebstrap bookworm (linux-image-$kver), several minutes..." >&2
    rm -f "$OUT/base.tar.tmp"
    mmdebstrap --variant=minbase --format=tar \
        --include="systemd,systemd-sysv,udev,kmod,procps,e2fsprogs,fio,linux-image-$kver" \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        bookworm "$OUT/base.tar.tmp" >&2
    mv "$OUT/base.tar.tmp" "$OUT/base.tar"
    echo "$kver" > "$OUT/base.kver"
fi

# debian.img.sha256: the image's hash, made here (natively) so that
# t_distro can give it to `exitlog record --image-sha256` instead of the
# recorder hashing a GiB under nested TCG (minutes); replay checks it.
image_sha() {
    if [ ! -s "$OUT/debian.img.sha256" ] || [ "$OUT/debian.img" -nt "$OUT/debian.img.sha256" ]; then
        sha256sum "$OUT/debian.img" | cut -d' ' -f1 > "$OUT/debian.img.sha256.tmp" &&
            mv "$OUT/debian.img.sha256.tmp" "$OUT/debian.img.sha256"
    fi
}
# What the image is made from, by content: this script, the overlay (files
# and modes), the base (its kernel version, size and time: it is only ever
# replaced whole, here).  By content rather than by file times: build/cache
# is shared by every work tree of a machine, and a fresh checkout's files
# are all newer than an image built from the very same recipe.
key=$( { sha256sum < "$0"; cat "$OUT/base.kver"; stat -c '%s %Y' "$OUT/base.tar";
         (cd "$SRC/overlay" && find . -type f -printf '%p %m\n' | sort &&
          find . -type f | sort | xargs sha256sum); } | sha256sum | cut -c1-16)
if [ -s "$OUT/debian.img" ] && [ -s "$OUT/initrd.img" ]; then
    # an image from before the key (built by the file-time rule): adopted
    [ -s "$OUT/debian.key" ] || echo "$key" > "$OUT/debian.key"
    if [ "$(cat "$OUT/debian.key")" = "$key" ]; then
        image_sha
        echo "build-rootfs: $OUT/debian.img is up to date" >&2
        exit 0
    fi
fi

tmp=$(mktemp -d "$OUT/tree.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xf "$OUT/base.tar"
cp -a "$SRC/overlay/." "$tmp/"
chmod 755 "$tmp/usr/local/sbin/exitlog-workload"
# Enable the units the way systemctl enable would (no systemctl in a bare tree).
mkdir -p "$tmp/etc/systemd/system/multi-user.target.wants" \
         "$tmp/etc/systemd/system/getty.target.wants"
ln -sf /etc/systemd/system/exitlog-workload.service \
    "$tmp/etc/systemd/system/multi-user.target.wants/exitlog-workload.service"
ln -sf /lib/systemd/system/serial-getty@.service \
    "$tmp/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
# Timers and services that only cost boot time in a recorded session.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
         e2scrub_reap.service fstrim.timer dpkg-db-backup.timer \
         systemd-timesyncd.service getty@tty1.service; do
    ln -sf /dev/null "$tmp/etc/systemd/system/$u"
done
# Modules no session of this VMM can use (graphics, sound, radio, media,
# InfiniBand, staging): about half of the image.  The rest stays installed.
m="$tmp/usr/lib/modules/$kver/kernel"
rm -rf "$m/drivers/gpu" "$m/drivers/media" "$m/drivers/net/wireless" \
       "$m/drivers/infiniband" "$m/drivers/staging" "$m/sound" "$m/net/wireless" \
       "$m/net/bluetooth" "$m/drivers/bluetooth"
chroot "$tmp" /sbin/depmod "$kver"
cp "$tmp/boot/vmlinuz-$kver" "$OUT/vmlinuz.tmp"
cp "$tmp/boot/initrd.img-$kver" "$OUT/initrd.img.tmp"
# Size: the tree plus a third and 256 MiB of free space.
kib=$(du -sk "$tmp" | cut -f1)
mib=$(( kib / 1024 * 4 / 3 + 256 ))
rm -f "$OUT/debian.img.tmp"
mkfs.ext4 -q -L exitlog-root -d "$tmp" "$OUT/debian.img.tmp" "${mib}M"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
mv "$OUT/debian.img.tmp" "$OUT/debian.img"
echo "$key" > "$OUT/debian.key"
image_sha
echo "build-rootfs: $OUT/debian.img (${mib} MiB), $OUT/vmlinuz, $OUT/initrd.img" >&2
