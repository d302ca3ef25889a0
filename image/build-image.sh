#!/usr/bin/env bash
# Build the Raspberry Pi image (Debian bookworm arm64, Raspberry Pi 3/4/400/CM4):
#   image/build-image.sh [--deb dist/edge_<version>_arm64.deb] [--out dist]
# Needs root, mmdebstrap, genimage, dosfstools, mtools, e2fsprogs and, on a
# non-arm64 machine, qemu-user-static with binfmt_misc registered.
#
# Partitions (genimage, image/genimage.cfg):
#   1 EDGE_BOOT  FAT32, /boot/firmware: firmware, kernel, config.txt; the
#                installer puts site.toml here (read by edge-provision only)
#   2 EDGE_ROOT  ext4, /, mounted read-only: a power cut cannot touch it
#   3 EDGE_DATA  ext4 (commit=5), /data: /var/lib/edge (the SQLite store, OCPI
#                credentials), /etc/edge (the last good site.toml), the journal
# First boot and every boot: edge-provision.service copies site.toml from the
# boot partition, checks it with `edge config check`, installs it only when it
# passes (errors in the journal and /var/lib/edge-provision/site-check.txt),
# never fails the boot; then edge.service starts.
set -euo pipefail
cd "$(dirname "$0")/.."
DEB=
OUT=dist
while [ $# -gt 0 ]; do
    case "$1" in
        --deb) DEB=$(realpath "$2"); shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "usage: image/build-image.sh [--deb FILE] [--out DIR]" >&2; exit 2 ;;
    esac
done
[ -n "$DEB" ] || DEB=$(image/deb/build.sh --arch arm64)
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/edge-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
HERE=$PWD/image

# The root file system: Debian's own Raspberry Pi support (linux-image-arm64,
# raspi-firmware), systemd, time sync, mDNS (edge.local), and the edge package.
mmdebstrap --architectures=arm64 --variant=minbase --mode=root \
    --components="main non-free-firmware" \
    --include=systemd-sysv,udev,kmod,linux-image-arm64,raspi-firmware,firmware-brcm80211,systemd-timesyncd,avahi-daemon,ifupdown,isc-dhcp-client,iproute2,ca-certificates,procps,passwd \
    --dpkgopt=force-unsafe-io \
    --essential-hook='mkdir -p "$1/boot/firmware" "$1/etc/systemd/journald.conf.d"' \
    --customize-hook="copy-in $DEB /tmp" \
    --customize-hook="chroot \"\$1\" apt-get install -y -q /tmp/$(basename "$DEB")" \
    --customize-hook="copy-in $HERE/rootfs/fstab $HERE/rootfs/hostname /etc" \
    --customize-hook="copy-in $HERE/rootfs/journald-edge.conf /etc/systemd/journald.conf.d" \
    --customize-hook="copy-in $HERE/rootfs/eth0 /etc/network/interfaces.d" \
    --customize-hook='chroot "$1" systemctl enable edge.service edge-provision.service systemd-timesyncd.service' \
    --customize-hook='mkdir -p "$1/data/edge" "$1/data/etc-edge" "$1/data/edge-provision" "$1/data/journal"' \
    --customize-hook='chroot "$1" sh -c "chown edge:edge /data/edge && chmod 0700 /data/edge && chown root:edge /data/etc-edge && chmod 0750 /data/etc-edge"' \
    --customize-hook='rm -f "$1/etc/edge/site.toml"' \
    --customize-hook=': > "$1/etc/machine-id"' \
    --customize-hook="copy-in $HERE/rootfs/config.txt $HERE/rootfs/cmdline.txt /boot/firmware" \
    bookworm "$WORK/rootfs"

# genimage takes /boot/firmware and /data out of the root file system into
# their own partitions (their images name them as mountpoints); the bind
# mounts in fstab put /data's directories at /var/lib/edge and /etc/edge.
VERSION=$(dpkg-deb --field "$DEB" Version)
mkdir -p "$WORK/genimage-in"
genimage --config "$HERE/genimage.cfg" --rootpath "$WORK/rootfs" \
    --tmppath "$WORK/genimage-tmp" --inputpath "$WORK/genimage-in" --outputpath "$WORK/out"
xz -T0 -3 -c "$WORK/out/edge.img" >"$OUT/edge-$VERSION-arm64.img.xz"
echo "$OUT/edge-$VERSION-arm64.img.xz"
