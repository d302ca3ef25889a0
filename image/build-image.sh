#!/usr/bin/env bash
# Build the Raspberry Pi image (Debian bookworm arm64, Raspberry Pi 3/4/400/CM4):
#   image/build-image.sh [--deb dist/edge_<version>_arm64.deb] [--out dist]
#                        [--work DIR]
# --work keeps the build tree in DIR (default: a temporary directory, removed
# afterwards); a DIR whose root tree is complete (DIR/rootfs.done) is reused and
# only genimage runs again.
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
WORK=
while [ $# -gt 0 ]; do
    case "$1" in
        --deb) DEB=$(realpath "$2"); shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        *) echo "usage: image/build-image.sh [--deb FILE] [--out DIR] [--work DIR]" >&2; exit 2 ;;
    esac
done
[ -n "$DEB" ] || DEB=$(image/deb/build.sh --arch arm64)
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
if [ -n "$WORK" ]; then
    mkdir -p "$WORK"
    WORK=$(realpath "$WORK")
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/edge-image.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
fi
HERE=$PWD/image
# Debian's .debs, shared with deb/check.sh (apt takes only the arm64 ones here).
CACHE=${EDGE_APT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edge/apt}
mkdir -p "$CACHE"
stamp() { echo "build-image: $(date -u +%H:%M:%S) $*" >&2; }
# A command in the root tree with /proc, /sys and /dev, in a private mount
# namespace of its own, unmounted again before it returns.
inroot() {
    unshare --mount --propagation private --fork sh -ec 'R=$1; shift
        mount -t proc proc "$R/proc"; mount --rbind /sys "$R/sys"; mount --rbind /dev "$R/dev"
        rc=0; chroot "$R" "$@" || rc=$?
        umount -R "$R/dev" "$R/sys" "$R/proc"; exit $rc' inroot "$R" "$@"
}
# mmdebstrap can leave its /proc mounted ("umount: target is busy": a process
# from a maintainer script still runs in the chroot); detach what is left.
unmount_leftovers() {
    awk -v r="$1/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do
            echo "build-image: $m is still mounted: detaching it" >&2
            umount --lazy "$m"
        done
}
# genimage copies the root tree: a file system mounted in it (a /proc left by
# a hook) would be copied too, /proc/*/root and all, until the disk is full.
no_mounts_in() {
    if grep -q " $1/" /proc/self/mountinfo; then
        echo "file systems mounted in $1, not copying it:" >&2
        grep " $1/" /proc/self/mountinfo >&2
        exit 1
    fi
}

# The root file system: Debian's own Raspberry Pi support (linux-image-arm64,
# raspi-firmware), systemd, time sync, mDNS (edge.local), and the edge package
# with resolvconf (installed last, with the package: once it is configured,
# /etc/resolv.conf points into /run, and the chroot has no name servers).
#
# Under qemu-user every initramfs build takes minutes, and a package install
# asks for one several times (the kernel's hook, then initramfs-tools' trigger
# for udev, kmod, ...). So update-initramfs is diverted to a stub while the
# packages go in (essential hook, before initramfs-tools is unpacked) and run
# ONCE for the installed kernel at the end (stage "initramfs" below), whose
# post-update hook puts the kernel and the initrd on the boot partition.
# Documentation, man pages and translations are not unpacked (dpkg under
# emulation; a read-only appliance nobody reads them on).
if [ ! -e "$WORK/rootfs.done" ]; then
    rm -rf "$WORK/rootfs"
    stamp "mmdebstrap: bookworm arm64 into $WORK/rootfs"
    mmdebstrap --architectures=arm64 --variant=minbase --mode=root \
        --components="main non-free-firmware" \
        --include=systemd-sysv,udev,kmod,initramfs-tools,linux-image-arm64,raspi-firmware,systemd-timesyncd,avahi-daemon,ifupdown,isc-dhcp-client,iproute2,ca-certificates,procps,passwd \
        --dpkgopt=force-unsafe-io --aptopt='Acquire::Languages "none"' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
        --setup-hook="sync-in $CACHE /var/cache/apt/archives/" \
        --essential-hook='mkdir -p "$1/boot/firmware" "$1/etc/systemd/journald.conf.d"' \
        --essential-hook='chroot "$1" dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.edge-real --add /usr/sbin/update-initramfs' \
        --essential-hook='printf "#!/bin/sh\necho \"update-initramfs \$*: deferred by build-image.sh\" >&2\n" >"$1/usr/sbin/update-initramfs" && chmod 0755 "$1/usr/sbin/update-initramfs"' \
        --customize-hook="sync-out /var/cache/apt/archives $CACHE" \
        --customize-hook="copy-in $DEB /tmp" \
        --customize-hook="chroot \"\$1\" apt-get install -y -q /tmp/$(basename "$DEB") resolvconf" \
        --customize-hook="sync-out /var/cache/apt/archives $CACHE" \
        --customize-hook='rm -f "$1"/tmp/*.deb' \
        bookworm "$WORK/rootfs"
    unmount_leftovers "$WORK/rootfs"
    touch "$WORK/rootfs.done"
