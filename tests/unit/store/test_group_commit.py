"""Group commit: held writes share one transaction, fail alone, keep their order."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge.store.db import Database, StoreHandle, Write, transaction


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "edge.db")
    await database.run(
        lambda d: d.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)")
    )
    yield database
    await database.close()


def commits_of(db: Database) -> list[int]:
    """Count COMMITs on the store's own connection from now on."""
    seen: list[int] = []

    def trace(statement: str) -> None:
        if statement.strip().upper().startswith("COMMIT"):
            seen.append(1)

    db._db.conn.set_trace_callback(trace)  # white box: count what hits the disk
    return seen


def insert(n: int, v: str = "x") -> Write:
    def write(d: StoreHandle) -> None:
        with transaction(d) as conn:
            conn.execute("INSERT INTO t (n, v) VALUES (?, ?)", (n, v))

    return write


def rows(path: Path) -> list[tuple[int, str]]:
    """What another connection (another process, after a crash) would see."""
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT n, v FROM t ORDER BY n"))


async def test_held_writes_commit_together_within_the_window(
    db: Database, tmp_path: Path
) -> None:
    commits = commits_of(db)
    futures = [db.write_later(insert(n), within_s=0.05) for n in range(1, 6)]
    assert rows(tmp_path / "edge.db") == []  # held, not yet on disk
    for fut in futures:
        await fut
    assert [n for n, _ in rows(tmp_path / "edge.db")] == [1, 2, 3, 4, 5]
    assert len(commits) == 1
    assert db.commits_saved == 4


async def test_a_failing_held_write_rolls_back_alone(
    db: Database, tmp_path: Path
) -> None:
    first = db.write_later(insert(1), within_s=0.01)
    clash = db.write_later(insert(1, "again"), within_s=0.01)  # primary key clash
    last = db.write_later(insert(2), within_s=0.01)
    await first
    with pytest.raises(sqlite3.IntegrityError):
        await clash
    await last
    assert rows(tmp_path / "edge.db") == [(1, "x"), (2, "x")]


async def test_run_takes_held_writes_along_in_order(
    db: Database, tmp_path: Path
) -> None:
    commits = commits_of(db)
    held = db.write_later(insert(7), within_s=60.0)  # would wait a minute

    def read_back(d: StoreHandle) -> list[int]:
        return [r[0] for r in d.execute("SELECT n FROM t")]

    assert await db.run(read_back) == [7]  # the held write went first
    assert held.done()
    assert held.exception() is None
    assert len(commits) == 1
    assert rows(tmp_path / "edge.db") == [(7, "x")]


async def test_a_failing_caller_keeps_the_held_writes(
    db: Database, tmp_path: Path
) -> None:
    held = db.write_later(insert(3), within_s=60.0)

    def broken(d: StoreHandle) -> None:
        with transaction(d) as conn:
            conn.execute("INSERT INTO t (n, v) VALUES (4, 'y')")
            conn.execute("INSERT INTO nowhere VALUES (1)")

    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        await db.run(broken)
    await held
    assert rows(tmp_path / "edge.db") == [(3, "x")]  # no half of the caller's work


async def test_close_commits_what_is_held(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "edge.db")
    await db.run(lambda d: d.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)"))
    held = db.write_later(insert(9), within_s=3600.0)
    await db.close()
    assert held.done()
    assert held.exception() is None
    assert rows(tmp_path / "edge.db") == [(9, "x")]


async def test_an_earlier_deadline_wins(db: Database, tmp_path: Path) -> None:
    slow = db.write_later(insert(1), within_s=3600.0)
    fast = db.write_later(insert(2), within_s=0.01)
    await fast
    assert slow.done()  # taken along by the earlier deadline
    assert [n for n, _ in rows(tmp_path / "edge.db")] == [1, 2]
