"""The durable outbox: what the uplink still has to deliver.

Enqueue inside the caller's transaction. A change to an object already queued
folds into its row (the key is unique): the row keeps its place, its version is
bumped, and the sender rebuilds the payload from the store, so the receiver gets
the object's current state once. ``after_key`` orders objects: a row is not due
while the row it must follow is still queued (a CDR after its session's final
update).

The sender claims due rows with a lease (:func:`claim`), then acks, retries,
defers or dead-letters each (:func:`ack`, :func:`retry`, :func:`defer`,
:func:`dead_letter`). A claim is a lease, not a lock: a sender killed after
claiming loses nothing, its rows become claimable again when the lease ends. An
ack names the version it delivered; a row that folded a newer change meanwhile
stays queued. A dead letter is kept, with the receiver's reason, until an
operator requeues it (or the object changes again).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from edge.store.timefmt import iso


class OutboxModule(StrEnum):
    """What an outbox row delivers: the module part of its key (``module:id``)."""

    TARIFFS = "tariffs"
    LOCATIONS = "locations"
    EVSE_STATUS = "evse_status"
    SESSIONS = "sessions"
    CDRS = "cdrs"

    def key(self, object_id: str) -> str:
        """The outbox key of ``object_id`` in this module."""
        return f"{self.value}:{object_id}"


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


Prerequisites = Mapping[str, Sequence[str]]
"""Module -> modules that must have no queued row before it may go (a location
before its EVSE statuses). A dead prerequisite keeps blocking: sending the
dependants would only produce more rejections."""


def _ready(prerequisites: Prerequisites) -> tuple[str, list[str]]:
    parts = [
        "(o.after_key IS NULL OR NOT EXISTS "
        "(SELECT 1 FROM outbox a WHERE a.key = o.after_key))"
    ]
    args: list[str] = []
    for module, needs in sorted(prerequisites.items()):
        for need in needs:
            parts.append(
                "NOT (o.module = ? AND EXISTS "
                "(SELECT 1 FROM outbox p WHERE p.module = ?))"
            )
            args += [module, need]
    return " AND ".join(parts), args


def claim(
    conn: sqlite3.Connection,
    owner: str,
    now: datetime,
    lease_s: float,
    limit: int,
    prerequisites: Prerequisites | None = None,
) -> list[OutboxItem]:
    """Lease up to ``limit`` due, unblocked rows to ``owner``, oldest first.

    Run inside the caller's transaction. A lease that ends further ahead than
    ten fresh ones would is treated as expired (its clock went backwards).
    A row ``owner`` holds is never claimed again by ``owner``, even after its
    lease ended: its request may be in flight, or answered and not yet
    committed, and a second one would send the object twice (a CDR POSTed
    again is one more "already exists", and a kill then leaves two re-sends).
    The holder gives it back by committing an outcome or :func:`release_owner`;
    an expired lease only lets *another* sender (after a kill) take it.
    """
    ready, args = _ready(prerequisites or {})
    stamp = iso(now)
    horizon = iso(now + timedelta(seconds=10 * lease_s))
    cols = ", ".join(f"o.{c.strip()}" for c in _COLUMNS.split(","))
    rows = conn.execute(
        f"SELECT {cols} FROM outbox o WHERE o.dead = 0 AND o.due <= ? "
        "AND (o.lease_until IS NULL OR (o.claim_owner IS NOT ? "
        "AND (o.lease_until <= ? OR o.lease_until > ?))) "
        f"AND {ready} ORDER BY o.seq LIMIT ?",
        [stamp, owner, stamp, horizon, *args, int(limit)],
    ).fetchall()
    items = [_item(r) for r in rows]
    if items:
        until = iso(now + timedelta(seconds=lease_s))
        conn.executemany(
            "UPDATE outbox SET claim_owner = ?, lease_until = ?, last_attempt = ? "
            "WHERE seq = ?",
            [(owner, until, stamp, item.seq) for item in items],
        )
    return items


def _release(
    conn: sqlite3.Connection, key: str, owner: str, sets: str, args: Sequence[object]
) -> bool:
    cur = conn.execute(
        f"UPDATE outbox SET {sets}, claim_owner = NULL, lease_until = NULL "
        "WHERE key = ? AND (claim_owner = ? OR claim_owner IS NULL)",
        [*args, key, owner],
    )
    return cur.rowcount > 0


def ack(conn: sqlite3.Connection, item: OutboxItem, owner: str, now: datetime) -> bool:
    """The receiver has ``item`` at its claimed version: remove the row.

    Returns False when the row folded a newer change meanwhile: it stays queued,
    released and due now, so the newer state goes next.
    """
    cur = conn.execute(
        "DELETE FROM outbox WHERE key = ? AND version = ?", (item.key, item.version)
    )
    if cur.rowcount:
        return True
    _release(conn, item.key, owner, "due = ?", [iso(now)])
    return False


def retry(
    conn: sqlite3.Connection,
    item: OutboxItem,
    owner: str,
    error: str,
    due: datetime,
) -> None:
    """Delivery failed for now: count the attempt, keep the reason, retry at ``due``."""
    _release(
        conn,
        item.key,
        owner,
        "attempts = attempts + 1, last_error = ?, due = ?",
        [error, iso(due)],
    )


def defer(
    conn: sqlite3.Connection, item: OutboxItem, owner: str, due: datetime
) -> None:
    """Not to be sent before ``due`` (not an attempt, e.g. a progress interval)."""
    _release(conn, item.key, owner, "due = ?", [iso(due)])


def dead_letter(
    conn: sqlite3.Connection,
    item: OutboxItem,
    owner: str,
    error: str,
    now: datetime,
) -> bool:
    """The receiver refused ``item``: keep it as a dead letter with its reason.

    Returns False (and queues a retry now) when the object changed since it was
    claimed: its newer state deserves its own chance.
    """
    cur = conn.execute(
        "UPDATE outbox SET dead = 1, attempts = attempts + 1, last_error = ?, "
        "claim_owner = NULL, lease_until = NULL WHERE key = ? AND version = ?",
        (error, item.key, item.version),
    )
    if cur.rowcount:
        return True
    retry(conn, item, owner, error, now)
    return False


def requeue_dead(
    conn: sqlite3.Connection, now: datetime, key: str | None = None
) -> int:
    """Give dead letters (all, or one key) a fresh start; return how many."""
    sql = "UPDATE outbox SET dead = 0, attempts = 0, due = ? WHERE dead = 1"
    args: list[str] = [iso(now)]
    if key is not None:
        sql += " AND key = ?"
        args.append(key)
    return conn.execute(sql, args).rowcount


def expedite(conn: sqlite3.Connection, now: datetime) -> int:
    """Make every row waiting after a failed attempt due now (the link is back)."""
    stamp = iso(now)
    return conn.execute(
        "UPDATE outbox SET due = ? WHERE dead = 0 AND attempts > 0 AND due > ?",
        (stamp, stamp),
    ).rowcount


def release_owner(conn: sqlite3.Connection, owner: str) -> int:
    """Drop every lease ``owner`` holds (a sender stopping cleanly)."""
    return conn.execute(
        "UPDATE outbox SET claim_owner = NULL, lease_until = NULL "
        "WHERE claim_owner = ?",
        (owner,),
    ).rowcount


def next_due(conn: sqlite3.Connection) -> str | None:
    """The earliest due time of a live row (ISO text), if any."""
    row = conn.execute("SELECT MIN(due) FROM outbox WHERE dead = 0").fetchone()
    return None if row is None or row[0] is None else str(row[0])


@dataclass(frozen=True)
class ModuleBacklog:
    """What is queued for one module."""

    module: str
    queued: int
    blocked: int
    """Queued but waiting for another row (its after_key or a prerequisite)."""
    dead: int
    oldest: str | None
    """Creation time of the oldest live row."""


@dataclass(frozen=True)
class OutboxStats:
    """The outbox at a glance, for ``edge sync status``."""

    modules: list[ModuleBacklog]
    oldest_key: str | None
    oldest_created: str | None
    last_error: tuple[str, str, str | None] | None
    """(key, error, time of the attempt) of the latest failed attempt."""
    dead_letters: list[OutboxItem]

    @property
    def live(self) -> int:
        """Rows still to deliver (dead letters excluded)."""
        return sum(m.queued for m in self.modules)


def stats(
    conn: sqlite3.Connection, prerequisites: Prerequisites | None = None
) -> OutboxStats:
    """Backlog by module, the oldest row, the last error and the dead letters."""
    ready, args = _ready(prerequisites or {})
    rows = conn.execute(
        "SELECT o.module, SUM(o.dead = 0), "
        f"SUM(o.dead = 0 AND NOT ({ready})), SUM(o.dead = 1), "
        "MIN(CASE WHEN o.dead = 0 THEN o.created END) "
        "FROM outbox o GROUP BY o.module ORDER BY o.module",
        args,
    ).fetchall()
    modules = [
        ModuleBacklog(str(m), int(q or 0), int(b or 0), int(d or 0), o)
        for m, q, b, d, o in rows
    ]
    oldest = conn.execute(
        "SELECT key, created FROM outbox WHERE dead = 0 ORDER BY created, seq LIMIT 1"
    ).fetchone()
    err = conn.execute(
        "SELECT key, last_error, last_attempt FROM outbox "
        "WHERE last_error IS NOT NULL ORDER BY last_attempt DESC, seq DESC LIMIT 1"
    ).fetchone()
    dead = [
        _item(r)
        for r in conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE dead = 1 ORDER BY seq"
        )
    ]
    return OutboxStats(
        modules,
        None if oldest is None else str(oldest[0]),
        None if oldest is None else str(oldest[1]),
        None if err is None else (str(err[0]), str(err[1]), err[2]),
        dead,
    )