fi
R=$WORK/rootfs
unmount_leftovers "$R"

# The image's own files, enabled units, the data partition's tree.
if [ ! -e "$WORK/config.done" ]; then
    stamp "configuring the root tree"
    install -m 0644 "$HERE/rootfs/fstab" "$HERE/rootfs/hostname" "$R/etc/"
    install -m 0644 "$HERE/rootfs/journald-edge.conf" "$R/etc/systemd/journald.conf.d/"
    install -m 0644 "$HERE/rootfs/eth0" "$R/etc/network/interfaces.d/"
    # raspi-firmware writes config.txt and cmdline.txt on every kernel or
    # initrd update: its settings and our additions go where it reads them.
    install -m 0644 "$HERE/rootfs/raspi-firmware" "$R/etc/default/raspi-firmware"
    install -m 0644 "$HERE/rootfs/raspi-firmware-custom" "$HERE/rootfs/raspi-extra-cmdline" "$R/etc/default/"
    chroot "$R" systemctl enable edge.service edge-provision.service systemd-timesyncd.service
    mkdir -p "$R/data/edge" "$R/data/etc-edge" "$R/data/edge-provision" "$R/data/journal"
    chroot "$R" sh -ec 'chown edge:edge /data/edge && chmod 0700 /data/edge
        chown root:edge /data/etc-edge && chmod 0750 /data/etc-edge
        chown root:systemd-journal /data/journal && chmod 2755 /data/journal'
    rm -f "$R/etc/edge/site.toml"
    # DNS: dhclient hands the servers to resolvconf (its enter hook), which
    # writes /run/resolvconf/resolv.conf; the read-only root only links to it.
    ln -sfn ../run/resolvconf/resolv.conf "$R/etc/resolv.conf"
    # (resolvconf's postinst keeps the chroot's resolv.conf, the build host's
    # name servers, as "original", unused unless tail links to it: removed)
    rm -f "$R/etc/resolvconf/resolv.conf.d/original"
    # The machine id: made once on the data partition, by the initramfs, and
    # bound over this empty file before systemd starts (rootfs/edge-machine-id).
    : >"$R/etc/machine-id"
    rm -f "$R/data/machine-id"
    install -D -m 0755 "$HERE/rootfs/edge-machine-id" "$R/etc/initramfs-tools/scripts/local-bottom/edge-machine-id"
    touch "$WORK/config.done"
fi

# The one initramfs build (stub removed, diversion undone).
if [ ! -e "$WORK/initramfs.done" ]; then
    KVER=$(ls "$R/lib/modules")
    [ "$(echo "$KVER" | wc -w)" = 1 ] || { echo "expected one kernel in $R/lib/modules: $KVER" >&2; exit 1; }
    stamp "update-initramfs -c -k $KVER (once, under emulation)"
    if [ -e "$R/usr/sbin/update-initramfs.edge-real" ]; then
        rm -f "$R/usr/sbin/update-initramfs"
        chroot "$R" dpkg-divert --local --rename --remove /usr/sbin/update-initramfs
    fi
    # Its post-update hook (raspi-firmware) copies kernel, initrd and device
    # trees to /boot/firmware and writes config.txt and cmdline.txt.
    inroot update-initramfs -c -k "$KVER"
    for f in "vmlinuz-$KVER" "initrd.img-$KVER" config.txt cmdline.txt; do
        [ -s "$R/boot/firmware/$f" ] || { echo "no $f on the boot partition" >&2; exit 1; }
    done
    stamp "boot partition: $(ls "$R/boot/firmware" | wc -l) files"
    touch "$WORK/initramfs.done"
fi

# genimage takes /boot/firmware and /data out of the root file system into
# their own partitions (their images name them as mountpoints); the bind
# mounts in fstab put /data's directories at /var/lib/edge and /etc/edge.
VERSION=$(dpkg-deb --field "$DEB" Version)
stamp "genimage"
no_mounts_in "$R"
rm -rf "$WORK/genimage-tmp" "$WORK/out"
mkdir -p "$WORK/genimage-in" "$WORK/out"
genimage --config "$HERE/genimage.cfg" --rootpath "$R" \
    --tmppath "$WORK/genimage-tmp" --inputpath "$WORK/genimage-in" --outputpath "$WORK/out"
rm -rf "$WORK/genimage-tmp"
stamp "xz"
xz -T0 -3 -c "$WORK/out/edge.img" >"$OUT/edge-$VERSION-arm64.img.xz"
stamp "done"
echo "$OUT/edge-$VERSION-arm64.img.xz"
