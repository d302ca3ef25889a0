"""Sessions repository: each change and its outbox entry in one transaction.

These functions run on the database thread (see :class:`edge.store.db.Database`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from edge.model.session import Session, SessionStatus
from edge.store.db import transaction
from edge.store.outbox import enqueue
from edge.store.timefmt import iso, parse_iso

SESSION_MODULE = "sessions"
CDR_MODULE = "cdrs"
EVSE_MODULE = "evse_status"

_COLUMNS = (
    "id, evse_uid, token_uid, token_type, contract_id, auth_method, auth_reason, "
    "status, start, end, meter_start_wh, meter_last_wh, meter_stop_wh, stop_reason, "
    "last_updated"
)


def _row(r: tuple[Any, ...]) -> Session:
    (
        sid,
        evse,
        token,
        ttype,
        contract,
        method,
        reason,
        status,
        start,
        end,
        m0,
        mlast,
        mstop,
        stop_reason,
        updated,
    ) = r
    return Session(
        id=str(sid),
        evse_uid=str(evse),
        token_uid=None if token is None else str(token),
        token_type=None if ttype is None else str(ttype),
        contract_id=None if contract is None else str(contract),
        auth_method=str(method),
        auth_reason=str(reason),
        status=SessionStatus(str(status)),
        start=parse_iso(str(start)),
        end=None if end is None else parse_iso(str(end)),
        meter_start_wh=int(m0),
        meter_last_wh=int(mlast),
        meter_stop_wh=None if mstop is None else int(mstop),
        stop_reason=None if stop_reason is None else str(stop_reason),
        last_updated=parse_iso(str(updated)),
    )


class SessionConflict(Exception):
    """The EVSE already has an active session."""


def start_session(db: sqlite_utils.Database, session: Session) -> None:
    """Store a new active session and queue it for the uplink."""
    try:
        with transaction(db) as conn:
            conn.execute(
                f"INSERT INTO sessions ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.evse_uid,
                    session.token_uid,
                    session.token_type,
                    session.contract_id,
                    session.auth_method,
                    session.auth_reason,
                    session.status.value,
                    iso(session.start),
                    None,
                    session.meter_start_wh,
                    session.meter_last_wh,
                    None,
                    None,
                    iso(session.last_updated),
                ),
            )
            enqueue(conn, SESSION_MODULE, session.id, session.last_updated)
    except sqlite3.IntegrityError as exc:
        raise SessionConflict(
            f"EVSE {session.evse_uid} already has an active session"
        ) from exc


def checkpoint(
    db: sqlite_utils.Database, session_id: str, meter_wh: int, now: datetime
) -> None:
    """Record progress of an active session (energy never decreases)."""
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE sessions SET meter_last_wh = MAX(meter_last_wh, ?), "
            "last_updated = ? WHERE id = ? AND status = 'ACTIVE'",
            (meter_wh, iso(now), session_id),
        )
        if cur.rowcount:
            enqueue(conn, SESSION_MODULE, session_id, now)


def stop_session(
    db: sqlite_utils.Database,
    session_id: str,
    meter_stop_wh: int,
    end: datetime,
    reason: str,
) -> bool:
    """Close an active session and queue its final state and its CDR.

    Returns False when the session was not active (already closed): closing is
    idempotent, so a repeated stop after a crash never produces a second CDR.
    """
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE sessions SET status = 'COMPLETED', end = ?, "
            "meter_stop_wh = MAX(meter_last_wh, ?), "
            "meter_last_wh = MAX(meter_last_wh, ?), "
            "stop_reason = ?, last_updated = ? WHERE id = ? AND status = 'ACTIVE'",
            (iso(end), meter_stop_wh, meter_stop_wh, reason, iso(end), session_id),
        )
        if not cur.rowcount:
            return False
        session_key = enqueue(conn, SESSION_MODULE, session_id, end)
        enqueue(conn, CDR_MODULE, session_id, end, after_key=session_key)
    return True


def get_session(db: sqlite_utils.Database, session_id: str) -> Session | None:
    """One session by id."""
    row = db.conn.execute(
        f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()
    return None if row is None else _row(row)


def active_sessions(db: sqlite_utils.Database) -> list[Session]:
    """Every session still active (the ones to resume after a restart)."""
    return [
        _row(r)
        for r in db.conn.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE status = 'ACTIVE' ORDER BY start"
        )
    ]


def active_session_for(db: sqlite_utils.Database, evse_uid: str) -> Session | None:
    """The active session of one EVSE, if any."""
    row = db.conn.execute(
        f"SELECT {_COLUMNS} FROM sessions WHERE status = 'ACTIVE' AND evse_uid = ?",
        (evse_uid,),
    ).fetchone()
    return None if row is None else _row(row)


@dataclass(frozen=True)
class SessionFilter:
    """Filters for listing sessions."""

    evse_uid: str | None = None
    token_uid: str | None = None
    status: SessionStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None


def list_sessions(
    db: sqlite_utils.Database, flt: SessionFilter = SessionFilter()
) -> list[Session]:
    """Sessions matching ``flt``, oldest first."""
    where, args = [], []
    if flt.evse_uid:
        where.append("evse_uid = ?")
        args.append(flt.evse_uid)
    if flt.token_uid:
        where.append("token_uid = ?")
        args.append(flt.token_uid)
    if flt.status:
        where.append("status = ?")
        args.append(flt.status.value)
    if flt.since:
        where.append("start >= ?")
        args.append(iso(flt.since))
    if flt.until:
        where.append("start < ?")
        args.append(iso(flt.until))
    sql = f"SELECT {_COLUMNS} FROM sessions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY start, id"
    if flt.limit:
        sql += f" LIMIT {int(flt.limit)}"
    return [_row(r) for r in db.conn.execute(sql, args)]


def set_evse_status(
    db: sqlite_utils.Database,
    evse_uid: str,
    status: str,
    reason: str | None,
    now: datetime,
) -> None:
    """Record an EVSE status change and queue it for the uplink."""
    with transaction(db) as conn:
        cur = conn.execute(
            "INSERT INTO evse_status (evse_uid, status, reason, updated) "
            "VALUES (?, ?, ?, ?) "
            "ON CONFLICT (evse_uid) DO UPDATE SET status = excluded.status, "
            "reason = excluded.reason, updated = excluded.updated "
            "WHERE evse_status.status != excluded.status "
            "OR COALESCE(evse_status.reason, '') != COALESCE(excluded.reason, '')",
            (evse_uid, status, reason, iso(now)),
        )
        if cur.rowcount:
            enqueue(conn, EVSE_MODULE, evse_uid, now)
