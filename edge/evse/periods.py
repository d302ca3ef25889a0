"""Cutting a session into periods: pure, driven by the state machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from edge.model.period import ClosedPeriod, OpenPeriod, PeriodKind


def advance(
    period: OpenPeriod,
    drawing: bool,
    now: float,
    utc: datetime,
    meter_wh: int,
    hold_s: float,
) -> tuple[OpenPeriod, ClosedPeriod | None]:
    """Account the EV's present behaviour; cut the period once a switch has held."""
    doing = PeriodKind.CHARGING if drawing else PeriodKind.PARKING
    if doing is period.kind:
        if period.switch_to is None:
            return period, None
        return replace(
            period, switch_to=None, switch_since=None, switch_utc=None, switch_wh=None
        ), None
    if period.switch_to is not doing or period.switch_since is None:
        return replace(
            period,
            switch_to=doing,
            switch_since=now,
            switch_utc=utc,
            switch_wh=meter_wh,
        ), None
    if now - period.switch_since < hold_s:
        return period, None
    cut_utc = period.switch_utc or utc
    cut_wh = period.switch_wh if period.switch_wh is not None else meter_wh
    closed = period.close(cut_utc, cut_wh)
    return OpenPeriod(period.seq + 1, cut_utc, doing, cut_wh), closed
