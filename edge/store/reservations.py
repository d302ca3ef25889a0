"""Reservations repository: what RESERVE_NOW holds, kept across restarts.

These functions run on the database thread (see :class:`edge.store.db.Database`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from edge.model.commands import CommandToken
from edge.store.db import transaction
from edge.store.timefmt import iso, parse_iso


@dataclass(frozen=True)
class StoredReservation:
    """One held reservation."""

    id: str
    evse_uid: str
    token: CommandToken
    expiry: datetime
    authorization_reference: str | None


_COLUMNS = (
    "id, evse_uid, token_uid, token_type, contract_id, country_code, party_id, "
    "group_id, expiry, authorization_reference"
)


def hold(
    db: sqlite_utils.Database,
    evse_uid: str,
    reservation_id: str,
    token: CommandToken,
    expiry: datetime,
    authorization_reference: str | None,
    now: datetime,
) -> None:
    """Store the reservation an EVSE holds (replacing what it held before)."""
    with transaction(db) as conn:
        conn.execute(
            "DELETE FROM reservations WHERE evse_uid = ? OR id = ?",
            (evse_uid, reservation_id),
        )
        conn.execute(
            f"INSERT INTO reservations ({_COLUMNS}, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (reservation_id, evse_uid, token.uid, token.type, token.contract_id,
             token.country_code, token.party_id, token.group_id, iso(expiry),
             authorization_reference, iso(now)),
        )  # fmt: skip


def drop(db: sqlite_utils.Database, reservation_id: str) -> bool:
    """Delete a reservation; False if there was none."""
    with transaction(db) as conn:
        cur = conn.execute("DELETE FROM reservations WHERE id = ?", (reservation_id,))
    return bool(cur.rowcount)


def held_by(db: sqlite_utils.Database, evse_uid: str) -> StoredReservation | None:
    """The reservation an EVSE holds, if any (to resume it after a restart)."""
    row = db.conn.execute(
        f"SELECT {_COLUMNS} FROM reservations WHERE evse_uid = ?", (evse_uid,)
    ).fetchone()
    if row is None:
        return None
    rid, evse, uid, ttype, contract, cc, pid, group, expiry, ref = row
    token = CommandToken(
        uid=str(uid),
        type=str(ttype),
        contract_id=str(contract),
        country_code=str(cc),
        party_id=str(pid),
        group_id=None if group is None else str(group),
    )
    return StoredReservation(
        str(rid),
        str(evse),
        token,
        parse_iso(str(expiry)),
        None if ref is None else str(ref),
    )


def all_held(db: sqlite_utils.Database) -> list[str]:
    """The ids of every held reservation."""
    return [str(r[0]) for r in db.conn.execute("SELECT id FROM reservations")]
