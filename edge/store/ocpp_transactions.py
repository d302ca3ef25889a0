"""OCPP transactions: the ids we issue, and each one's session (migration 007).

A charger's transaction is a row of ``ocpp_transactions``; its id is the
``transactionId`` we answer with, issued by SQLite (AUTOINCREMENT: never the
same twice, across restarts). A transaction the site bills opens a session in
the same transaction as its row (:func:`begin`), so that the session, its OCPI
outbox entry and the id are on disk together before the charger hears the id.
A refused one keeps its row with the reason and no session.

These functions run on the database thread (see :class:`edge.store.db.Database`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from edge.model.period import ClosedPeriod, OpenPeriod, PeriodKind
from edge.model.session import Session
from edge.store import sessions
from edge.store.db import transaction
from edge.store.timefmt import iso, parse_iso

_COLUMNS = (
    "id, charger, connector_id, evse_uid, id_tag, start, meter_start_wh, "
    "session_id, refused, meter_wh, meter_at, stop, meter_stop_wh, stop_reason"
)


@dataclass(frozen=True)
class TxStart:
    """A StartTransaction as the charger sent it (times on its clock)."""

    charger: str
    connector_id: int
    evse_uid: str | None
    """The site's EVSE the connector is (None: a connector [ocpp] lacks)."""
    id_tag: str
    start: datetime
    meter_start_wh: int
    received: datetime
    """When it reached us (site clock)."""


@dataclass(frozen=True)
class TxRecord:
    """One transaction as the store holds it."""

    id: int
    charger: str
    connector_id: int
    evse_uid: str | None
    id_tag: str
    start: datetime
    meter_start_wh: int
    session_id: str | None
    """The session that bills it (None: not billed; ``refused`` says why)."""
    refused: str | None
    meter_wh: int
    """The last reading believed (meterStart until one is)."""
    meter_at: datetime
    """When that reading was taken (the charger's time)."""
    stop: datetime | None
    """When it stopped (the charger's time; None: running)."""
    meter_stop_wh: int | None
    stop_reason: str | None

    @property
    def running(self) -> bool:
        """Not stopped yet."""
        return self.stop is None


@dataclass(frozen=True)
class Begun:
    """A new transaction, stored (with its session when billed)."""

    tx: TxRecord
    superseded: TxRecord | None = None
    """The connector's running transaction this one closed (its stop never came)."""


@dataclass(frozen=True)
class Repeated:
    """The charger sent this StartTransaction before: the stored one."""

    tx: TxRecord


@dataclass(frozen=True)
class OrphanStop:
    """A StopTransaction for a transaction we do not know."""

    charger: str
    transaction_id: int
    id_tag: str | None
    stop: datetime
    meter_stop_wh: int
    stop_reason: str | None
    why: str
    received: datetime


def _record(r: tuple[Any, ...]) -> TxRecord:
    (tid, charger, conn, evse, tag, start, m0, sid, refused, mwh, mat, stop, mstop,
     why) = r  # fmt: skip
    return TxRecord(
        id=int(tid),
        charger=str(charger),
        connector_id=int(conn),
        evse_uid=None if evse is None else str(evse),
        id_tag=str(tag),
        start=parse_iso(str(start)),
        meter_start_wh=int(m0),
        session_id=None if sid is None else str(sid),
        refused=None if refused is None else str(refused),
        meter_wh=int(mwh),
        meter_at=parse_iso(str(mat)),
        stop=None if stop is None else parse_iso(str(stop)),
        meter_stop_wh=None if mstop is None else int(mstop),
        stop_reason=None if why is None else str(why),
    )


def _get(conn: sqlite3.Connection, tx_id: int) -> TxRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM ocpp_transactions WHERE id = ?", (tx_id,)
    ).fetchone()
    return None if row is None else _record(row)


def _same_start(conn: sqlite3.Connection, start: TxStart) -> TxRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM ocpp_transactions WHERE charger = ? "
        "AND connector_id = ? AND start = ? AND meter_start_wh = ?",
        (start.charger, start.connector_id, iso(start.start), start.meter_start_wh),
    ).fetchone()
    return None if row is None else _record(row)


