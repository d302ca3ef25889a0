"""The power-cut layer over a real FUSE mount: a cut keeps what was fsynced only.

Real files, a real SQLite database in WAL mode, the layer in its own process.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.uplink.ocpi.registration import CredentialsStore, OcpiCredentials

from .rig import Layer


@pytest.fixture
def layer(tmp_path: Path) -> Iterator[Layer]:
    layer = Layer(tmp_path, tmp_path / "layer.log")
    layer.start()
    try:
        yield layer
    finally:
        layer.stop()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def test_a_cut_keeps_fsynced_bytes_and_names_only(layer: Layer) -> None:
    m = layer.mount
    with (m / "a").open("wb") as f:
        f.write(b"synced")
        f.flush()
        os.fsync(f.fileno())
        f.write(b" and lost")
    fsync_dir(m)
    with (m / "b").open("wb") as f:  # synced content, name never synced
        f.write(b"b")
        f.flush()
        os.fsync(f.fileno())
    (m / "c").write_bytes(b"never synced at all")
    assert (m / "a").read_bytes() == b"synced and lost"
    layer.cut()
    assert (m / "a").read_bytes() == b"synced"
    assert sorted(os.listdir(m)) == ["a"]
    assert sorted(os.listdir(layer.backing)) == ["a"]
    assert "power cut 1: 2 unsynced page(s)" in layer.log.read_text()


def rows(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize(("synchronous", "survive"), [("FULL", 30), ("OFF", 10)])
def test_sqlite_commits_survive_a_cut_only_when_synced(
    layer: Layer, synchronous: str, survive: int
) -> None:
    db = layer.mount / "t.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # 10 rows in the db file
    fsync_dir(layer.mount)
    conn.execute(f"PRAGMA synchronous={synchronous}")
    for i in range(20):
        conn.execute("INSERT INTO t VALUES (?)", (i,))
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (-1)")  # never committed
    assert rows(db) == 30
    layer.cut()
    conn.close()
    # With synchronous=OFF the 20 commits were never fsynced: a cut loses them.
    assert rows(db) == survive


def test_killing_the_layer_is_a_cut_too(layer: Layer) -> None:
    m = layer.mount
    with (m / "a").open("wb") as f:
        f.write(b"kept")
        f.flush()
        os.fsync(f.fileno())
    fsync_dir(m)
    with (m / "a").open("r+b") as f:
        f.write(b"LOST")
    layer.kill()
    layer.start()
    assert (m / "a").read_bytes() == b"kept"


def test_saved_ocpi_credentials_survive_a_cut(layer: Layer) -> None:
    # Token A is spent once the handshake is done: credentials lost in a power cut
    # leave a site that cannot register again.
    store = CredentialsStore(layer.mount / "ocpi.json")
    store.save(OcpiCredentials("https://emsp.example/versions", "token-c-1"))
    layer.cut()
    assert store.load() == OcpiCredentials("https://emsp.example/versions", "token-c-1")
    store.save(OcpiCredentials("https://emsp.example/versions", "token-c-2"))
    layer.cut()
    loaded = store.load()
    assert loaded is not None
    assert loaded.token_c == "token-c-2"
    assert sorted(os.listdir(layer.backing)) == ["ocpi.json"]


def test_a_partial_cut_keeps_some_unsynced_pages_and_no_new_name(layer: Layer) -> None:
    m = layer.mount
    with (m / "a").open("wb") as f:
        f.write(b"s" * 4096 * 8)
        f.flush()
        os.fsync(f.fileno())
    fsync_dir(m)
    with (m / "a").open("r+b") as f:
        f.write(b"u" * 4096 * 8)  # eight unsynced pages
    (m / "b").write_bytes(b"name never synced")
    layer.cut(partial=True)
    data = (m / "a").read_bytes()
    pages = {data[i : i + 4096] for i in range(0, len(data), 4096)}
    assert pages == {b"s" * 4096, b"u" * 4096}  # some of each (seeded)
    assert sorted(os.listdir(m)) == ["a"]
