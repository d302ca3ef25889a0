"""``edge run`` refuses what ``edge config check`` refuses: exit 2, the same report,
no traceback, and no database left behind. Real processes on real files: each
``edge`` is forked from one interpreter that has imported it (cli_forks.py),
so a test pays for the command, not for Python's imports each time."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .cli_forks import EdgeForks
from .sites import site_file

FORKS: EdgeForks | None = None


@pytest.fixture(scope="module", autouse=True)
def _forks() -> Iterator[None]:
    global FORKS
    FORKS = EdgeForks()
    try:
        yield
    finally:
        FORKS.close()
        FORKS = None


def edge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert FORKS is not None
    return FORKS.run(*args, cwd=cwd, timeout=60)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('kind = "rdm6300" }', 'kind = "rdm6300", baud = -5 }', "not a serial baud"),
        ("device_timeout_s = 30.0\n", "device_timeout_s = inf\n", "finite number"),
        ('unit = 1, model = "eastron_sdm630"', 'unit = 250, model = "eastron_sdm630"',
         "less than or equal to 247"),
        ('name = "test"', 'name = "test"\ntime_zone = "Mars/Olympus"',
         "unknown time zone 'Mars/Olympus'"),
        ('uid = "E2"', 'uid = "e1"', "only in case"),
        ("[sessions]", '[ocpi]\ntariff_file = "missing.json"\n[sessions]',
         "ocpi.tariff_file: cannot read missing.json"),
        ("[sessions]", '[mqtt]\nusername = "edge"\npassword_file = "no-mqtt-pw"\n'
         "[sessions]", "mqtt.password_file: cannot read no-mqtt-pw"),
        ("[sessions]", '[ocpp]\n[[ocpp.charger]]\nidentity = "CP1"\n'
         'password_file = "no-cp-pw"\n[[ocpp.charger.connector]]\nid = 1\n'
         'evse_uid = "C1"\n[sessions]',
         "ocpp.charger[0].password_file: cannot read no-cp-pw"),
    ],
)  # fmt: skip
def test_run_exits_2_with_the_check_report_and_no_database(
    tmp_path: Path, old: str, new: str, fragment: str
) -> None:
    site = site_file(tmp_path, "", evses=2)
    text = site.read_text()
    assert old in text
    site.write_text(text.replace(old, new, 1))
    db = tmp_path / "store" / "edge.db"
    checked = edge("config", "check", str(site), cwd=tmp_path)
    ran = edge("run", "--config", str(site), "--db", str(db), cwd=tmp_path)
    assert (checked.returncode, ran.returncode) == (2, 2)
    assert fragment in checked.stderr
    assert ran.stderr == checked.stderr  # the same report, line for line
    assert checked.stderr.startswith(f"{site}:")
    assert "Traceback" not in ran.stderr
    assert not db.parent.exists()  # checked before the store is opened


def test_run_refuses_an_unusable_db_path_before_opening_it(tmp_path: Path) -> None:
    site = site_file(tmp_path, "", evses=1)
    (tmp_path / "afile").write_text("")
    ran = edge(
        "run", "--config", str(site), "--db", str(tmp_path / "afile" / "x.db"),
        cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 2
    assert f"--db {tmp_path}/afile/x.db: cannot create" in ran.stderr
    assert "afile is not a directory" in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: "/dev/zero", "not a regular file (a character device)"),
        (lambda p: (os.mkfifo(p / "fifo"), str(p / "fifo"))[1], "(a pipe)"),
        (
            lambda p: ((p / "l1.toml").write_bytes(b'[site]\nname = "\xe9"\n'),
                       str(p / "l1.toml"))[1],
            ":2: not UTF-8 text: byte 0xE9 at offset 15 (line 2, column 9)",
        ),
        (
            lambda p: ((p / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000),
                       str(p / "deep.toml"))[1],
            "nested too deeply",
        ),
    ],
)  # fmt: skip
def test_check_and_run_refuse_what_is_not_a_site_file(
    tmp_path: Path, make, fragment: str
) -> None:
    path = make(tmp_path)
    for argv in (("config", "check", path), ("run", "--config", path)):
        done = edge(*argv, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert fragment in done.stderr
        assert "Traceback" not in done.stderr


def test_speed_must_be_a_finite_positive_number(tmp_path: Path) -> None:
    site = site_file(tmp_path, "", evses=1)
    for bad in ("nan", "inf", "-1", "0", "fast"):
        done = edge("run", "--config", str(site), "--speed", bad, cwd=tmp_path)
        assert done.returncode == 2
        assert f"not a speed: '{bad}'" in done.stderr


def test_shipped_site_files_pass() -> None:
    root = Path(__file__).resolve().parents[2]
    for name in ("demo.toml", "demo-ocpp.toml", "demo-rs485.toml", "site.example.toml"):
        done = edge("config", "check", "--no-paths", f"config/{name}", cwd=root)
        assert done.returncode == 0, done.stderr


def test_run_names_a_taken_ocpi_port_config_check_does_not(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        site = site_file(
            tmp_path,
            "",
            evses=1,
            extra=f'[ocpi]\ncredentials_path = "{tmp_path}/c.json"\n'
            f"listen_port = {port}\n",
        )
        db = tmp_path / "store" / "edge.db"
        ran = edge("run", "--config", str(site), "--db", str(db), cwd=tmp_path)
        # a running controller holds its own port: the check alone does not try it
        checked = edge("config", "check", str(site), cwd=tmp_path)
    assert ran.returncode == 2
    assert f"ocpi.listen_port: cannot listen on 127.0.0.1:{port}: Address already" in (
        ran.stderr
    )
    assert "Traceback" not in ran.stderr
    assert not db.parent.exists()
    assert checked.returncode == 0, checked.stderr
