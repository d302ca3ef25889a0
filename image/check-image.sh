#!/usr/bin/env bash
# Check a built card image without booting it:
#   image/check-image.sh dist/edge-<version>-arm64.img[.xz]
# Needs root, util-linux (sfdisk, losetup, unshare), cpio and, on a non-arm64
# machine, qemu-user-static with binfmt_misc registered (edge-provision runs in
# a chroot of a copy of the root file system).
#
# 1. The partition table: boot FAT, root ext4, data ext4, by label.
# 2. The file systems, mounted read-only from loop devices at the partitions'
#    offsets: the package (/opt/edge/venv, the edge user in dialout), fstab
#    (root read-only, /data, every bind target a directory on the root), the
#    units enabled, kernel, initrd and config on the boot partition.
# 3. edge-provision in a chroot of a copy of the root, laid out as fstab does
#    at boot (root read-only, /data's directories bound on), with a good, a bad
#    and a missing site.toml on the boot partition.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 1 ] || { echo "usage: image/check-image.sh IMAGE[.xz]" >&2; exit 2; }
IMG=$(realpath "$1")
T=$(mktemp -d "${TMPDIR:-/tmp}/edge-check.XXXXXX")
LOOPS=()
cleanup() {
    for m in "$T/mnt/data" "$T/mnt/root"; do
        mountpoint -q "$m" && umount "$m"
    done
    for l in "${LOOPS[@]}"; do losetup -d "$l"; done
    rm -rf "$T"
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
if [ "${IMG%.xz}" != "$IMG" ]; then
    xz -dc "$IMG" >"$T/edge.img"
    IMG=$T/edge.img
fi

step "partition table"
sfdisk -l "$IMG"
# start and size (sectors) of partition N
part() { sfdisk -J "$IMG" | python3 -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][$1-1]; print(p['start'], p['size'], p['type'])"; }
attach() {  # N -> loop device of partition N, read-only
    local start size type
    read -r start size type < <(part "$1")
    losetup --find --show --read-only --offset $((start * 512)) --sizelimit $((size * 512)) "$IMG"
}
BOOT=$(attach 1); LOOPS+=("$BOOT")
read -r BOOT_START _ _ < <(part 1)
ROOT=$(attach 2); LOOPS+=("$ROOT")
DATA=$(attach 3); LOOPS+=("$DATA")
[ "$(part 1 | cut -d' ' -f3)" = c ] || fail "partition 1 is not FAT32 (LBA)"
for dev_label_type in "$BOOT EDGE_BOOT vfat" "$ROOT EDGE_ROOT ext4" "$DATA EDGE_DATA ext4"; do
    set -- $dev_label_type
    got="$(blkid -o value -s LABEL "$1") $(blkid -o value -s TYPE "$1")"
    echo "$1: $got"
    [ "$got" = "$2 $3" ] || fail "$1 is '$got', expected '$2 $3'"
done

mkdir -p "$T/mnt/root" "$T/mnt/boot" "$T/mnt/data"
mount -o ro "$ROOT" "$T/mnt/root"
# The boot partition through mtools (no vfat module needed on the build host).
mcopy -s -n -m -i "$IMG@@$((BOOT_START * 512))" ::/ "$T/mnt/boot/"
mount -o ro "$DATA" "$T/mnt/data"
R=$T/mnt/root

step "the package"
chroot "$R" dpkg-query -W edge
# (absolute symlinks: resolved inside the root, not on the build host)
chroot "$R" test -x /opt/edge/venv/bin/python || fail "no /opt/edge/venv/bin/python"
chroot "$R" test -x /usr/bin/edge || fail "no /usr/bin/edge"
ls -l "$R/usr/bin/edge" "$R/opt/edge/venv/bin/python"
grep -E '^dialout:' "$R/etc/group"
grep -qE '^dialout:.*[:,]edge(,|$)' "$R/etc/group" || fail "edge is not in dialout"
[ ! -e "$R/etc/edge/site.toml" ] || fail "a site.toml is on the image before the installer's"
chroot "$R" /usr/bin/edge --version

step "fstab"
cat "$R/etc/fstab"
awk '$2 == "/" { exit !($4 ~ /(^|,)ro(,|$)/) }' "$R/etc/fstab" || fail "/ is not ro in fstab"
grep -qE '^LABEL=EDGE_DATA[[:space:]]+/data[[:space:]]+ext4' "$R/etc/fstab" || fail "no /data in fstab"
awk '$3 == "none" && $4 ~ /bind/ { print $2 }' "$R/etc/fstab" | while read -r target; do
    [ -d "$R$target" ] || fail "bind target $target is not a directory on the root"
done
awk '$3 == "none" && $4 ~ /bind/ { sub("^/data/", "", $1); print $1 }' "$R/etc/fstab" | while read -r src; do
    [ -d "$T/mnt/data/$src" ] || fail "/data/$src is not on the data partition"
done
ls -la "$T/mnt/data"

step "units enabled"
for unit in edge.service edge-provision.service systemd-timesyncd.service; do
    link=$(find "$R/etc/systemd/system" -name "$unit" -type l | head -1)
    [ -n "$link" ] || fail "$unit is not enabled"
    echo "${link#"$R"} -> $(readlink "$link")"
done

step "boot partition"
ls "$T/mnt/boot" | head -40
cat "$T/mnt/boot/config.txt" "$T/mnt/boot/cmdline.txt"
for f in vmlinuz initrd.img; do
    ls "$T/mnt/boot/$f"-* >/dev/null || fail "no $f on the boot partition"
done
[ -e "$T/mnt/boot/start4.elf" ] || fail "no firmware (start4.elf) on the boot partition"
[ -e "$T/mnt/boot/bcm2711-rpi-4-b.dtb" ] || fail "no bcm2711-rpi-4-b.dtb on the boot partition"
grep -q 'root=LABEL=EDGE_ROOT' "$T/mnt/boot/cmdline.txt" || fail "cmdline.txt does not name EDGE_ROOT"
grep -qE ' ro$' "$T/mnt/boot/cmdline.txt" || fail "cmdline.txt does not end in ro"
grep -q 'cma=' "$T/mnt/boot/cmdline.txt" && fail "cmdline.txt sets cma= (a Pi 4 may not boot)"
kernel=$(sed -n 's/^kernel=//p' "$T/mnt/boot/config.txt")
initrd=$(sed -n 's/^initramfs //p' "$T/mnt/boot/config.txt")
[ -s "$T/mnt/boot/$kernel" ] || fail "config.txt's kernel=$kernel is not on the boot partition"
[ -s "$T/mnt/boot/$initrd" ] || fail "config.txt's initramfs $initrd is not on the boot partition"
grep -qx 'dtoverlay=disable-bt' "$T/mnt/boot/config.txt" || fail "raspi-firmware-custom is not in config.txt"

step "DNS on the read-only root: /etc/resolv.conf is resolvconf's file in /run"
chroot "$R" dpkg-query -W resolvconf
[ -L "$R/etc/resolv.conf" ] || fail "/etc/resolv.conf is not a symlink"
[ "$(readlink "$R/etc/resolv.conf")" = ../run/resolvconf/resolv.conf ] ||
    fail "/etc/resolv.conf -> $(readlink "$R/etc/resolv.conf"), expected ../run/resolvconf/resolv.conf"
[ -e "$R/etc/dhcp/dhclient-enter-hooks.d/resolvconf" ] || fail "no dhclient hook of resolvconf"
link=$(find "$R/etc/systemd/system" -name resolvconf.service -type l | head -1)
[ -n "$link" ] || fail "resolvconf.service is not enabled"
ls -l "$R/etc/resolv.conf"
if grep -rs '^nameserver' "$R/etc/resolvconf/resolv.conf.d/"; then fail "resolvconf's files name servers (the build host's?)"; fi

step "machine id: empty on the root, none on the data partition, the initramfs makes it"
[ -f "$R/etc/machine-id" ] && [ ! -s "$R/etc/machine-id" ] || fail "/etc/machine-id is not an empty file"
[ ! -e "$T/mnt/data/machine-id" ] || fail "the image carries a machine id (every card would share it)"
I=$T/initrd
mkdir -p "$I"
{ gzip -dc "$T/mnt/boot/$initrd" 2>/dev/null || zstd -dc "$T/mnt/boot/$initrd"; } | (cd "$I" && cpio -id --quiet)
mkdir -p "$I/proc" "$I/run" "$I/dev" "$I/root"  # (the initramfs's init makes them)
[ -x "$I/scripts/local-bottom/edge-machine-id" ] || fail "the initrd has no scripts/local-bottom/edge-machine-id"
grep -q edge-machine-id "$I/scripts/local-bottom/ORDER" || fail "edge-machine-id is not in local-bottom/ORDER"
# The script in a chroot of the unpacked initrd (its klibc sh and mount, under
# qemu-user), a copy of the data partition as EDGE_DATA, /root as the root:
# the id bound over /root/etc/machine-id is printed.
read -r data_start data_size _ < <(part 3)
dd if="$IMG" of="$T/data.ext4" bs=1M iflag=skip_bytes,count_bytes conv=sparse status=none \
    skip=$((data_start * 512)) count=$((data_size * 512))
DL=$(losetup --find --show "$T/data.ext4"); LOOPS+=("$DL")
mkdir -p "$T/d"
initramfs_id() {  # [no-data]: run edge-machine-id; the bound id on stdout
    unshare --mount --fork sh -ec 'I=$1; L=$2; what=$3
        mount -t tmpfs -o mode=0755 tmpfs "$I/run"; mount -t proc proc "$I/proc"
        mount -t tmpfs -o mode=0755 tmpfs "$I/dev"; mkdir -p "$I/dev/disk/by-label"
        [ "$what" = no-data ] || mknod "$I/dev/disk/by-label/EDGE_DATA" b $(stat -c "0x%t 0x%T" "$L")
        mkdir -p "$I/root/etc"; : >"$I/root/etc/machine-id"
        quiet=n rootmnt=/root chroot "$I" /scripts/local-bottom/edge-machine-id >&2
        ! grep " $I/run/edge-data " /proc/self/mountinfo >&2 || { echo "EDGE_DATA left mounted" >&2; exit 1; }
        if mountpoint -q "$I/root/etc/machine-id"; then cat "$I/root/etc/machine-id"; fi' \
        initramfs_id "$I" "$DL" "${1:-}"
}
data_id() { mount -o ro "$DL" "$T/d"; cat "$T/d/machine-id" 2>/dev/null || true; umount "$T/d"; }
first=$(initramfs_id)
echo "first boot: bound $first, on EDGE_DATA $(data_id)"
echo "$first" | grep -qxE '[0-9a-f]{32}' || fail "first boot bound '$first', not a machine id"
[ "$(data_id)" = "$first" ] || fail "the id bound is not the one on the data partition"
again=$(initramfs_id)
echo "next boot: bound $again"
[ "$again" = "$first" ] || fail "the next boot made a new id ($again, was $first)"
mount "$DL" "$T/d"; echo not-an-id >"$T/d/machine-id"; umount "$T/d"
fixed=$(initramfs_id)
echo "an invalid id on EDGE_DATA: bound $fixed"
echo "$fixed" | grep -qxE '[0-9a-f]{32}' || fail "an invalid id was not replaced"
[ "$fixed" != "$first" ] && [ "$(data_id)" = "$fixed" ] || fail "an invalid id was not replaced on the data partition"
none=$(initramfs_id no-data)
[ -z "$none" ] || fail "without EDGE_DATA an id was bound ($none): systemd's transient one should be used"
echo "no data partition: nothing bound (systemd makes a transient id)"

step "edge-provision in a chroot of a copy of the root (read-only, /data bound on as fstab does)"
C=$T/copy
mkdir -p "$C"
cp -a "$R/." "$C/root"
cp -a "$T/mnt/data/." "$C/data"
mkdir -p "$C/boot"
SUCCESS=$(sed -n 's/^SuccessExitStatus=//p' "$R/lib/systemd/system/edge-provision.service")
echo "edge-provision.service: SuccessExitStatus=$SUCCESS"
provision() {  # run edge-provision at "boot" with $C/boot as the boot partition; its exit status
    unshare --mount --fork sh -ec 'C=$1
        mount --bind "$C/root" "$C/root"; mount -o remount,bind,ro "$C/root"
        for d in edge:/var/lib/edge etc-edge:/etc/edge edge-provision:/var/lib/edge-provision; do
            mount --bind "$C/data/${d%%:*}" "$C/root/${d#*:}"
        done
        mount --bind "$C/boot" "$C/root/boot/firmware"; mount -o remount,bind,ro "$C/root/boot/firmware"
        mount -t proc proc "$C/root/proc"; mount -t tmpfs tmpfs "$C/root/tmp"
        exec chroot "$C/root" /usr/lib/edge/edge-provision --boot /boot/firmware --etc /etc/edge --state /var/lib/edge-provision' \
        provision "$C" && rc=0 || rc=$?
    echo "edge-provision exit $rc"
    cat "$C/data/edge-provision/site-check.txt"
    case " $SUCCESS " in *" $rc "*) ;; *) fail "exit $rc is a failed unit (SuccessExitStatus=$SUCCESS)" ;; esac
    return "$rc"
}
step "good site.toml"
cp config/site.example.toml "$C/boot/site.toml"
provision || fail "the good file was not installed"
cmp config/site.example.toml "$C/data/etc-edge/site.toml"
grep -q '^installed' "$C/data/edge-provision/site-check.txt"
stat -c '%U:%G %a %n' "$C/data/etc-edge/site.toml"
[ "$(stat -c %a "$C/data/etc-edge/site.toml")" = 640 ] || fail "site.toml is not 0640"
step "bad site.toml"
printf '[site]\nname = "x"\nbogus = 1\n' >"$C/boot/site.toml"
if provision; then fail "the bad file was accepted"; fi
cmp config/site.example.toml "$C/data/etc-edge/site.toml" || fail "the last good file was not kept"
grep -q '^rejected' "$C/data/edge-provision/site-check.txt"
grep -q 'kept the last good' "$C/data/edge-provision/site-check.txt"
step "no site.toml"
rm "$C/boot/site.toml"
provision || fail "no file on the boot partition is not a clean exit"
grep -q '^absent' "$C/data/edge-provision/site-check.txt"
cmp config/site.example.toml "$C/data/etc-edge/site.toml"
step "DNS from DHCP on the read-only root: dhclient's hook gives it to resolvconf, in /run"
# As at boot: resolvconf.service's tmpfiles and --enable-updates, then what
# dhclient-script does with a lease (its enter hooks, then make_resolv_conf).
unshare --mount --fork sh -ec 'C=$1
    mount --bind "$C/root" "$C/root"; mount -o remount,bind,ro "$C/root"
    mount -t tmpfs tmpfs "$C/root/run"; mount -t proc proc "$C/root/proc"
    exec chroot "$C/root" sh -ec "
        systemd-tmpfiles --create /usr/lib/tmpfiles.d/resolvconf.conf
        /sbin/resolvconf --enable-updates
        reason=BOUND interface=eth0 new_domain_name=site.test new_domain_name_servers=\"10.0.2.3 10.0.2.4\"
        . /etc/dhcp/dhclient-enter-hooks.d/resolvconf
        make_resolv_conf
        cat /etc/resolv.conf"' dns "$C" >"$T/resolv.out"
cat "$T/resolv.out"
grep -qx 'nameserver 10.0.2.3' "$T/resolv.out" && grep -qx 'nameserver 10.0.2.4' "$T/resolv.out" ||
    fail "the lease's name servers are not in /etc/resolv.conf"
# (resolvconf writes the lease's domain as the search list)
grep -qx 'search site.test' "$T/resolv.out" || fail "the lease's domain is not searched in /etc/resolv.conf"

step "all image checks passed"
