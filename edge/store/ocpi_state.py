"""What the receiver holds, and the uplink's cursors, in the store.

``ocpi_objects`` records per outbox key whether the receiver has the object (so
later changes go as PATCH), when it was last sent, and for objects built from the
site file the digest and ``last_updated`` of the queued version. Functions run on
the database thread, inside the caller's transaction where they write.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from edge.store.db import transaction
from edge.store.outbox import OutboxModule, enqueue
from edge.store.timefmt import iso, parse_iso


@dataclass(frozen=True)
class ObjectState:
    """The receiver's copy of one object, as far as we know."""

    created: bool = False
    digest: str | None = None
    last_updated: datetime | None = None
    last_sent: datetime | None = None


def _time(value: object) -> datetime | None:
    return None if value is None else parse_iso(str(value))


def object_state(conn: sqlite3.Connection, key: str) -> ObjectState:
    """The state of ``key`` (all defaults if never sent)."""
    row = conn.execute(
        "SELECT created, digest, last_updated, last_sent FROM ocpi_objects "
        "WHERE key = ?",
        (key,),
    ).fetchone()
    if row is None:
        return ObjectState()
    created, digest, updated, sent = row
    return ObjectState(
        bool(created),
        None if digest is None else str(digest),
        _time(updated),
        _time(sent),
    )


def mark_sent(
    conn: sqlite3.Connection, key: str, now: datetime, *, created: bool
) -> None:
    """The receiver accepted ``key`` (``created``: it now holds the object)."""
    conn.execute(
        "INSERT INTO ocpi_objects (key, created, last_sent) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET last_sent = excluded.last_sent, "
        "created = MAX(created, excluded.created)",
        (key, int(created), iso(now)),
    )


def last_sent(conn: sqlite3.Connection) -> datetime | None:
    """When the receiver last accepted an object (None: never)."""
    row = conn.execute("SELECT MAX(last_sent) FROM ocpi_objects").fetchone()
    return None if row is None else _time(row[0])


def forget(conn: sqlite3.Connection, key: str) -> None:
    """The receiver no longer holds ``key`` (a deleted tariff)."""
    conn.execute("DELETE FROM ocpi_objects WHERE key = ?", (key,))


def queue_if_changed(
    conn: sqlite3.Connection,
    module: OutboxModule,
    object_id: str,
    digest: str,
    now: datetime,
) -> bool:
    """Queue a site-file object whose content changed since it was last queued.

    The new digest and ``now`` (its ``last_updated``) are recorded in the same
    transaction as the outbox row, so a crash cannot lose the change.
    """
    key = f"{module}:{object_id}"
    if object_state(conn, key).digest == digest:
        return False
    conn.execute(
        "INSERT INTO ocpi_objects (key, digest, last_updated) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET digest = excluded.digest, "
        "last_updated = excluded.last_updated",
        (key, digest, iso(now)),
    )
    enqueue(conn, module, object_id, now)
    return True


def created_keys(conn: sqlite3.Connection, module: OutboxModule) -> list[str]:
    """Object ids of ``module`` that the receiver holds."""
    return [
        str(r[0]).split(":", 1)[1]
        for r in conn.execute(
            "SELECT key FROM ocpi_objects WHERE key LIKE ? AND created = 1",
            (f"{module}:%",),
        )
    ]


def get_cursor(conn: sqlite3.Connection, name: str) -> str | None:
    """A named cursor's value."""
    row = conn.execute(
        "SELECT value FROM ocpi_cursors WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else str(row[0])


def set_cursor(conn: sqlite3.Connection, name: str, value: str) -> None:
    """Store a named cursor's value."""
    conn.execute(
        "INSERT INTO ocpi_cursors (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )


def save_cursor(db: sqlite_utils.Database, name: str, value: str) -> None:
    """Store a named cursor's value, in a transaction of its own."""
    with transaction(db) as conn:
        set_cursor(conn, name, value)


def queue_site_objects(
    db: sqlite_utils.Database,
    tariff: tuple[str, str] | None,
    location: tuple[str, str],
    now: datetime,
) -> None:
    """Queue the tariff and the location, (id, digest), if the site file changed.

    A tariff the receiver holds that is no longer the configured one is queued
    too: the planner sends it as a DELETE.
    """
    with transaction(db) as conn:
        tariffs, locations = OutboxModule.TARIFFS, OutboxModule.LOCATIONS
        for old in created_keys(conn, tariffs):
            if tariff is None or old != tariff[0]:
                enqueue(conn, tariffs, old, now)
        if tariff is not None:
            queue_if_changed(conn, tariffs, tariff[0], tariff[1], now)
        queue_if_changed(conn, locations, location[0], location[1], now)
