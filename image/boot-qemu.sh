#!/usr/bin/env bash
# Boot the card image under qemu-system-aarch64 and check the booted system:
#   image/boot-qemu.sh IMAGE[.img.xz] [--log FILE] [--boots N]
# Slow (TCG, minutes per boot): not part of the test suite. Needs mtools,
# sfdisk, qemu-system-arm and the project's hal-sim (the venv's); not root.
#
# The image is Debian's arm64 kernel (linux-image-arm64), which also boots
# qemu's generic `virt` machine: the kernel and the initrd are taken from the
# image's own boot partition (what config.txt names) and booted with the
# image as a virtio disk, so the root, the data partition, fstab, the
# initramfs's machine-id script and the units are the image's. Not tested this
# way: the Raspberry Pi firmware, config.txt and the Pi's device tree.
#
# Like an installer, it puts a site.toml on a copy's boot partition: the demo
# site (config/demo.toml) with its Modbus TCP gateway at the host (10.0.2.2,
# qemu's user network), its database where edge.service keeps it, and without
# card readers; `hal-sim serve
# config/demo.toml` runs the devices on this machine. A check script on the
# boot partition, started by systemd.run= on the kernel command line, waits in
# the guest for multi-user.target and edge.service, prints "BOOTCHECK ..."
# lines on the console (root read-only, machine id, journal, resolv.conf, DNS,
# provisioning, the page) and powers off. The second boot (--boots 2, the default) shows the
# machine id and the journal kept across boots.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: image/boot-qemu.sh IMAGE[.xz] [--log FILE] [--boots N]" >&2; exit 2; }
IMG=$(realpath "$1"); shift
LOG=
BOOTS=2
while [ $# -gt 0 ]; do
    case "$1" in
        --log) LOG=$(realpath "$2"); shift 2 ;;
        --boots) BOOTS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
