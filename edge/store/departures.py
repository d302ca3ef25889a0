"""Session departures repository: a running session's own departure, kept on disk.

A driver's departure (local API or OCPI ChargingPreferences) is written here
before it is answered as accepted, and read again at start for the sessions
still open (migration 010). A row is written only while its session is ACTIVE
and is deleted in the transaction that stops the session
(:func:`edge.store.sessions.stop_session`), so none outlives its session, even
one that ended while the controller was down.

The functions run on the database thread (see :class:`edge.store.db.Database`);
:class:`StoredDepartures` is their async face for the price plan.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import sqlite_utils

from edge.model.departure import SessionDeparture, Source
from edge.store.db import Database, transaction
from edge.store.timefmt import iso, parse_iso


def keep(db: sqlite_utils.Database, own: SessionDeparture, now: datetime) -> bool:
    """Store (or replace) a session's departure; False if it is not ACTIVE."""
    with transaction(db) as conn:
        cur = conn.execute(
            "INSERT OR REPLACE INTO session_departures "
            "(session_id, departure, energy_wh, source, updated) "
            "SELECT id, ?, ?, ?, ? FROM sessions WHERE id = ? AND status = 'ACTIVE'",
            (
                None if own.departure is None else iso(own.departure),
                own.energy_wh,
                own.source.value,
                iso(now),
                own.session_id,
            ),
        )
    return bool(cur.rowcount)


def drop(db: sqlite_utils.Database, session_id: str) -> bool:
    """Delete a session's departure; False if it had none."""
    with transaction(db) as conn:
        return drop_in(conn, session_id)


def drop_in(conn: sqlite3.Connection, session_id: str) -> bool:
    """Delete a session's departure in the caller's transaction."""
    cur = conn.execute(
        "DELETE FROM session_departures WHERE session_id = ?", (session_id,)
    )
    return bool(cur.rowcount)


def open_departures(db: sqlite_utils.Database) -> dict[str, SessionDeparture]:
    """Per EVSE uid: the departure of the session still ACTIVE on it."""
    rows = db.conn.execute(
        "SELECT s.evse_uid, d.session_id, d.departure, d.energy_wh, d.source "
        "FROM session_departures d JOIN sessions s ON s.id = d.session_id "
        "WHERE s.status = 'ACTIVE'"
    ).fetchall()
    return {
        str(uid): SessionDeparture(
            str(sid),
            None if at is None else parse_iso(str(at)),
            None if wh is None else int(wh),
            Source(str(source)),
        )
        for uid, sid, at, wh, source in rows
    }


class StoredDepartures:
    """The price plan's departures on disk (:class:`edge.load.departures.Book`).

    Each write is committed (synced: ``synchronous=FULL``) before it returns.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def keep(self, own: SessionDeparture, now: datetime) -> bool:
        """Store a session's departure; False if the session is not ACTIVE."""
        return await self._db.run(lambda h: keep(h, own, now))

    async def drop(self, session_id: str) -> None:
        """Forget a session's departure."""
        await self._db.run(lambda h: drop(h, session_id))

    async def open(self) -> dict[str, SessionDeparture]:
        """Per EVSE uid: the departure of the session still open on it."""
        return await self._db.run(open_departures)
