"""From OCPI charging periods to homogeneous slices the engine can price.

A charging period runs from its ``start_date_time`` to the next period's start (the
last one to the session end). The spec obliges the CPO to start a new period at
every cost-relevant change; to price CDRs that do not, a period is also split
wherever a restriction of the tariff may flip inside it (a local time of day, a
local midnight, a duration bound, a kWh bound). Its volumes are shared out in
proportion to wall-clock time (energy linearly, as the spec allows the CPO to
interpolate), so splitting a well-formed CDR changes nothing.

A period with a RESERVATION_TIME dimension is reservation time. A charging period
without TIME and PARKING_TIME dimensions is taken as charging time if it carries
energy and as parking time otherwise, for its wall-clock length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from edge.ocpi import CdrDimensionType, ChargingPeriod, TariffRestrictions
from edge.tariff.errors import TariffError
from edge.tariff.restrictions import duration_instants, kwh_thresholds, local_instants

D = CdrDimensionType
ZERO = Decimal(0)
SECONDS_PER_HOUR = Decimal(3600)
_MICROS = Decimal(1_000_000)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Slice:
    """A stretch of one period in which no restriction changes."""

    index: int
    """Index of the charging period it comes from."""
    start: datetime
    end: datetime
    reservation: bool
    energy_kwh: Decimal
    time_h: Decimal
    parking_h: Decimal
    reservation_h: Decimal
    energy_before_kwh: Decimal
    current_low: Decimal | None
    current_high: Decimal | None
    power_low: Decimal | None
    power_high: Decimal | None


def _micros(delta: timedelta) -> Decimal:
    """A duration in whole microseconds, exactly."""
    return Decimal(delta // _MICROSECOND)


def _hours(delta: timedelta) -> Decimal:
    return _micros(delta) / _MICROS / SECONDS_PER_HOUR


def _bounds(
    values: dict[D, Decimal], low: D, avg: D, high: D
) -> tuple[Decimal | None, Decimal | None]:
    lo = values.get(low, values.get(avg, values.get(high)))
    hi = values.get(high, values.get(avg, values.get(low)))
    return lo, hi


def _measure(
    index: int, period: ChargingPeriod, end: datetime, energy_before: Decimal
) -> Slice:
    values: dict[D, Decimal] = {}
    for dimension in period.dimensions:
        if dimension.type in values:
            msg = f"dimension {dimension.type} given twice"
            raise TariffError(msg, field=f"charging_periods[{index}].dimensions")
        values[dimension.type] = dimension.volume
    for kind in (D.TIME, D.PARKING_TIME, D.RESERVATION_TIME):
        if values.get(kind, ZERO) < 0:
            msg = f"{kind} volume is negative"
            raise TariffError(msg, field=f"charging_periods[{index}].dimensions")
    reservation = D.RESERVATION_TIME in values
    energy = ZERO if reservation else values.get(D.ENERGY, ZERO)
    time_h, parking_h = values.get(D.TIME, ZERO), values.get(D.PARKING_TIME, ZERO)
    if not reservation and D.TIME not in values and D.PARKING_TIME not in values:
        wall = _hours(end - period.start_date_time)
        time_h, parking_h = (wall, ZERO) if energy > 0 else (ZERO, wall)
    current = _bounds(values, D.MIN_CURRENT, D.CURRENT, D.MAX_CURRENT)
    power = _bounds(values, D.MIN_POWER, D.POWER, D.MAX_POWER)
    if power == (None, None) and time_h > 0 and D.ENERGY in values:
        power = (energy / time_h, energy / time_h)
    return Slice(
        index=index,
        start=period.start_date_time,
        end=end,
        reservation=reservation,
        energy_kwh=energy,
        time_h=ZERO if reservation else time_h,
        parking_h=ZERO if reservation else parking_h,
        reservation_h=values.get(D.RESERVATION_TIME, ZERO),
        energy_before_kwh=energy_before,
        current_low=current[0],
        current_high=current[1],
        power_low=power[0],
        power_high=power[1],
    )


def measure_periods(periods: Sequence[ChargingPeriod], end: datetime) -> list[Slice]:
    """Check the periods' order and read each one's volumes into a slice."""
    if not periods:
        msg = "at least one period is needed"
        raise TariffError(msg, field="charging_periods")
    out: list[Slice] = []
    energy = ZERO
    for index, period in enumerate(periods):
        if index + 1 < len(periods):
            period_end = periods[index + 1].start_date_time
            what = "the next period's start_date_time"
        else:
            period_end, what = end, "the session end"
        if period_end < period.start_date_time or (
            index + 1 < len(periods) and period_end == period.start_date_time
        ):
            msg = f"not before {what}"
            raise TariffError(msg, field=f"charging_periods[{index}].start_date_time")
        measured = _measure(index, period, period_end, energy)
        if out and out[-1].reservation is False and measured.reservation:
            msg = "reservation time after charging began"
            raise TariffError(msg, field=f"charging_periods[{index}]")
        out.append(measured)
        energy += measured.energy_kwh
    return out


def _cuts(
    s: Slice, instants: set[datetime], kwh: set[Decimal]
) -> list[tuple[Decimal, Decimal]]:
    """Split points as (share of the period, energy charged before that point).

    At a kWh bound the energy before is the bound itself, exactly, so that the
    bound's ``min_kwh``/``max_kwh`` test is not upset by rounding of the share.
    """
    length = _micros(s.end - s.start)
    found: dict[Decimal, Decimal] = {}
    for instant in instants:
        share = _micros(instant - s.start) / length
        found[share] = s.energy_before_kwh + s.energy_kwh * share
    if s.energy_kwh != 0:
        for bound in kwh:
            share = (bound - s.energy_before_kwh) / s.energy_kwh
            if 0 < share < 1:
                found[share] = bound
    return sorted(found.items())


def _piece(s: Slice, lo: Decimal, hi: Decimal, before: Decimal) -> Slice:
    share = hi - lo
    length = _micros(s.end - s.start)
    offset = timedelta(microseconds=int((length * lo).to_integral_value()))
    return replace(
        s,
        start=s.start + offset,
        energy_kwh=s.energy_kwh * share,
        time_h=s.time_h * share,
        parking_h=s.parking_h * share,
        reservation_h=s.reservation_h * share,
        energy_before_kwh=before,
    )


def split_slices(
    slices: list[Slice], restrictions: list[TariffRestrictions], zone: ZoneInfo
) -> list[Slice]:
    """Split each slice wherever a restriction may change its outcome inside it."""
    charge_start = next((s.start for s in slices if not s.reservation), None)
    reserve_start = next((s.start for s in slices if s.reservation), None)
    kwh = kwh_thresholds(restrictions)
    out: list[Slice] = []
    for s in slices:
        if s.end > s.start:
            origin = reserve_start if s.reservation else charge_start
            out.extend(_split(s, restrictions, zone, origin, kwh))
        else:  # the last period, starting at the session end: nothing to split
            out.append(s)
    return out


def _split(
    s: Slice,
    restrictions: list[TariffRestrictions],
    zone: ZoneInfo,
    origin: datetime | None,
    kwh: set[Decimal],
) -> list[Slice]:
    """The pieces of one slice between its split points (from ``origin``: durations)."""
    instants = local_instants(restrictions, s.start, s.end, zone)
    if origin is not None:
        instants |= duration_instants(restrictions, origin, s.start, s.end)
    # The last cut is the slice's end; its energy-before is never read.
    cuts = [(ZERO, s.energy_before_kwh), *_cuts(s, instants, kwh), (Decimal(1), ZERO)]
    pieces = [_piece(s, lo, hi, before) for (lo, before), (hi, _) in pairwise(cuts)]
    # A piece ends where the next starts; the last one, as the slice, at its end.
    return [*(replace(p, end=nxt.start) for p, nxt in pairwise(pieces)), pieces[-1]]
