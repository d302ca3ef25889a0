"""TariffRestrictions: when is a tariff element active, and where can that change.

Semantics (OCPI 2.2.1 ``TariffRestrictions``; times and dates in the location's
local time):

* ``start_time`` inclusive, ``end_time`` exclusive; ``end_time < start_time`` wraps
  past midnight; ``end_time`` ``00:00`` is the end of the day; equal start and end
  cover the whole day.
* ``start_date`` inclusive, ``end_date`` exclusive; ``day_of_week`` is the local
  weekday of the moment evaluated (so 23:30 Friday to 01:00 Saturday changes day).
* ``min_*`` inclusive, ``max_*`` exclusive. kWh is the energy charged so far in
  the session; duration is counted from the start of charging (of the reservation,
  for reservation periods).
* Current and power are per charging period: ``min_current``/``min_power`` hold
  when the lowest known value (MIN_*, else the average, else MAX_*) reaches the
  bound; ``max_*`` hold when the highest known value (MAX_*, else average, else
  MIN_*) stays below it. Without any value the restriction does not hold, except
  power, which falls back to the period's average (energy / charging time).
* ``reservation``: absent means the element prices charging, never reservation
  time; ``RESERVATION`` matches reservation time (also of a reservation that
  expired); ``RESERVATION_EXPIRES`` matches only a reservation that expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from edge.ocpi import (
    DayOfWeek,
    ReservationRestrictionType,
    TariffRestrictions,
)

_WEEKDAYS = tuple(DayOfWeek)
"""Index 0 is MONDAY, as ``date.weekday()`` counts."""
_MIDNIGHT = time()


class Phase(StrEnum):
    """What a moment of the session is: charging, reservation, expired reservation."""

    CHARGING = "CHARGING"
    RESERVATION = "RESERVATION"
    EXPIRED_RESERVATION = "EXPIRED_RESERVATION"


@dataclass(frozen=True)
class Moment:
    """Everything a restriction can look at, at the start of a slice of a period."""

    at: datetime
    """The instant (aware); converted to local time for time/date restrictions."""
    zone: ZoneInfo
    phase: Phase
    energy_kwh: Decimal
    """Energy charged so far in the session, before this instant."""
    duration_s: Decimal
    """Seconds since charging (or the reservation) started."""
    current_low: Decimal | None = None
    current_high: Decimal | None = None
    power_low: Decimal | None = None
    power_high: Decimal | None = None


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _in_window(now: time, start: str | None, end: str | None) -> bool:
    """Whether ``now`` is in [start, end), either bound absent meaning midnight.

    An end at or before the start wraps past midnight; so an end of ``00:00``
    (or none) is the end of the day, and equal bounds (or none) are the whole day.
    """
    begin = _hhmm(start) if start is not None else _MIDNIGHT
    finish = _hhmm(end) if end is not None else _MIDNIGHT
    if begin < finish:
        return begin <= now < finish
    return now >= begin or now < finish


def phase_matches(reservation: ReservationRestrictionType | None, phase: Phase) -> bool:
    """Whether an element's ``reservation`` restriction fits the session phase."""
    if reservation is None:
        return phase is Phase.CHARGING
    if reservation is ReservationRestrictionType.RESERVATION:
        return phase is not Phase.CHARGING
    return phase is Phase.EXPIRED_RESERVATION


def _lower_bound_holds(value: Decimal | None, bound: Decimal | None) -> bool:
    return bound is None or (value is not None and value >= bound)


def _upper_bound_holds(value: Decimal | None, bound: Decimal | None) -> bool:
    return bound is None or (value is not None and value < bound)


def restrictions_hold(r: TariffRestrictions | None, m: Moment) -> bool:
    """Whether every restriction set in *r* holds at moment *m* (AND)."""
    if r is None:
        return phase_matches(None, m.phase)
    if not phase_matches(r.reservation, m.phase):
        return False
    local = m.at.astimezone(m.zone)
    today = local.date()
    checks = (
        _in_window(local.time(), r.start_time, r.end_time),
        r.start_date is None or today >= date.fromisoformat(r.start_date),
        r.end_date is None or today < date.fromisoformat(r.end_date),
        not r.day_of_week or _WEEKDAYS[today.weekday()] in r.day_of_week,
        _lower_bound_holds(m.energy_kwh, r.min_kwh),
        _upper_bound_holds(m.energy_kwh, r.max_kwh),
        _lower_bound_holds(m.current_low, r.min_current),
        _upper_bound_holds(m.current_high, r.max_current),
        _lower_bound_holds(m.power_low, r.min_power),
        _upper_bound_holds(m.power_high, r.max_power),
        r.min_duration is None or m.duration_s >= r.min_duration,
        r.max_duration is None or m.duration_s < r.max_duration,
    )
    return all(checks)


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> set[datetime]:
    """UTC instants in (start, end) where the zone's UTC offset changes (DST)."""
    found: set[datetime] = set()
    probe = timedelta(hours=6)
    lo = start
    while lo < end:
        hi = min(lo + probe, end)
        before = lo.astimezone(zone).utcoffset()
        if before != hi.astimezone(zone).utcoffset():
            a, b = lo, hi
            while b - a > timedelta(microseconds=1):
                mid = a + (b - a) // 2
                if mid.astimezone(zone).utcoffset() == before:
                    a = mid
                else:
                    b = mid
            if b < end:  # b > lo >= start
                found.add(b)
        lo = hi
    return found


def local_instants(
    restrictions: list[TariffRestrictions],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> set[datetime]:
    """UTC instants strictly inside (start, end) where a time/date rule may flip.

    These are every ``start_time``/``end_time`` and, when any restriction looks
    at the time of day, date or weekday, every local midnight. Both readings of an
    ambiguous or skipped local time (DST) are included, and so is every DST change
    itself (a window starting in the skipped hour opens when the clock jumps). An
    extra split point costs nothing.
    """
    clock_times = {t for r in restrictions for t in (r.start_time, r.end_time) if t}
    if clock_times or any(
        r.day_of_week or r.start_date or r.end_date for r in restrictions
    ):
        clock_times.add("00:00")  # a window without end, or wrapping, flips here
    if not clock_times:
        return set()
    found = _offset_changes(zone, start, end)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        for text in clock_times:
            for fold in (0, 1):
                wall = datetime.combine(day, _hhmm(text), tzinfo=zone)
                instant = wall.replace(fold=fold).astimezone(UTC)
                if start < instant < end:
                    found.add(instant)
        day += timedelta(days=1)
    return found


def duration_instants(
    restrictions: list[TariffRestrictions],
    origin: datetime,
    start: datetime,
    end: datetime,
) -> set[datetime]:
    """Instants inside (start, end) where a min/max_duration bound is reached."""
    seconds = {
        s
        for r in restrictions
        for s in (r.min_duration, r.max_duration)
        if s is not None
    }
    instants = {origin + timedelta(seconds=s) for s in seconds}
    return {i for i in instants if start < i < end}


def kwh_thresholds(restrictions: list[TariffRestrictions]) -> set[Decimal]:
    """Every min_kwh/max_kwh bound (a period is split where energy crosses one)."""
    return {v for r in restrictions for v in (r.min_kwh, r.max_kwh) if v is not None}
