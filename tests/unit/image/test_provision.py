"""image/provision/edge-provision on temp dirs, with the real `edge config check`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "image/provision/edge-provision"
GOOD = (ROOT / "config/site.example.toml").read_text()
BAD = '[site]\nname = "x"\nbogus = 1\n'


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    d = {n: tmp_path / n for n in ("boot", "etc", "state")}
    d["boot"].mkdir()
    return d


def provision(d: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    edge = shutil.which("edge", path=str(Path(sys.executable).parent))
    assert edge is not None
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--boot",
            str(d["boot"]),
            "--etc",
            str(d["etc"]),
            "--state",
            str(d["state"]),
            "--group",
            "no-such-group-here",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "EDGE_PROVISION_EDGE": edge},
    )


def status(d: dict[str, Path]) -> dict[str, object]:
    return json.loads((d["state"] / "site-check.json").read_text())


def test_good_file_installed_then_bad_file_keeps_last_good(dirs) -> None:
    (dirs["boot"] / "site.toml").write_text(GOOD)
    res = provision(dirs)
    assert res.returncode == 0, res.stderr
    installed = dirs["etc"] / "site.toml"
    assert installed.read_text() == GOOD
    assert installed.stat().st_mode & 0o777 == 0o640
    assert status(dirs)["status"] == "installed"

    again = provision(dirs)  # same bytes: nothing to do
    assert again.returncode == 0
    assert status(dirs)["status"] == "unchanged"

    (dirs["boot"] / "site.toml").write_text(BAD)
    res = provision(dirs)
    assert res.returncode == 1
    assert installed.read_text() == GOOD  # the last good file stays
    doc = status(dirs)
    assert doc["status"] == "rejected"
    text = (dirs["state"] / "site-check.txt").read_text()
    assert text.startswith("rejected: ")
    # The errors name the boot partition's file and the key, in the journal too.
    boot_file = str(dirs["boot"] / "site.toml")
    assert f"{boot_file}:3: site.bogus" in text
    assert "site.bogus" in res.stderr
    assert "kept the last good" in text
    assert "incoming" not in text


def test_bad_file_first_boot_installs_nothing(dirs) -> None:
    (dirs["boot"] / "site.toml").write_text("not toml [")
    res = provision(dirs)
    assert res.returncode == 1
    assert not (dirs["etc"] / "site.toml").exists()
    assert "no good" in (dirs["state"] / "site-check.txt").read_text()


def test_no_file_on_boot_partition(dirs) -> None:
    res = provision(dirs)
    assert res.returncode == 0
    assert status(dirs)["status"] == "absent"