T=$(mktemp -d "${TMPDIR:-/tmp}/edge-boot.XXXXXX")
[ -n "$LOG" ] || LOG=$T/boot.log
: >"$LOG"
HALSIM=
cleanup() {
    [ -z "$HALSIM" ] || kill "$HALSIM" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
say() { echo "boot-qemu: $(date -u +%H:%M:%S) $*" | tee -a "$LOG" >&2; }

if [ "${IMG%.xz}" != "$IMG" ]; then
    xz -dc "$IMG" | cp --sparse=always /dev/stdin "$T/edge.img"
else
    cp --sparse=always "$IMG" "$T/edge.img"
fi
start=$(sfdisk -J "$T/edge.img" | python3 -c "import json,sys; print(json.load(sys.stdin)['partitiontable']['partitions'][0]['start'])")
BOOT="$T/edge.img@@$((start * 512))"
mcopy -n -i "$BOOT" ::/config.txt ::/cmdline.txt "$T/"
kernel=$(sed -n 's/^kernel=//p' "$T/config.txt")
initrd=$(sed -n 's/^initramfs \([^ ]*\).*/\1/p' "$T/config.txt")
mcopy -n -i "$BOOT" "::/$kernel" "::/$initrd" "$T/"
# The Pi's command line, for the virt machine's console and disk.
root=$(grep -o 'root=[^ ]*' "$T/cmdline.txt")
say "kernel $kernel, initrd $initrd, Pi cmdline: $(cat "$T/cmdline.txt")"

sed -e 's/^host = "127.0.0.1"/host = "10.0.2.2"/' -e '/^rfid = /d' \
    -e 's|^path = "edge-demo.db"|path = "/var/lib/edge/edge.db"|' config/demo.toml >"$T/site.toml"
grep -q '^\[web\]' "$T/site.toml" || printf '\n[web]\nlisten_host = "127.0.0.1"\nlisten_port = 8080\n' >>"$T/site.toml"
cat >"$T/edge-boot-check.sh" <<'EOF'
#!/bin/sh
# Run by boot-qemu.sh in the guest: what the boot did, then power off.
# systemd.run= makes kernel-command-line.service (and a target of its own the
# default: systemd.unit=multi-user.target and systemd.wants= put it back under
# the image's boot), started early, powering off when done unless told none:
# it only hands this script to a unit of its own, after multi-user.target.
if [ "${1:-}" != check ]; then
    exec systemd-run --no-block --unit=edge-boot-check --property=After=multi-user.target \
        /bin/sh /boot/firmware/edge-boot-check.sh check
fi
exec >/dev/console 2>&1
say() { echo "BOOTCHECK $*"; }
say "system $(systemctl is-system-running --wait) at $(cut -d' ' -f1 /proc/uptime) s"
waited=0
say "edge-provision: $(systemctl show -p Result,ExecMainStatus --value edge-provision.service | tr '\n' ' '); /etc/edge: $(ls -l /etc/edge | tail -n +2 | tr '\n' ';')"
while [ "$(systemctl is-active edge.service)" != active ] && [ $waited -lt 900 ]; do
    if [ "$(systemctl show -p ConditionResult --value edge.service)" = no ]; then
        say "edge.service was skipped: $(systemctl show -p ConditionTimestamp --value edge.service)"
        break
    fi
    sleep 5; waited=$((waited + 5))
    if [ $((waited % 60)) = 0 ]; then
        say "waiting for edge.service: $(systemctl show -p ActiveState,SubState,Result,NRestarts --value edge.service edge-provision.service | tr '\n' ' ')"
        journalctl -b -u edge.service -u edge-provision.service --no-pager -q -n 4 | cut -c1-300
    fi
done
say "edge.service $(systemctl is-active edge.service) (waited ${waited} s in this check); uptime $(cut -d' ' -f1 /proc/uptime) s"
say "multi-user.target $(systemctl is-active multi-user.target); failed units: [$(systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')]"
say "/ mounted $(findmnt -no OPTIONS /)"
if touch /etc/.boot-check 2>"/tmp/err"; then say "/ is WRITABLE"; rm -f /etc/.boot-check; else say "/ refuses writes: $(cat /tmp/err)"; fi
say "/data mounted $(findmnt -no SOURCE,OPTIONS /data)"
say "/etc/machine-id $(cat /etc/machine-id), a mount of $(findmnt -no SOURCE /etc/machine-id); /data/machine-id $(cat /data/machine-id)"
say "journal directories: $(ls /var/log/journal); boots in the journal: $(journalctl --list-boots --no-pager -q | wc -l)"
journalctl --list-boots --no-pager -q
say "/etc/resolv.conf -> $(readlink /etc/resolv.conf): $(grep -v '^#' /etc/resolv.conf | tr '\n' ' ')"
say "DNS deb.debian.org: $(getent hosts deb.debian.org || echo no answer)"
say "edge-provision.service: $(systemctl show -p Result --value edge-provision.service), exit $(systemctl show -p ExecMainStatus --value edge-provision.service)"
sed 's/^/BOOTCHECK site-check.txt: /' /var/lib/edge-provision/site-check.txt
say "$(ls -l /etc/edge/site.toml)"
journalctl -b -u edge-provision.service -u edge.service --no-pager -q -o short-monotonic | tail -n 25
say "page: $(python3.11 -c 'import urllib.request as u; r = u.urlopen("http://127.0.0.1:8080/page/", timeout=30); print(r.status, len(r.read()), "bytes")' 2>&1 | tail -n 1)"
say "done"
systemctl poweroff --no-block
EOF
mcopy -o -i "$BOOT" "$T/site.toml" "$T/edge-boot-check.sh" ::/
say "site.toml and edge-boot-check.sh on the boot partition"

HAL_SIM=${HAL_SIM:-$(command -v hal-sim || echo .venv/bin/hal-sim)}
"$HAL_SIM" serve config/demo.toml >"$T/hal-sim.log" 2>&1 &
HALSIM=$!
say "hal-sim serve config/demo.toml (pid $HALSIM) for the guest's gateway at 10.0.2.2:15020"

for n in $(seq 1 "$BOOTS"); do
    say "boot $n: qemu-system-aarch64 -M virt"
    t0=$(date +%s)
    timeout 45m qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 \
        -display none -monitor none -serial stdio -no-reboot \
        -kernel "$T/$kernel" -initrd "$T/$initrd" \
        -append "$root ro rootwait console=ttyAMA0 net.ifnames=0 systemd.unit=multi-user.target systemd.wants=kernel-command-line.service systemd.run=/boot/firmware/edge-boot-check.sh systemd.run_success_action=none systemd.run_failure_action=none" \
        -drive file="$T/edge.img",format=raw,if=none,id=card -device virtio-blk-pci,drive=card \
        -netdev user,id=net0 -device virtio-net-pci,netdev=net0 \
        </dev/null | stdbuf -oL tr -d '\r' >>"$LOG" || say "boot $n: qemu exit $?"
    say "boot $n: $(($(date +%s) - t0)) s from power on to power off"
done
say "hal-sim: $(tail -n 3 "$T/hal-sim.log" | tr '\n' ' ')"
grep -a '^BOOTCHECK' "$LOG" >&2 || { echo "no BOOTCHECK lines: see $LOG" >&2; exit 1; }
# What every boot must have shown; the machine id the same in all of them.
bad=0
expect() {  # PATTERN WHAT: one BOOTCHECK line per boot matches
    local got
    got=$(grep -ac "^BOOTCHECK $1" "$LOG" || true)
    [ "$got" = "$BOOTS" ] || { echo "boot-qemu: FAILED: $2 ($got of $BOOTS boots)" >&2; bad=1; }
}
expect 'edge.service active' "edge.service active"
expect 'multi-user.target active; failed units: \[\]' "multi-user.target without failed units"
expect '/ mounted ro,' "the root mounted read-only"
expect '/ refuses writes' "the root refusing writes"
expect '/etc/resolv.conf -> ../run/resolvconf/resolv.conf: .*nameserver' "resolv.conf from resolvconf, with a server"
expect '/etc/machine-id \([0-9a-f]\{32\}\), a mount of tmpfs\[/machine-id\]; /data/machine-id \1$' "the machine id from the data partition"
expect 'page: 200' "the page served"
ids=$(sed -n 's/^BOOTCHECK \/etc\/machine-id \([0-9a-f]*\),.*/\1/p' "$LOG" | sort -u | wc -l)
[ "$ids" = 1 ] || { echo "boot-qemu: FAILED: $ids machine ids over $BOOTS boots" >&2; bad=1; }
[ "$bad" = 0 ] && echo "boot-qemu: all $BOOTS boots as expected" >&2
exit "$bad"
