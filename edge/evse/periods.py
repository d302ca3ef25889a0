"""Cutting a session into periods: pure, driven by the state machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from edge.model.period import ClosedPeriod, OpenPeriod, PeriodKind


def interrupt(period: OpenPeriod) -> OpenPeriod:
    """Forget a switch the EV had begun: what it did next was not seen."""
    if period.switch_to is None:
        return period
    return replace(
        period,
        switch_to=None,
        switch_since=None,
        switch_utc=None,
        switch_wh=None,
        switch_seen=None,
    )


def advance(
    period: OpenPeriod,
    drawing: bool,
    now: float,
    utc: datetime,
    meter_wh: int,
    hold_s: float,
    max_gap_s: float | None = None,
) -> tuple[OpenPeriod, ClosedPeriod | None]:
    """Account the EV's present behaviour; cut the period once a switch has held.

    With ``max_gap_s``, a switch holds only while it is watched: if more than
    that passed since it was last seen (the machine does not look at the EV
    while the EVSE is faulted, for instance on stale polls), it begins again
    from here. A hold counted across blind time cut a parking period where the
    switch began although the EV charged in between (energy billed as parking).
    """
    doing = PeriodKind.CHARGING if drawing else PeriodKind.PARKING
    if doing is period.kind:
        return interrupt(period), None
    blind = (
        max_gap_s is not None
        and period.switch_seen is not None
        and now - period.switch_seen > max_gap_s
    )
    if period.switch_to is not doing or period.switch_since is None or blind:
        return replace(
            period,
            switch_to=doing,
            switch_since=now,
            switch_utc=utc,
            switch_wh=meter_wh,
            switch_seen=now,
        ), None
    if now - period.switch_since < hold_s:
        return replace(period, switch_seen=now), None
    cut_utc = period.switch_utc or utc
    cut_wh = period.switch_wh if period.switch_wh is not None else meter_wh
    closed = period.close(cut_utc, cut_wh)
    return OpenPeriod(period.seq + 1, cut_utc, doing, cut_wh), closed
