"""The image recipe's files agree with each other (the build is image/build-image.sh).

fstab names the partitions genimage labels, raspi-firmware's settings boot the
root that fstab mounts read-only, and every directory fstab binds from /data is
made by the build. A mismatch here is a card that does not boot or a bind mount
that fails on a read-only root, found only on a Pi.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

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
