"""A session's own departure, as the price plan and the store both hold it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
