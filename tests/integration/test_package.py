"""The Debian package: built by `./dev deb`, installed into a bookworm chroot.

One test, because the chroot is the expensive part: image/deb/check.sh makes a
fresh Debian bookworm (mmdebstrap, variant apt), `apt-get install`s the package
there with its dependencies, and inside it runs `edge --version`, `edge config
check /etc/edge/site.toml`, the controller's imports (binary wheels for the
target), checks the edge user (dialout) and /var/lib/edge (0700),
`systemd-analyze verify` on the units (any warning fails) and the provisioning
script on a bad and a good site file. Needs root and mmdebstrap (`./dev test`
installs it); it fails, never skips, when they are missing under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the chroot check needs root"
    if shutil.which("mmdebstrap") is None:
        return "mmdebstrap is missing (./dev test installs it)"
    return None


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_package_builds_and_installs_in_a_bookworm_chroot(tmp_path: Path) -> None:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    build = subprocess.run(
        [str(ROOT / "image/deb/build.sh"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert build.returncode == 0, build.stderr[-4000:]
    debs = list(tmp_path.glob("edge_*.deb"))
    assert len(debs) == 1, debs
    assert build.stdout.strip() == str(debs[0])
    info = subprocess.run(
        ["dpkg-deb", "--field", str(debs[0]), "Package", "Architecture", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Package: edge" in info
    assert "python3.11" in info

    check = subprocess.run(
        [str(ROOT / "image/deb/check.sh"), str(debs[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    out = check.stdout + check.stderr
    assert check.returncode == 0, out[-6000:]
    # Each step printed what it checked, inside the chroot.
    assert "edge 0.1" in out
    assert "/etc/edge/site.toml: OK" in out
    assert "3.11" in out
    assert "/opt/edge/venv" in out
    assert "groups=" in out
    assert "(dialout)" in out
    assert "inside the chroot: all checks passed" in out
