"""Sessions repository: each change and its outbox entry in one transaction.

These functions run on the database thread (see :class:`edge.store.db.Database`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from edge.model.period import ClosedPeriod, OpenPeriod, PeriodKind
from edge.model.session import Session, SessionStatus
from edge.store import departures
from edge.store.db import transaction
from edge.store.outbox import OutboxModule, enqueue
from edge.store.timefmt import iso, parse_iso

SESSION_MODULE = OutboxModule.SESSIONS
CDR_MODULE = OutboxModule.CDRS

_COLUMNS = (
    "id, evse_uid, token_uid, token_type, contract_id, auth_method, auth_reason, "
    "status, start, end, meter_start_wh, meter_last_wh, meter_stop_wh, stop_reason, "
    "last_updated, group_id"
)


def _row(r: tuple[Any, ...]) -> Session:
    (sid, evse, token, ttype, contract, method, reason, status, start, end, m0, mlast,
     mstop, stop_reason, updated, group) = r  # fmt: skip
    return Session(
        id=str(sid),
        evse_uid=str(evse),
        token_uid=_opt(token),
        token_type=_opt(ttype),
        contract_id=_opt(contract),
        auth_method=str(method),
        auth_reason=str(reason),
        status=SessionStatus(str(status)),
        start=parse_iso(str(start)),
        end=None if end is None else parse_iso(str(end)),
        meter_start_wh=int(m0),
        meter_last_wh=int(mlast),
        meter_stop_wh=None if mstop is None else int(mstop),
        stop_reason=_opt(stop_reason),
        last_updated=parse_iso(str(updated)),
        group_id=_opt(group),
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


class SessionConflict(Exception):
    """The EVSE already has an active session."""


@dataclass(frozen=True)
class SessionExtras:
    """Session fields beyond :class:`~edge.model.session.Session` (migration 006).

    ``authorization_reference`` is the eMSP's reference from real-time
    authorization, START_SESSION or RESERVE_NOW, for the OCPI Session and CDR;
    ``token_country_code``/``token_party_id`` name the eMSP of a token that came
    with a command (None: look the token up in the cache).
    """

    authorization_reference: str | None = None
    token_country_code: str | None = None
    token_party_id: str | None = None


def start_session(
    db: sqlite_utils.Database,
    session: Session,
    period: OpenPeriod | None = None,
    extras: SessionExtras = SessionExtras(),
) -> None:
    """Store a new active session (and its first period) and queue it for the uplink."""
    try:
        with transaction(db) as conn:
            conn.execute(
                f"INSERT INTO sessions ({_COLUMNS}, authorization_reference, "
                "token_country_code, token_party_id) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    session.group_id,
                    extras.authorization_reference,
                    extras.token_country_code,
                    extras.token_party_id,
                ),
            )
            # The first period's row is written lazily (at its first checkpoint or
            # cut): a session start touches as few pages as it can.
            enqueue(conn, SESSION_MODULE, session.id, session.last_updated)
    except sqlite3.IntegrityError as exc:
        raise SessionConflict(
            f"EVSE {session.evse_uid} already has an active session"
        ) from exc


def session_extras(db: sqlite_utils.Database, session_id: str) -> SessionExtras:
    """The extra fields of a session (empty if it has none or does not exist)."""
    row = db.conn.execute(
        "SELECT authorization_reference, token_country_code, token_party_id "
        "FROM sessions WHERE id = ?",
        (session_id,),
    ).fetchone()
    if row is None:
        return SessionExtras()
    return SessionExtras(*(_opt(v) for v in row))


def confirm_board_enabled(db: sqlite_utils.Database, session_id: str) -> None:
    """Record that the board showed itself enabled during this session."""
    with transaction(db) as conn:
        conn.execute(
            "UPDATE sessions SET board_enabled = 1 WHERE id = ? AND board_enabled = 0",
            (session_id,),
        )


def board_enabled(db: sqlite_utils.Database, session_id: str) -> bool:
    """Whether the board showed itself enabled during this session."""
    row = db.conn.execute(
        "SELECT board_enabled FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()
    return bool(row and row[0])


def checkpoint(
    db: sqlite_utils.Database,
    session_id: str,
    meter_wh: int,
    now: datetime,
    period: OpenPeriod | None = None,
) -> None:
    """Record progress of an active session (energy never decreases)."""
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE sessions SET meter_last_wh = MAX(meter_last_wh, ?), "
            "last_updated = ? WHERE id = ? AND status = 'ACTIVE'",
            (meter_wh, iso(now), session_id),
        )
        if cur.rowcount:
            if period is not None:
                _refresh_period(conn, session_id, period, meter_wh)
            enqueue(conn, SESSION_MODULE, session_id, now)


def new_period(
    db: sqlite_utils.Database,
    session_id: str,
    closed: ClosedPeriod,
    opened: OpenPeriod,
    meter_wh: int,
    now: datetime,
) -> None:
    """Close a period and open the next one, in one transaction."""
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE sessions SET meter_last_wh = MAX(meter_last_wh, ?), "
            "last_updated = ? WHERE id = ? AND status = 'ACTIVE'",
            (meter_wh, iso(now), session_id),
        )
        if not cur.rowcount:
            return
        _close_period(conn, session_id, closed)
        _open_period(conn, session_id, opened)
        enqueue(conn, SESSION_MODULE, session_id, now)


def stop_session(
    db: sqlite_utils.Database,
    session_id: str,
    meter_stop_wh: int,
    end: datetime,
    reason: str,
    final_period: ClosedPeriod | None = None,
) -> bool:
    """Close an active session and queue its final state and its CDR.

    Returns False when the session was not active (already closed): closing is
    idempotent, so a repeated stop after a crash never produces a second CDR.
    The session's own departure (:mod:`edge.store.departures`) goes with it.
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
        if final_period is not None:
            _close_period(conn, session_id, final_period)
        departures.drop_in(conn, session_id)  # it held for this session only
        session_key = enqueue(conn, SESSION_MODULE, session_id, end)
        enqueue(conn, CDR_MODULE, session_id, end, after_key=session_key)
    return True


