"""The one SQLite connection: WAL mode, versioned migrations, a dedicated thread.

Every read and write runs on a single worker thread, so the event loop never
blocks on the disk and SQLite sees one connection. A write is one transaction:
if the awaiting task is cancelled, the transaction still completes or rolls back
as a whole on that thread, so nothing half-written is kept.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

import sqlite_utils

log = logging.getLogger(__name__)
T = TypeVar("T")
StoreHandle = sqlite_utils.Database
"""What repository functions take: the store as the database thread sees it."""


class StoreError(Exception):
    """The database cannot be opened or migrated."""


def migrations() -> list[tuple[int, str, str]]:
    """The shipped migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("edge.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def open_sync(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database at ``path``."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        # Small pages: every transaction rewrites whole pages (in the WAL, then
        # again at checkpoint), so 1 KiB pages cut flash wear about fourfold for
        # our small rows. Takes effect only on a new, empty file.
        conn.execute("PRAGMA page_size=1024")
        conn.execute("PRAGMA journal_mode=WAL")
        # Copy the WAL back less often: a hot page (outbox, indexes) rewritten many
        # times is copied once per checkpoint. 4096 pages of 1 KiB = 4 MiB of WAL.
        conn.execute("PRAGMA wal_autocheckpoint=4096")
        # FULL: a committed transaction survives a power cut, not only a kill.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        db = sqlite_utils.Database(conn)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    return db


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the file's user_version; return it."""
    current = int(db.execute("PRAGMA user_version").fetchone()[0])
    for version, name, sql in migrations():
        if version <= current:
            continue
        log.info("applying migration %s", name)
        # executescript commits; wrap the statements and the version bump in one
        # explicit transaction so that a crash never leaves a half-migrated file.
        db.conn.executescript(
            f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
        )
        current = version
    return current


class Database:
    """The async face of the store: run functions on the database thread."""

    def __init__(self, db: sqlite_utils.Database, executor: ThreadPoolExecutor) -> None:
        self._db = db
        self._executor = executor

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open and migrate on the database thread."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(executor, open_sync, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(db, executor)

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run ``fn(db)`` on the database thread and return its result."""
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._executor, fn, self._db)
        # Shield: a cancelled caller must not abandon a transaction mid-way; the
        # thread finishes it either way and the caller sees CancelledError.
        return await asyncio.shield(fut)

    async def close(self) -> None:
        """Close the connection on its thread and stop the thread."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._db.conn.close)
        self._executor.shutdown(wait=True)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction on ``db``: committed on success, else rolled back.

    Nested use joins the outer transaction, so that a caller can group several
    repository writes into one commit (fewer flash writes, one atomic change).
    """
    if db.conn.in_transaction:
        yield db.conn
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db.conn
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")