def _of_session(conn: sqlite3.Connection, session_id: str) -> TxRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM ocpp_transactions WHERE session_id = ?",
        (session_id,),
    ).fetchone()
    return None if row is None else _record(row)


def begin(
    db: sqlite_utils.Database,
    start: TxStart,
    session_for: Callable[[int], Session] | None,
    refused: str | None,
    extras: sessions.SessionExtras | None = None,
) -> Begun | Repeated:
    """Store a StartTransaction, or find the one it repeats.

    ``session_for(transaction id)`` is the session that bills it (None with
    ``refused``: kept, not billed). When the connector's EVSE still has a
    session that started before this one, its stop never reached us: it is
    closed at this one's start on its last believed reading. One that started
    after this one (a charger replaying out of order) keeps running, and this
    one is refused.
    """
    with transaction(db) as conn:
        seen = _same_start(conn, start)
        if seen is not None:
            return Repeated(seen)
        superseded: TxRecord | None = None
        if session_for is not None and start.evse_uid is not None:
            active = sessions.active_session_for(db, start.evse_uid)
            if active is not None and active.start > start.start:
                session_for = None
                refused = (
                    f"the connector's session {active.id}, started later, is still "
                    "running"
                )
            elif active is not None:
                superseded = _supersede(db, active, start)
        cur = conn.execute(
            "INSERT INTO ocpp_transactions (charger, connector_id, evse_uid, id_tag, "
            "start, meter_start_wh, refused, meter_wh, meter_at, received) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                start.charger,
                start.connector_id,
                start.evse_uid,
                start.id_tag,
                iso(start.start),
                start.meter_start_wh,
                refused if session_for is None else None,
                start.meter_start_wh,
                iso(start.start),
                iso(start.received),
            ),
        )
        tx_id = int(cur.lastrowid or 0)
        if session_for is not None:
            session = session_for(tx_id)
            period = OpenPeriod(
                0, session.start, PeriodKind.CHARGING, session.meter_start_wh
            )
            sessions.start_session(
                db, session, period, extras or sessions.SessionExtras()
            )
            conn.execute(
                "UPDATE ocpp_transactions SET session_id = ? WHERE id = ?",
                (session.id, tx_id),
            )
        tx = _get(conn, tx_id)
        if tx is None:  # pragma: no cover - written above, in this transaction
            raise RuntimeError(f"transaction {tx_id} vanished")
        return Begun(tx, superseded)


def _supersede(db: sqlite_utils.Database, active: Session, start: TxStart) -> TxRecord:
    """Close ``active`` at ``start``'s time on its last believed reading."""
    conn = db.conn
    old = _of_session(conn, active.id)
    reason = "SUPERSEDED"
    last = active.meter_last_wh
    end = max(start.start, active.start)
    opened = sessions.open_period(db, active.id)
    final = None if opened is None else opened.close(end, last)
    sessions.stop_session(db, active.id, last, end, reason, final)
    _touch(conn, active.id, start.received)
    if old is None:  # a session of this EVSE that no transaction row names
        return TxRecord(
            0, start.charger, start.connector_id, start.evse_uid, "", active.start,
            active.meter_start_wh, active.id, None, last, end, end, last, reason,
        )  # fmt: skip
    conn.execute(
        "UPDATE ocpp_transactions SET stop = ?, meter_stop_wh = ?, stop_reason = ? "
        "WHERE id = ? AND stop IS NULL",
        (iso(end), last, "superseded: a new transaction started on the connector",
         old.id),
    )  # fmt: skip
    return _get(conn, old.id) or old


def _touch(conn: sqlite3.Connection, session_id: str, now: datetime) -> None:
    """A replayed stop changed the session now, not at its (past) end."""
    conn.execute(
        "UPDATE sessions SET last_updated = ? WHERE id = ? AND last_updated < ?",
        (iso(now), session_id, iso(now)),
    )


