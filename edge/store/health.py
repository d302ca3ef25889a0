"""The database's health for ``edge doctor``: integrity and size, read-only.

Opens the file read-only (``mode=ro``): a check never migrates, creates or
writes anything, so it is safe beside a running controller (WAL readers do not
block the writer).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DbHealth:
    """What ``PRAGMA integrity_check`` said, and the file sizes."""

    problems: list[str]
    """Empty when the database is sound; else SQLite's own messages."""
    db_bytes: int
    wal_bytes: int


def integrity_check(path: Path, max_errors: int = 20) -> DbHealth:
    """Run ``PRAGMA integrity_check`` on the database at ``path``, read-only.

    Raises ``sqlite3.Error`` (or ``OSError``) when it cannot be read at all.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no database at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        rows = conn.execute(f"PRAGMA integrity_check({int(max_errors)})").fetchall()
    finally:
        conn.close()
    problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
    wal = path.with_name(path.name + "-wal")
    return DbHealth(
        problems, path.stat().st_size, wal.stat().st_size if wal.exists() else 0
    )
