"""A session's own departure: set through the local API or OCPI ChargingPreferences.

A ``[[load.evse]]`` ``departure`` is every session's (a time of day). A driver
may tell one session its own: a moment, and optionally the energy it wants (else
the EVSE's ``energy_wh``). It holds for that session only (a new session on the
EVSE starts from the site file again) and is kept in memory (a restart forgets
it: the session then charges by the site file, or as ``fast``). It only moves
when a car charges; the fuse limits apply to whatever the plan says.

:class:`DepartureRefused` says why one cannot be set, as a :class:`Refusal` the
API and OCPI answers map to their own codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_AHEAD_S = 7 * 86_400.0
"""A departure further ahead is refused (a week; prices reach a day or two)."""


class Source(StrEnum):
    """Who set a session's departure."""

    API = "api"
    OCPI = "ocpi"


@dataclass(frozen=True)
class SessionDeparture:
    """One session's departure, and the energy it wants by then (None: the EVSE's)."""

    session_id: str
    departure: datetime | None
    """None: no plan, as fast as the fuses allow (OCPI profile FAST)."""
    energy_wh: int | None
    source: Source


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
