"""Pages of stored sessions, for the OCPI Sender interfaces (GET with dates).

Windows are ``date_from`` inclusive and ``date_to`` exclusive. Order is oldest
first by creation (sessions by start, ended sessions by end), so pages stay
stable while new sessions arrive.
"""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from edge.store.timefmt import iso


def _window(
    column: str, date_from: datetime | None, date_to: datetime | None
) -> tuple[str, list[object]]:
    where: list[str] = []
    args: list[object] = []
    if date_from is not None:
        where.append(f"{column} >= ?")
        args.append(iso(date_from))
    if date_to is not None:
        where.append(f"{column} < ?")
        args.append(iso(date_to))
    return (" AND ".join(where) or "1"), args


def _ids(
    db: sqlite_utils.Database,
    where: str,
    args: list[object],
    order: str,
    limit: int,
    offset: int,
) -> tuple[list[str], int]:
    (total,) = db.conn.execute(
        f"SELECT COUNT(*) FROM sessions WHERE {where}",
        args,
    ).fetchone()
    rows = db.conn.execute(
        f"SELECT id FROM sessions WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return [str(r[0]) for r in rows], int(total)


def updated_sessions(
    db: sqlite_utils.Database,
    date_from: datetime | None,
    date_to: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[str], int]:
    """Ids of a page of sessions by ``last_updated``, and how many match in all."""
    where, args = _window("last_updated", date_from, date_to)
    return _ids(db, where, args, "start, id", limit, offset)


def completed_sessions(
    db: sqlite_utils.Database,
    date_from: datetime | None,
    date_to: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[str], int]:
    """Ids of a page of COMPLETED sessions by their end, and how many in all."""
    where, args = _window("end", date_from, date_to)
    where = f"status = 'COMPLETED' AND end IS NOT NULL AND {where}"
    return _ids(db, where, args, "end, id", limit, offset)
