"""OCPP local lists repository: what each charger holds of ours, and its version.

These functions run on the database thread (see :class:`edge.store.db.Database`).
Every write is one transaction: a list update's entries and its version are
committed together, so a kill never leaves a version with the wrong entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from edge.store.db import transaction
from edge.store.timefmt import iso


@dataclass(frozen=True)
class HeldList:
    """A charger's list as it last accepted it from us."""

    version: int
    entries: dict[str, str]
    """idTag -> status (``Accepted``, ``Blocked``, ...)."""


def load(db: sqlite_utils.Database, identity: str) -> HeldList | None:
    """What ``identity`` holds, or None if we never sent it a list."""
    row = db.conn.execute(
        "SELECT version FROM ocpp_local_lists WHERE identity = ?", (identity,)
    ).fetchone()
    if row is None:
        return None
    entries = {
        str(tag): str(status)
        for tag, status in db.conn.execute(
            "SELECT id_tag, status FROM ocpp_local_list_entries WHERE identity = ?",
            (identity,),
        )
    }
    return HeldList(int(row[0]), entries)


def accepted(
    db: sqlite_utils.Database,
    identity: str,
    version: int,
    full: bool,
    entries: Sequence[tuple[str, str | None]],
    now: datetime,
) -> None:
    """Record a SendLocalList the charger accepted (status None: removed)."""
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO ocpp_local_lists (identity, version, updated) "
            "VALUES (?, ?, ?) "
            "ON CONFLICT (identity) DO UPDATE SET version = excluded.version, "
            "updated = excluded.updated",
            (identity, version, iso(now)),
        )
        if full:
            conn.execute(
                "DELETE FROM ocpp_local_list_entries WHERE identity = ?", (identity,)
            )
        conn.executemany(
            "DELETE FROM ocpp_local_list_entries WHERE identity = ? AND id_tag = ?",
            [(identity, tag) for tag, status in entries if status is None],
        )
        conn.executemany(
            "INSERT INTO ocpp_local_list_entries (identity, id_tag, status) "
            "VALUES (?, ?, ?) ON CONFLICT (identity, id_tag) "
            "DO UPDATE SET status = excluded.status",
            [(identity, tag, status) for tag, status in entries if status is not None],
        )
