"""Charging periods: what a session did, period by period.

A session is cut into periods whenever the EV switches between drawing energy
(CHARGING) and not drawing it while still plugged in and offered current
(PARKING: full, or paused by the EV). The EVSE's own pause (a 0 A limit from
load management, a relay that did not close, a fault) is not parking: OCPI's
PARKING_TIME is time the EV does not ask for power. A switch counts once it
has held for ``hold_s``, so that a short dip does not cut a period. Each
period keeps its meter reading at start and its min/max current and power:
the OCPI CdrDimensions ENERGY, TIME or PARKING_TIME, MIN/MAX_CURRENT and
MIN/MAX_POWER are built from them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class PeriodKind(StrEnum):
    """What the EV was doing during a period."""

    CHARGING = "CHARGING"
    PARKING = "PARKING"


def _lo(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)


def _hi(a: float | None, b: float) -> float:
    return b if a is None else max(a, b)


@dataclass(frozen=True)
class OpenPeriod:
    """The period in progress."""

    seq: int
    start: datetime
    kind: PeriodKind
    meter_start_wh: int
    max_current_a: float | None = None
    min_current_a: float | None = None
    max_power_w: float | None = None
    min_power_w: float | None = None
    switch_to: PeriodKind | None = None
    switch_since: float | None = None
    """Monotonic site time since which the EV has been doing ``switch_to``."""
    switch_utc: datetime | None = None
    switch_wh: int | None = None
    """When and at which meter reading the switch began (where the cut goes)."""
    switch_seen: float | None = None
    """Monotonic site time the switch was last seen (it holds only while watched)."""

    def observe(self, current_a: float | None, power_w: float) -> OpenPeriod:
        """Fold one meter reading into the period's minima and maxima."""
        p = replace(
            self,
            max_power_w=_hi(self.max_power_w, power_w),
            min_power_w=_lo(self.min_power_w, power_w),
        )
        if current_a is not None:
            p = replace(
                p,
                max_current_a=_hi(self.max_current_a, current_a),
                min_current_a=_lo(self.min_current_a, current_a),
            )
        return p

    def close(self, end: datetime, meter_wh: int) -> ClosedPeriod:
        """The finished period, with the energy it took."""
        return ClosedPeriod(
            seq=self.seq,
            start=self.start,
            end=end,
            kind=self.kind,
            energy_wh=max(0, meter_wh - self.meter_start_wh),
            max_current_a=self.max_current_a,
            min_current_a=self.min_current_a,
            max_power_w=self.max_power_w,
            min_power_w=self.min_power_w,
        )


@dataclass(frozen=True)
class ClosedPeriod:
    """A finished period (one OCPI ChargingPeriod)."""

    seq: int
    start: datetime
    end: datetime
    kind: PeriodKind
    energy_wh: int
    max_current_a: float | None
    min_current_a: float | None
    max_power_w: float | None
    min_power_w: float | None
