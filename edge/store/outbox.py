"""The durable outbox: what the uplink still has to deliver.

Enqueue inside the caller's transaction. A change to an object already queued
folds into its row (the key is unique): the row keeps its place, its version is
bumped, and the sender rebuilds the payload from the store, so the receiver gets
the object's current state once. ``after_key`` orders objects: a row is not due
while the row it must follow is still queued (a CDR after its session's final
update).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edge.store.timefmt import iso


@dataclass(frozen=True)
class OutboxItem:
    """One queued object."""

    seq: int
    key: str
    module: str
    object_id: str
    after_key: str | None
    version: int
    attempts: int
    due: str
    last_error: str | None
    dead: bool


def enqueue(
    conn: sqlite3.Connection,
    module: str,
    object_id: str,
    now: datetime,
    after_key: str | None = None,
) -> str:
    """Queue ``module:object_id`` for delivery (folding into a queued row)."""
    key = f"{module}:{object_id}"
    stamp = iso(now)
    conn.execute(
        """
        INSERT INTO outbox (key, module, object_id, after_key, created, updated, due)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET
            version = version + 1,
            updated = excluded.updated,
            after_key = COALESCE(excluded.after_key, outbox.after_key),
            dead = 0
        """,
        (key, module, object_id, after_key, stamp, stamp, stamp),
    )
    return key


def _item(row: tuple[Any, ...]) -> OutboxItem:
    seq, key, module, object_id, after_key, version, attempts, due, err, dead = row
    return OutboxItem(
        int(seq),
        str(key),
        str(module),
        str(object_id),
        None if after_key is None else str(after_key),
        int(version),
        int(attempts),
        str(due),
        None if err is None else str(err),
        bool(dead),
    )


_COLUMNS = (
    "seq, key, module, object_id, after_key, version, attempts, due, last_error, dead"
)


def pending(conn: sqlite3.Connection, limit: int | None = None) -> list[OutboxItem]:
    """Every queued, not dead item in queue order."""
    sql = f"SELECT {_COLUMNS} FROM outbox WHERE dead = 0 ORDER BY seq"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_item(r) for r in conn.execute(sql)]


def all_items(conn: sqlite3.Connection) -> list[OutboxItem]:
    """Every item, dead letters included, in queue order."""
    return [
        _item(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY seq")
    ]
