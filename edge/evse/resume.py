"""Resume from the store: the session and reservation an EVSE held before a restart."""

from __future__ import annotations

from dataclasses import dataclass

from edge.evse.machine_state import ActiveSession, Reservation
from edge.store import reservations as reservations_repo
from edge.store import sessions as repo
from edge.store.db import Database, StoreHandle


@dataclass(frozen=True)
class Resumed:
    """What the store still holds for one EVSE."""

    session: ActiveSession | None
    reservation: Reservation | None
    last_wh: int | None
    """The resumed session's last stored meter reading (None: no session)."""


async def load(db: Database, evse_uid: str, now: float) -> Resumed:
    """The active session and held reservation of ``evse_uid`` (``now``: monotonic)."""

    def read(h: StoreHandle) -> Resumed:
        held = reservations_repo.held_by(h, evse_uid)
        reservation = (
            None
            if held is None
            else Reservation(
                held.id, held.token, held.expiry, held.authorization_reference
            )
        )
        s = repo.active_session_for(h, evse_uid)
        if s is None:
            return Resumed(None, reservation, None)
        session = ActiveSession(
            s.id,
            s.meter_start_wh,
            s.token_uid,
            s.group_id,
            0.0,  # the next checkpoint boundary, once running
            now,
            repo.open_period(h, s.id),
            enable_confirmed=repo.board_enabled(h, s.id),
            start_utc=s.start,
        )
        return Resumed(session, reservation, s.meter_last_wh)

    return await db.run(read)
