"""EVSE statuses: the last one of each EVSE, and its change queued for the uplink.

These functions run on the database thread (see :class:`edge.store.db.Database`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlite_utils

from edge.store.db import transaction
from edge.store.outbox import OutboxModule, enqueue
from edge.store.timefmt import iso, parse_iso

EVSE_MODULE = OutboxModule.EVSE_STATUS


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


def set_evse_statuses(
    db: sqlite_utils.Database,
    rows: Iterable[tuple[str, str, str | None]],
    now: datetime,
) -> None:
    """Record several EVSEs' ``(uid, status, reason)`` in one transaction."""
    with transaction(db):
        for evse_uid, status, reason in rows:
            set_evse_status(db, evse_uid, status, reason, now)


def evse_statuses(db: sqlite_utils.Database) -> dict[str, tuple[str, datetime]]:
    """Every EVSE's last stored status, and when it changed."""
    return {
        str(uid): (str(status), parse_iso(str(updated)))
        for uid, status, updated in db.conn.execute(
            "SELECT evse_uid, status, updated FROM evse_status"
        )
    }