def progress(
    db: sqlite_utils.Database,
    tx_id: int,
    meter_wh: int,
    meter_at: datetime,
    now: datetime,
    period: OpenPeriod,
    closed: ClosedPeriod | None = None,
) -> None:
    """A believed reading of a billed transaction: its session checkpointed.

    ``closed``: the period that ended with this reading (``period`` is then
    the one it opened).
    """
    with transaction(db) as conn:
        tx = _get(conn, tx_id)
        if tx is None or tx.session_id is None or not tx.running:
            return
        if closed is not None:
            sessions.new_period(db, tx.session_id, closed, period, meter_wh, now)
        else:
            sessions.checkpoint(db, tx.session_id, meter_wh, now, period)
        conn.execute(
            "UPDATE ocpp_transactions SET meter_wh = MAX(meter_wh, ?), meter_at = ? "
            "WHERE id = ?",
            (meter_wh, iso(meter_at), tx_id),
        )


def finish(
    db: sqlite_utils.Database,
    tx_id: int,
    stop: datetime,
    meter_stop_wh: int,
    reason: str,
    final_period: ClosedPeriod | None,
    now: datetime,
) -> bool:
    """Stop a transaction (and close its session, queueing its CDR).

    Returns False when it was stopped already: a repeated StopTransaction
    changes nothing and makes no second CDR.
    """
    with transaction(db) as conn:
        cur = conn.execute(
            "UPDATE ocpp_transactions SET stop = ?, meter_stop_wh = ?, "
            "stop_reason = ?, meter_wh = MAX(meter_wh, ?) WHERE id = ? "
            "AND stop IS NULL",
            (iso(stop), meter_stop_wh, reason, meter_stop_wh, tx_id),
        )
        if not cur.rowcount:
            return False
        tx = _get(conn, tx_id)
        if tx is not None and tx.session_id is not None:
            sessions.stop_session(
                db, tx.session_id, meter_stop_wh, stop, reason, final_period
            )
            _touch(conn, tx.session_id, now)
    return True


def record_orphan(db: sqlite_utils.Database, orphan: OrphanStop) -> bool:
    """Keep a StopTransaction of an unknown transaction; False if kept already."""
    with transaction(db) as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO ocpp_orphan_stops (charger, transaction_id, "
            "id_tag, stop, meter_stop_wh, stop_reason, why, received) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                orphan.charger,
                orphan.transaction_id,
                orphan.id_tag,
                iso(orphan.stop),
                orphan.meter_stop_wh,
                orphan.stop_reason,
                orphan.why,
                iso(orphan.received),
            ),
        )
        return bool(cur.rowcount)


def _orphan(r: tuple[Any, ...]) -> OrphanStop:
    charger, tid, tag, stop, meter, reason, why, received = r
    return OrphanStop(
        str(charger),
        int(tid),
        None if tag is None else str(tag),
        parse_iso(str(stop)),
        int(meter),
        None if reason is None else str(reason),
        str(why),
        parse_iso(str(received)),
    )


def orphan_stops(db: sqlite_utils.Database, charger: str) -> list[OrphanStop]:
    """The unknown transactions' stops a charger sent, oldest first."""
    return [
        _orphan(r)
        for r in db.conn.execute(
            "SELECT charger, transaction_id, id_tag, stop, meter_stop_wh, "
            "stop_reason, why, received FROM ocpp_orphan_stops WHERE charger = ? "
            "ORDER BY seq",
            (charger,),
        )
    ]


def find(db: sqlite_utils.Database, charger: str, tx_id: int) -> TxRecord | None:
    """One of a charger's transactions by id (None: not one we issued it)."""
    tx = _get(db.conn, tx_id)
    return tx if tx is not None and tx.charger == charger else None


def running(db: sqlite_utils.Database) -> list[TxRecord]:
    """Every billed transaction not stopped yet (to follow on after a restart)."""
    return [
        _record(r)
        for r in db.conn.execute(
            f"SELECT {_COLUMNS} FROM ocpp_transactions WHERE stop IS NULL "
            "AND session_id IS NOT NULL ORDER BY id"
        )
    ]


def of_charger(db: sqlite_utils.Database, charger: str) -> list[TxRecord]:
    """Every transaction of a charger, by id."""
    return [
        _record(r)
        for r in db.conn.execute(
            f"SELECT {_COLUMNS} FROM ocpp_transactions WHERE charger = ? ORDER BY id",
            (charger,),
        )
    ]
