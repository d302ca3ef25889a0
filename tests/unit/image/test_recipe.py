"""The image recipe's files agree with each other (the build is image/build-image.sh).

fstab names the partitions genimage labels, raspi-firmware's settings boot the
root that fstab mounts read-only, and every directory fstab binds from /data is
made by the build. A mismatch here is a card that does not boot or a bind mount
that fails on a read-only root, found only on a Pi.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from edge.config.schema import StoreSection

ROOT = Path(__file__).resolve().parents[3]
IMAGE = ROOT / "image"


def fstab() -> list[list[str]]:
    lines = (IMAGE / "rootfs/fstab").read_text().splitlines()
    return [line.split() for line in lines if line.strip() and not line.startswith("#")]


def genimage_labels() -> dict[str, str]:
    """Mountpoint of each labelled file system image in genimage.cfg."""
    text = (IMAGE / "genimage.cfg").read_text()
    labels = {}
    for block in re.findall(r"image \S+ \{(.*?)\n\}", text, re.S):
        label = re.search(r'label = "([^"]+)"', block)
        if label:
            mount = re.search(r'mountpoint = "([^"]+)"', block)
            labels[label.group(1)] = mount.group(1) if mount else "/"
    return labels


def defaults(name: str) -> dict[str, str]:
    """A shell KEY=value file, as the raspi-firmware hook sources it."""
    out = {}
    for line in (IMAGE / "rootfs" / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = shlex.split(value)[0]
    return out


def test_fstab_mounts_each_genimage_partition_by_label_at_its_mountpoint() -> None:
    labelled = [e for e in fstab() if e[0].startswith("LABEL=")]
    by_label = {e[0].removeprefix("LABEL="): e[1] for e in labelled}
    assert by_label == genimage_labels()


def test_root_is_read_only_in_fstab_and_on_the_kernel_command_line() -> None:
    (root,) = [e for e in fstab() if e[1] == "/"]
    assert "ro" in root[3].split(",")
    extra = (IMAGE / "rootfs/raspi-extra-cmdline").read_text()
    # The hook appends the file as it is to one line: one line, no comments.
    assert extra.count("\n") == 1
    assert "#" not in extra
    assert extra.split()[-1] == "ro"
    settings = defaults("raspi-firmware")
    assert settings["ROOTPART"] == root[0]
    assert settings["CMA"] == "0"


def test_every_bind_source_on_data_is_made_by_the_build() -> None:
    script = (IMAGE / "build-image.sh").read_text()
    made = set(re.findall(r'"\$R/data/([\w-]+)"', script))
    sources = {e[0].removeprefix("/data/") for e in fstab() if e[2] == "none"}
    assert sources
    assert sources <= made


def test_resolv_conf_is_resolvconfs_file_in_run_fed_by_dhclient() -> None:
    # dhclient-script would rewrite /etc/resolv.conf, on the read-only root;
    # resolvconf's enter hook hands the lease's servers to resolvconf instead,
    # which writes /run/resolvconf/resolv.conf (tmpfs).
    script = (IMAGE / "build-image.sh").read_text()
    (install,) = [x for x in script.splitlines() if "apt-get install" in x]
    assert 'resolvconf"' in install.split()  # with the package, after every download
    assert 'ln -sfn ../run/resolvconf/resolv.conf "$R/etc/resolv.conf"' in script
    assert "isc-dhcp-client" in script
    assert (IMAGE / "rootfs/eth0").read_text().split("\n")[1].split()[-1] == "dhcp"
    assert not [e for e in fstab() if e[1] in ("/etc", "/run", "/etc/resolv.conf")]


def test_machine_id_is_made_on_the_data_partition_and_bound_by_the_initramfs() -> None:
    hook = IMAGE / "rootfs/edge-machine-id"
    text = hook.read_text()
    data_label = next(k for k, v in genimage_labels().items() if v == "/data")
    assert f"/dev/disk/by-label/{data_label}" in text
    assert 'mount -n -o bind /run/machine-id "${rootmnt}/etc/machine-id"' in text
    # klibc's umount has no -n: the data partition would stay mounted.
    assert not re.search(r"umount -\w*n", text)
    script = (IMAGE / "build-image.sh").read_text()
    install = script.index("scripts/local-bottom/edge-machine-id")
    assert install < script.index("inroot update-initramfs -c")  # in the one initrd
    assert ': >"$R/etc/machine-id"' in script  # the bind target, empty on the image
    assert 'rm -f "$R/data/machine-id"' in script  # each card makes its own
    assert hook.stat().st_mode & 0o111


def test_machine_id_hook_answers_initramfs_tools_and_parses() -> None:
    hook = IMAGE / "rootfs/edge-machine-id"
    assert subprocess.run(["sh", "-n", str(hook)], check=False).returncode == 0
    done = subprocess.run(
        ["sh", str(hook), "prereqs"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "")


def test_edge_provision_may_probe_the_default_store_directory() -> None:
    # edge-provision runs `edge config check`, which creates a probe file in
    # the store's directory: read-only in the unit's sandbox, every site file
    # with the default store path was rejected at first boot.
    unit = (IMAGE / "systemd/edge-provision.service").read_text()
    (line,) = [x for x in unit.splitlines() if x.startswith("ReadWritePaths=")]
    writable = line.removeprefix("ReadWritePaths=").split()
    assert "ProtectSystem=strict" in unit
    assert str(Path(StoreSection().path).parent) in writable
    assert "/etc/edge" in writable
