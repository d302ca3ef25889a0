"""A charging session as the domain sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SessionStatus(StrEnum):
    """Lifecycle of a stored session (OCPI SessionStatus subset)."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"


@dataclass(frozen=True)
class Session:
    """A session with its meter values in integer Wh."""

    id: str
    evse_uid: str
    token_uid: str | None
    token_type: str | None
    contract_id: str | None
    auth_method: str
    auth_reason: str
    status: SessionStatus
    start: datetime
    end: datetime | None
    meter_start_wh: int
    meter_last_wh: int
    meter_stop_wh: int | None
    stop_reason: str | None
    last_updated: datetime
    group_id: str | None = None

    @property
    def energy_wh(self) -> int:
        """Energy delivered so far (or in total, once stopped)."""
        last = (
            self.meter_stop_wh if self.meter_stop_wh is not None else self.meter_last_wh
        )
        return max(0, last - self.meter_start_wh)
