"""The one SQLite connection: WAL mode, versioned migrations, a dedicated thread.

Every read and write runs on a single worker thread, so the event loop never
blocks on the disk and SQLite sees one connection. A write is one transaction:
if the awaiting task is cancelled, the transaction still completes or rolls back
as a whole on that thread, so nothing half-written is kept.

Group commit: every synced commit rewrites whole flash blocks, whatever it
carries, so writes that can wait a moment (a session checkpoint, a status
change) go through :meth:`Database.write_later`. They are held for at most a
given time and then committed together, in order, in one transaction, with
whatever else is written by then: the next :meth:`Database.run` takes them
along, ahead of its own work. Each keeps its own savepoint, so one that fails
rolls back alone.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Generic, TypeVar, cast

import sqlite_utils

from edge.store.private import private_database

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
        try:
            private_database(Path(path))
        except OSError as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
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


Write = Callable[[sqlite_utils.Database], object]


@dataclass
class _Batch(Generic[T]):
    """What one group commit did: each held write's error, and the caller's."""

    errors: list[Exception | None] = field(default_factory=list)
    result: T | None = None
    failure: Exception | None = None


def _attempt(
    db: sqlite_utils.Database, fn: Callable[[sqlite_utils.Database], T]
) -> tuple[T | None, Exception | None]:
    """``fn(db)`` in a savepoint: rolled back alone if it raises."""
    db.conn.execute("SAVEPOINT held")
    try:
        value = fn(db)
    except Exception as exc:  # noqa: BLE001 - reported to its owner
        db.conn.execute("ROLLBACK TO held")
        db.conn.execute("RELEASE held")
        return None, exc
    db.conn.execute("RELEASE held")
    return value, None


def _run_batch(
    db: sqlite_utils.Database,
    writes: list[Write],
    then: Callable[[sqlite_utils.Database], T] | None,
) -> _Batch[T]:
    """Run ``writes`` then ``then`` in one transaction; each fails alone."""
    batch: _Batch[T] = _Batch()
    with transaction(db):
        for fn in writes:
            batch.errors.append(_attempt(db, fn)[1])
        if then is not None:
            batch.result, batch.failure = _attempt(db, then)
    return batch


class Database:
    """The async face of the store: run functions on the database thread."""

    def __init__(self, db: sqlite_utils.Database, executor: ThreadPoolExecutor) -> None:
        self._db = db
        self._executor = executor
        self._held: list[tuple[Write, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self.commits_saved = 0
        """Commits that group commit spared (for the operator's curiosity)."""
        self.path: Path | None = None
        """The database file (set by :meth:`open`); its directory is the site's data."""

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
        opened = cls(db, executor)
        opened.path = Path(path)
        return opened

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run ``fn(db)`` on the database thread and return its result.

        Held writes (:meth:`write_later`) are committed first, in the same
        transaction as ``fn``'s work when ``fn`` writes.
        """
        loop = asyncio.get_running_loop()
        held = self._take_held()
        if not held:
            fut = loop.run_in_executor(self._executor, fn, self._db)
        else:
            fut = self._submit(held, fn)
        # Shield: a cancelled caller must not abandon a transaction mid-way; the
        # thread finishes it either way and the caller sees CancelledError.
        return await asyncio.shield(fut)

    def write_later(self, fn: Write, within_s: float) -> asyncio.Future[None]:
        """Commit ``fn(db)`` within ``within_s`` wall seconds, with other writes.

        Returns a future that is done once committed (with ``fn``'s exception,
        if it raised; its work is then rolled back, the others' kept). Writes
        are committed in the order they were given. Use it only for what may
        be lost in a power cut during that window.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._held.append((fn, done))
        due = loop.time() + max(0.0, within_s)
        if self._timer is None or self._timer.when() > due:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_at(due, self._flush_held)
        return done

    async def flush(self) -> None:
        """Commit the held writes now."""
        held = self._take_held()
        if held:
            await asyncio.shield(self._submit(held, None))

    def _flush_held(self) -> None:
        self._timer = None
        held = self._take_held()
        if held:
            self._submit(held, None)

    def _take_held(self) -> list[tuple[Write, asyncio.Future[None]]]:
        held, self._held = self._held, []
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return held

    def _submit(
        self,
        held: list[tuple[Write, asyncio.Future[None]]],
        then: Callable[[sqlite_utils.Database], T] | None,
    ) -> asyncio.Future[T]:
        """Run ``held`` (then ``then``) in one transaction; settle their futures."""
        loop = asyncio.get_running_loop()
        self.commits_saved += len(held) - (0 if then is not None else 1)
        ran = loop.run_in_executor(
            self._executor, _run_batch, self._db, [fn for fn, _ in held], then
        )
        result: asyncio.Future[T] = loop.create_future()

        def settle(f: asyncio.Future[_Batch[T]]) -> None:
            crash = f.exception() if not f.cancelled() else asyncio.CancelledError()
            batch = f.result() if crash is None else None
            for n, (_, done) in enumerate(held):
                error = crash if batch is None else batch.errors[n]
                if done.done():
                    continue
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)
            if result.done():
                return
            if batch is None:
                result.set_exception(crash or RuntimeError("batch lost"))
            elif batch.failure is not None:
                result.set_exception(batch.failure)
            else:
                result.set_result(cast(T, batch.result))

        ran.add_done_callback(settle)
        return result

    async def close(self) -> None:
        """Commit what is held, close the connection on its thread, stop the thread."""
        await self.flush()
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
