"""What became of a claimed row, committed to the outbox and the receiver state.

:class:`Ack` (delivered: a deleted object is forgotten, any other recorded as
sent), :class:`Retry` (due again at ``due``), :class:`Dead` (a dead letter with
the receiver's reason) or :class:`Release` (given back unsent: the link went
down). The drain collects outcomes and commits them in batches, on the database
thread (:func:`commit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edge.store import outbox
from edge.store.db import StoreHandle, transaction
from edge.store.ocpi_state import forget, mark_sent
from edge.uplink.ocpi.client import Method
from edge.uplink.ocpi.push.planner import PushRequest, Send


@dataclass(frozen=True)
class Ack:
    """Delivered by ``sent`` (the planned request or its fallback)."""

    plan: Send
    sent: PushRequest


@dataclass(frozen=True)
class Retry:
    """Not delivered (``reason``); due again at ``due``."""

    plan: Send
    reason: str
    due: datetime


@dataclass(frozen=True)
class Dead:
    """Rejected by the receiver (``reason``): a dead letter."""

    plan: Send
    reason: str


@dataclass(frozen=True)
class Release:
    """Given back unsent (the link went down); due again at ``due``."""

    plan: Send
    due: datetime


Outcome = Ack | Retry | Dead | Release


def commit(
    db: StoreHandle,
    owner: str,
    outcomes: Sequence[Outcome],
    now: datetime,
    expedite: bool,
) -> None:
    """Apply ``outcomes`` of rows leased to ``owner`` in one transaction.

    ``expedite``: the link is back, every waiting row is due now.
    """
    with transaction(db) as conn:
        for o in outcomes:
            item = o.plan.item
            match o:
                case Ack(sent=sent):
                    outbox.ack(conn, item, owner, now)
                    if sent.method is Method.DELETE:
                        forget(conn, item.key)
                    else:
                        mark_sent(conn, item.key, now, created=sent.creates)
                case Retry(reason=reason, due=due):
                    outbox.retry(conn, item, owner, reason, due)
                case Release(due=due):
                    outbox.defer(conn, item, owner, due)
                case Dead(reason=reason):
                    outbox.dead_letter(conn, item, owner, reason, now)
        if expedite:
            outbox.expedite(conn, now)


def release_all(db: StoreHandle, owner: str) -> None:
    """Give back every lease ``owner`` holds."""
    with transaction(db) as conn:
        outbox.release_owner(conn, owner)