# ---- periods ---------------------------------------------------------------------
_PERIOD_COLUMNS = (
    "seq, start, end, kind, meter_start_wh, energy_wh, max_current_a, min_current_a, "
    "max_power_w, min_power_w"
)


def _open_period(conn: sqlite3.Connection, session_id: str, p: OpenPeriod) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO charging_periods (session_id, seq, start, kind, "
        "meter_start_wh, max_current_a, min_current_a, max_power_w, min_power_w) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, p.seq, iso(p.start), p.kind.value, p.meter_start_wh,
         p.max_current_a, p.min_current_a, p.max_power_w, p.min_power_w),
    )  # fmt: skip


def _refresh_period(
    conn: sqlite3.Connection, session_id: str, p: OpenPeriod, meter_wh: int
) -> None:
    _open_period(conn, session_id, p)
    conn.execute(
        "UPDATE charging_periods SET energy_wh = ?, max_current_a = ?, "
        "min_current_a = ?, max_power_w = ?, min_power_w = ? "
        "WHERE session_id = ? AND seq = ? AND end IS NULL",
        (max(0, meter_wh - p.meter_start_wh), p.max_current_a, p.min_current_a,
         p.max_power_w, p.min_power_w, session_id, p.seq),
    )  # fmt: skip


def _close_period(conn: sqlite3.Connection, session_id: str, p: ClosedPeriod) -> None:
    cur = conn.execute(
        "UPDATE charging_periods SET end = ?, energy_wh = ?, max_current_a = ?, "
        "min_current_a = ?, max_power_w = ?, min_power_w = ? "
        "WHERE session_id = ? AND seq = ?",
        (iso(p.end), p.energy_wh, p.max_current_a, p.min_current_a, p.max_power_w,
         p.min_power_w, session_id, p.seq),
    )  # fmt: skip
    if not cur.rowcount:  # the open row was never written (older session)
        conn.execute(
            "INSERT INTO charging_periods (session_id, seq, start, end, kind, "
            "meter_start_wh, energy_wh, max_current_a, min_current_a, max_power_w, "
            "min_power_w) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, p.seq, iso(p.start), iso(p.end), p.kind.value, 0, p.energy_wh,
             p.max_current_a, p.min_current_a, p.max_power_w, p.min_power_w),
        )  # fmt: skip


