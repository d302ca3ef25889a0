"""OCPP 2.0.1 transactions: the station's transactionId and seqNos (migration 008).

A 2.0.1 station's transaction is billed as any OCPP transaction, through
:mod:`edge.store.ocpp_transactions` (its ``tx`` row); this module keeps what
2.0.1 adds: the station's own ``transactionId`` mapped to that row, the start
it was first seen with (so that a replayed start finds the same row), and
every ``seqNo`` taken of it while it runs. Once its Ended event is taken,
only that one is kept (any later event of it is a replay): a station's
transactions leave one row each, however many events they had.

These functions run on the database thread (see :class:`edge.store.db.Database`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from edge.store.db import transaction
from edge.store.timefmt import iso, parse_iso


@dataclass(frozen=True)
class Tx201:
    """One 2.0.1 transaction as the store holds it."""

    charger: str
    transaction_id: str
    evse_id: int
    started_at: datetime
    """The time of its first event we took (its start, unless that was lost)."""
    meter_start_wh: int | None
    """The energy register in that event (None: it carried none)."""
    tx: int | None
    """Its row in ``ocpp_transactions`` (None: not authorized yet)."""
    seqs: frozenset[int]
    """The seqNos taken (once ended: the Ended one's)."""
    ended: bool = False
    """Its Ended event was taken."""


def find(db: sqlite_utils.Database, charger: str, transaction_id: str) -> Tx201 | None:
    """A station's transaction by its transactionId (None: never seen)."""
    row = db.conn.execute(
        "SELECT evse_id, started_at, meter_start_wh, tx FROM ocpp201_transactions "
        "WHERE charger = ? AND transaction_id = ?",
        (charger, transaction_id),
    ).fetchone()
    if row is None:
        return None
    events = db.conn.execute(
        "SELECT seq_no, event_type FROM ocpp201_events WHERE charger = ? AND "
        "transaction_id = ?",
        (charger, transaction_id),
    ).fetchall()
    seqs = frozenset(int(r[0]) for r in events)
    ended = any(r[1] == "Ended" for r in events)
    evse, started, meter, tx = row
    return Tx201(
        charger,
        transaction_id,
        int(evse),
        parse_iso(str(started)),
        None if meter is None else int(meter),
        None if tx is None else int(tx),
        seqs,
        ended,
    )


def first_seen(
    db: sqlite_utils.Database,
    charger: str,
    transaction_id: str,
    evse_id: int,
    started_at: datetime,
    meter_start_wh: int | None,
    received: datetime,
) -> Tx201:
    """Keep a transaction's first event's start (a second call keeps the first)."""
    with transaction(db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO ocpp201_transactions (charger, transaction_id, "
            "evse_id, started_at, meter_start_wh, received) VALUES (?, ?, ?, ?, ?, ?)",
            (
                charger,
                transaction_id,
                evse_id,
                iso(started_at),
                meter_start_wh,
                iso(received),
            ),
        )
    found = find(db, charger, transaction_id)
    if found is None:  # pragma: no cover - written above
        raise LookupError(f"transaction {transaction_id} of {charger} not stored")
    return found


def billed_as(
    db: sqlite_utils.Database, charger: str, transaction_id: str, tx: int
) -> None:
    """The ``ocpp_transactions`` row that bills the transaction."""
    with transaction(db) as conn:
        conn.execute(
            "UPDATE ocpp201_transactions SET tx = ? WHERE charger = ? AND "
            "transaction_id = ?",
            (tx, charger, transaction_id),
        )


def taken(
    db: sqlite_utils.Database,
    charger: str,
    transaction_id: str,
    seq_no: int,
    event_type: str,
    received: datetime,
) -> bool:
    """Keep that event ``seq_no`` was taken; False if it was already.

    An Ended event is kept alone: the others of its transaction are dropped.
    """
    with transaction(db) as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO ocpp201_events (charger, transaction_id, seq_no, "
            "event_type, received) VALUES (?, ?, ?, ?, ?)",
            (charger, transaction_id, seq_no, event_type, iso(received)),
        )
        if event_type == "Ended":
            conn.execute(
                "DELETE FROM ocpp201_events WHERE charger = ? AND transaction_id = ? "
                "AND seq_no != ?",
                (charger, transaction_id, seq_no),
            )
        return bool(cur.rowcount)


def station_transaction_id(
    db: sqlite_utils.Database, charger: str, tx: int
) -> str | None:
    """The station's own transactionId of our transaction ``tx`` (None: none).

    What RequestStopTransaction names (a 2.0.1 station knows no other id).
    """
    row = db.conn.execute(
        "SELECT transaction_id FROM ocpp201_transactions WHERE charger = ? AND tx = ?",
        (charger, tx),
    ).fetchone()
    return None if row is None else str(row[0])
