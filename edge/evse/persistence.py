"""Persistence: one step's actions as one store transaction.

Every action that changes what the store holds maps to one repository call
(:func:`store_write`); a step's writes run in one transaction
(:func:`commit`). A step that only checkpoints or changes status is held for
group commit (:data:`HOLD_S`); every other step is on disk before
:func:`commit` returns, so a session exists before its contactor closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from edge.evse.actions import (
    Action,
    Checkpoint,
    DropReservation,
    EnableConfirmed,
    HoldReservation,
    NewPeriod,
    SetStatus,
    StartSession,
    StopSession,
)
from edge.model.clock import Clock
from edge.model.session import Session, SessionStatus
from edge.store import evse_status
from edge.store import reservations as reservations_repo
from edge.store import sessions as repo
from edge.store.db import Database, StoreHandle, transaction

Write = Callable[[StoreHandle], object]

HOLD_S = 10.0
"""Site seconds a step that only checkpoints or changes status may wait on disk.

Checkpoints fall on site-wide boundaries, so every EVSE's checkpoint (and any
status change) within this window shares one synced commit: fewer flash writes.
A power cut inside the window loses at most that checkpoint or status, never a
session start, stop or period (those steps are committed before they act).
"""
DEFERRABLE = (Checkpoint, SetStatus)


def new_session(a: StartSession, evse_uid: str) -> Session:
    """The stored session a :class:`StartSession` opens."""
    return Session(
        id=a.session_id,
        evse_uid=evse_uid,
        token_uid=a.token_uid,
        token_type=a.token_type,
        contract_id=a.contract_id,
        auth_method=a.auth_method,
        auth_reason=a.auth_reason,
        status=SessionStatus.ACTIVE,
        start=a.start,
        end=None,
        meter_start_wh=a.meter_start_wh,
        meter_last_wh=a.meter_start_wh,
        meter_stop_wh=None,
        stop_reason=None,
        last_updated=a.start,
        group_id=a.group_id,
    )


def store_write(action: Action, evse_uid: str, now: datetime) -> Write | None:
    """The store write an action needs, if any (``now``: site UTC)."""
    match action:
        case StartSession():
            session = new_session(action, evse_uid)
            extras = repo.SessionExtras(
                action.authorization_reference,
                action.token_country_code,
                action.token_party_id,
            )
            period = action.period
            return lambda db: repo.start_session(db, session, period, extras)
        case Checkpoint(session_id=sid, meter_wh=wh, period=open_period):
            return lambda db: repo.checkpoint(db, sid, wh, now, open_period)
        case NewPeriod(session_id=sid, closed=closed, opened=opened, meter_wh=wh):
            return lambda db: repo.new_period(db, sid, closed, opened, wh, now)
        case StopSession(
            session_id=sid, meter_stop_wh=wh, end=end, reason=stop, final_period=last
        ):
            return lambda db: repo.stop_session(db, sid, wh, end, stop, last)
        case SetStatus(status=status, reason=cause):
            return lambda db: evse_status.set_evse_status(
                db, evse_uid, status.value, cause, now
            )
        case EnableConfirmed(session_id=sid):
            return lambda db: repo.confirm_board_enabled(db, sid)
        case HoldReservation(
            reservation_id=rid,
            token=token,
            expiry=expiry,
            authorization_reference=ref,
        ):
            return lambda db: reservations_repo.hold(
                db, evse_uid, rid, token, expiry, ref, now
            )
        case DropReservation(reservation_id=rid):
            return lambda db: reservations_repo.drop(db, rid)
        case _:
            return None


async def commit(
    db: Database, clock: Clock, evse_uid: str, actions: Sequence[Action]
) -> asyncio.Future[None] | None:
    """Write one step's actions in one transaction.

    Returns the held write's future when the step was held for group commit;
    None when there was nothing to write or it is on disk already.
    """
    now = clock.utcnow()
    writes = [w for a in actions if (w := store_write(a, evse_uid, now)) is not None]
    if not writes:
        return None

    def run_all(h: StoreHandle) -> None:
        with transaction(h):
            for write in writes:
                write(h)

    if all(isinstance(a, DEFERRABLE) for a in actions):
        return db.write_later(run_all, clock.to_wall(HOLD_S))
    await db.run(run_all)
    return None
