"""Private files: the store's directory 0700, every file in it 0600, secrets off argv.

Real files made by a real :meth:`Database.open` and by the real ``edge`` command,
under a lax umask (022), as a service started without one would have.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.cli import main
from edge.store.db import Database
from edge.uplink.ocpi.registration import CredentialsStore, OcpiCredentials
from tests.integration.test_ocpi_commands import site


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def lax_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def test_new_database_directory_and_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "edge" / "edge.db"
    db = await Database.open(path)
    try:
        await db.run(lambda d: d.execute("CREATE TABLE t (x)"))
        await db.run(lambda d: d.execute("INSERT INTO t VALUES (1)"))
        names = sorted(p.name for p in path.parent.iterdir())
        # WAL mode: SQLite keeps both companions while the connection is open.
        assert names == ["edge.db", "edge.db-shm", "edge.db-wal"]
        assert {n: mode(path.parent / n) for n in names} == dict.fromkeys(names, 0o600)
        assert mode(path.parent) == 0o700
    finally:
        await db.close()


async def test_open_files_and_directory_are_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = tmp_path / "store"
    store.mkdir(mode=0o755)
    path = store / "edge.db"
    # An older install: made with the default umask, so 0644 (and its WAL too).
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE kept (uid TEXT)")
    conn.execute("INSERT INTO kept VALUES ('04A23B1C00')")
    conn.commit()
    wal = store / "edge.db-wal"
    assert (mode(path), mode(wal), mode(store)) == (0o644, 0o644, 0o755)
    caplog.set_level(logging.WARNING, logger="edge.store.private")
    db = await Database.open(path)
    try:
        assert await db.run(lambda d: d.execute("SELECT uid FROM kept").fetchall()) == [
            ("04A23B1C00",)
        ]
        assert {p.name: mode(p) for p in store.iterdir()} == {
            "edge.db": 0o600,
            "edge.db-wal": 0o600,
            "edge.db-shm": 0o600,
        }
        assert mode(store) == 0o700
    finally:
        await db.close()
        conn.close()
    warned = [r.getMessage() for r in caplog.records]
    assert (
        f"database file {path} was open to other users (mode 644); tightened to 600"
        in warned
    )
    assert (
        f"database directory {store} was open to other users (mode 755); "
        "tightened to 700" in warned
    )
    assert len(warned) == 4  # the file, its WAL and SHM, the directory: each once


async def test_a_second_open_has_nothing_to_fix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(tmp_path / "edge.db")
    await db.close()
    caplog.set_level(logging.WARNING, logger="edge.store.private")
    db = await Database.open(tmp_path / "edge.db")
    await db.close()
    assert caplog.records == []


async def test_shared_sticky_directory_is_left_alone_its_files_are_not(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    db = await Database.open(shared / "x.db")
    try:
        await db.run(lambda d: d.execute("CREATE TABLE t (x)"))
        assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
        assert {p.name: mode(p) for p in shared.iterdir()} == {
            "x.db": 0o600,
            "x.db-wal": 0o600,
            "x.db-shm": 0o600,
        }
    finally:
        await db.close()


def test_edge_command_creates_private_files_under_any_umask(tmp_path: Path) -> None:
    db = tmp_path / "new" / "edge.db"
    assert main(["tokens", "--db", str(db), "add", "04A23B1C00"]) == 0
    assert mode(db.parent) == 0o700
    assert {p.name: mode(p) for p in db.parent.iterdir()} == dict.fromkeys(
        (p.name for p in db.parent.iterdir()), 0o600
    )
    assert os.umask(0o022) == 0o022  # main() put the caller's umask back


def test_credentials_file_is_private_and_tightened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    cfg = str(site(tmp_path))
    path = tmp_path / "ocpi.json"
    CredentialsStore(path).save(OcpiCredentials("https://emsp.example/versions", "c"))
    assert mode(path) == 0o600
    path.chmod(0o644)
    caplog.set_level(logging.WARNING)
    assert main(["ocpi", "credentials", "show", "--config", cfg]) == 0
    assert mode(path) == 0o600
    assert "readable by others (mode 644); tightened to 600" in caplog.text


def test_token_a_on_the_command_line_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(site(tmp_path))
    argv = ["ocpi", "register", "--config", cfg, "--ocpi-versions-url", "http://x/v"]
    assert main([*argv, "--ocpi-token-a", "secret-A"]) == 2
    err = capsys.readouterr().err
    assert (
        "--ocpi-token-a puts CREDENTIALS_TOKEN_A (token A) on the command line" in err
    )
    assert (
        "--ocpi-token-a-file PATH or the EDGE_OCPI_TOKEN_A environment variable" in err
    )
    assert "secret-A" not in err
    assert not (tmp_path / "edge.db").exists()  # refused before anything is opened


async def test_a_directory_holding_more_than_the_store_is_left_as_it_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # `--db /var/lib/x.db` must not make /var/lib (or a home, or /proc) private
    lib = tmp_path / "lib"
    (lib / "apt").mkdir(parents=True)
    (lib / "notes.txt").write_text("x")
    lib.chmod(0o755)
    caplog.set_level(logging.WARNING, logger="edge.store.private")
    db = await Database.open(lib / "edge.db")
    await db.close()
    assert mode(lib) == 0o755
    assert mode(lib / "edge.db") == 0o600
    assert mode(lib / "notes.txt") == 0o644  # not ours: untouched
    [warning] = [r.getMessage() for r in caplog.records]
    assert f"database directory {lib} is open to other users (mode 755)" in warning
    assert "left as it is" in warning


@pytest.mark.parametrize("flag", ["--token-c", "--token-b"])
def test_tokens_c_and_b_on_the_command_line_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    cfg = str(site(tmp_path))
    secret = tmp_path / "c"
    secret.write_text("token-C\n")
    secret.chmod(0o600)
    argv = ["ocpi", "credentials", "set", "--config", cfg, "--versions-url", "http://x"]
    assert main([*argv, "--token-c-file", str(secret), flag, "in-argv"]) == 2
    err = capsys.readouterr().err
    assert f"{flag} puts token {flag[-1].upper()} on the command line" in err
    assert f"{flag}-file PATH or the EDGE_OCPI_TOKEN_{flag[-1].upper()}" in err
    assert not (tmp_path / "ocpi.json").exists()


def test_token_c_from_the_environment_or_stdin(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = str(site(tmp_path))
    argv = ["ocpi", "credentials", "set", "--config", cfg, "--versions-url", "http://x"]
    monkeypatch.setenv("EDGE_OCPI_TOKEN_C", "from-env-C")
    assert main(argv) == 0
    creds = CredentialsStore(tmp_path / "ocpi.json").load()
    assert creds is not None
    assert creds.token_c == "from-env-C"
    # Both a file and the variable: ambiguous, refused.
    assert main([*argv, "--token-c-file", "-"]) == 2
    assert "token C is given twice" in capsys.readouterr().err
    monkeypatch.delenv("EDGE_OCPI_TOKEN_C")
    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin-C\n"))
    assert main([*argv, "--token-c-file", "-"]) == 0
    creds = CredentialsStore(tmp_path / "ocpi.json").load()
    assert creds is not None
    assert creds.token_c == "from-stdin-C"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "must be one line of printable characters"),
        ("two words\n", "must be one line of printable characters"),
        ("x" * 5000, "too large for token C"),
        (b"\xff\xfe", "is not UTF-8 text"),
    ],
)
def test_bad_token_files_are_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | bytes,
    expected: str,
) -> None:
    cfg = str(site(tmp_path))
    secret = tmp_path / "c"
    if isinstance(content, bytes):
        secret.write_bytes(content)
    else:
        secret.write_text(content)
    argv = ["ocpi", "credentials", "set", "--config", cfg, "--versions-url", "http://x"]
    assert main([*argv, "--token-c-file", str(secret)]) == 2
    assert expected in capsys.readouterr().err


def test_token_file_readable_by_others_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(site(tmp_path))
    secret = tmp_path / "c"
    secret.write_text("token-C\n")
    secret.chmod(0o644)
    argv = ["ocpi", "credentials", "set", "--config", cfg, "--versions-url", "http://x"]
    assert main([*argv, "--token-c-file", str(secret)]) == 0
    assert f"{secret} holds token C and other users may read it" in (
        capsys.readouterr().err
    )


def test_a_directory_is_not_a_token_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(site(tmp_path))
    argv = ["ocpi", "credentials", "set", "--config", cfg, "--versions-url", "http://x"]
    assert main([*argv, "--token-c-file", str(tmp_path)]) == 2
    assert "is not a file" in capsys.readouterr().err
