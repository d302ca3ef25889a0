"""A session's own departure: set through the local API or OCPI ChargingPreferences.

A ``[[load.evse]]`` ``departure`` is every session's (a time of day). A driver
may tell one session its own (:class:`~edge.model.departure.SessionDeparture`):
a moment, and optionally the energy it wants (else the EVSE's ``energy_wh``),
or "as fast as the fuses allow". It holds for that session only (a new session
on the EVSE starts from the site file again). It is kept in a :class:`Book` (the
store: :class:`edge.store.departures.StoredDepartures`): written, and synced,
before the API or OCPI answers that it is accepted, read again at start for the
sessions still open, and deleted with its session when that ends (also when it
ended while the controller was down), so a restart or a power cut does not
forget it. It only moves when a car charges; the fuse limits apply to whatever
the plan says.

:class:`DepartureRefused` says why one cannot be set, as a :class:`Refusal` the
API and OCPI answers map to their own codes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from edge.model.departure import SessionDeparture

MAX_AHEAD_S = 7 * 86_400.0
"""A departure further ahead is refused (a week; prices reach a day or two)."""


class Book(Protocol):
    """Where the sessions' own departures are kept across restarts."""

    async def keep(self, own: SessionDeparture, now: datetime) -> bool:
        """Keep ``own`` (durably, once this returns); False: its session has ended."""
        ...

    async def drop(self, session_id: str) -> None:
        """Forget the departure of ``session_id`` (if it had one)."""
        ...

    async def open(self) -> dict[str, SessionDeparture]:
        """Per EVSE uid: the departure kept for the session still open on it."""
        ...


class Refusal(StrEnum):
    """Why a departure was not set."""

    NOT_PLANNED = "not_planned"
    """The EVSE is not planned by price (no [load.prices], not in [load], or a
    surplus mode)."""
    NO_SESSION = "no_session"
    """No session runs on the EVSE (or not the one named)."""
    NOT_POSSIBLE = "not_possible"
    """The departure has passed or is too far ahead."""
    ENERGY_NEEDED = "energy_needed"
    """No energy given and none in the EVSE's ``[[load.evse]]``."""


class DepartureRefused(Exception):
    """A departure that cannot be set; ``reason`` names what is wrong."""

    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal
        self.reason = reason