def open_period(db: sqlite_utils.Database, session_id: str) -> OpenPeriod | None:
    """The period still open for an active session (to resume it).

    A session whose first period has no row yet resumes period 0 from its start.
    """
    row = db.conn.execute(
        f"SELECT {_PERIOD_COLUMNS} FROM charging_periods WHERE session_id = ? "
        "AND end IS NULL ORDER BY seq DESC LIMIT 1",
        (session_id,),
    ).fetchone()
    if row is None:
        if db.conn.execute(
            "SELECT 1 FROM charging_periods WHERE session_id = ?", (session_id,)
        ).fetchone():
            return None  # every period is closed
        first = get_session(db, session_id)
        if first is None:
            return None
        return OpenPeriod(0, first.start, PeriodKind.CHARGING, first.meter_start_wh)
    seq, start, _, kind, m0, _, imax, imin, pmax, pmin = row
    return OpenPeriod(int(seq), parse_iso(str(start)), PeriodKind(str(kind)), int(m0),
                      imax, imin, pmax, pmin)  # fmt: skip


def periods(db: sqlite_utils.Database, session_id: str) -> list[ClosedPeriod]:
    """Every finished period of a session, in order (the CDR's charging periods)."""
    out = []
    for row in db.conn.execute(
        f"SELECT {_PERIOD_COLUMNS} FROM charging_periods WHERE session_id = ? "
        "AND end IS NOT NULL ORDER BY seq",
        (session_id,),
    ):
        seq, start, end, kind, _, energy, imax, imin, pmax, pmin = row
        out.append(ClosedPeriod(int(seq), parse_iso(str(start)), parse_iso(str(end)),
                                PeriodKind(str(kind)), int(energy or 0), imax, imin,
                                pmax, pmin))  # fmt: skip
    return out


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
    """Filters for listing sessions (the window is on the start)."""

    evse_uid: str | None = None
    token_uid: str | None = None
    """The token that started it, in any letter case."""
    status: SessionStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    offset: int = 0


def _where(flt: SessionFilter) -> tuple[str, list[object]]:
    where: list[str] = []
    args: list[object] = []
    if flt.evse_uid:
        where.append("evse_uid = ?")
        args.append(flt.evse_uid)
    if flt.token_uid:
        where.append("token_uid = ? COLLATE NOCASE")
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
    return (" WHERE " + " AND ".join(where)) if where else "", args


def list_sessions(
    db: sqlite_utils.Database, flt: SessionFilter = SessionFilter()
) -> list[Session]:
    """Sessions matching ``flt``, oldest first (``limit`` from ``offset``)."""
    where, args = _where(flt)
    sql = f"SELECT {_COLUMNS} FROM sessions{where} ORDER BY start, id"
    if flt.limit or flt.offset:
        sql += " LIMIT ? OFFSET ?"
        args += [-1 if flt.limit is None else int(flt.limit), int(flt.offset)]
    return [_row(r) for r in db.conn.execute(sql, args)]


def count_sessions(
    db: sqlite_utils.Database, flt: SessionFilter = SessionFilter()
) -> int:
    """How many sessions match ``flt`` (its limit and offset aside)."""
    where, args = _where(flt)
    (n,) = db.conn.execute(f"SELECT COUNT(*) FROM sessions{where}", args).fetchone()
    return int(n)
