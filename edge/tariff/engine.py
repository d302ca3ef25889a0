"""Pure OCPI 2.2.1 tariff engine: a Tariff and charging periods in, costs out.

No IO and no clock: the caller gives the session end and the location's IANA time
zone. The rules, per OCPI 2.2.1 (``mod_tariffs``, ``mod_cdrs``):

* **Selection.** For each slice of a period (see :mod:`edge.tariff.periods`) and
  each dimension, the active component is the first, in list order, of the
  elements that hold a component of that dimension and whose restrictions all hold
  at the slice's start (:mod:`edge.tariff.restrictions`). No such element: that
  dimension costs nothing there. For an expired reservation, elements marked
  ``RESERVATION_EXPIRES`` come before those marked ``RESERVATION``.
* **FLAT** is billed once for the charging part of the session and once for its
  reservation part (the spec's reservation examples charge both fees), at the first
  slice of that part where a FLAT component is active. (Spec silent; our choice.)
* **step_size**, rounded up once per session per group: ENERGY (in Wh); TIME and
  PARKING_TIME together (in s); reservation TIME on its own (our choice: it is a
  separate cost field). The group's *last* priced part decides: its dimension's
  session total (of priced parts only) is rounded up to a multiple of its
  component's step size, and the extra is added to that last part at its price.
  So when parking follows charging only parking is rounded, and a free stretch at
  the end does not move the rounding off the last paid part. A step size of 0
  means no rounding. Totals within half a unit of the 4th OCPI decimal of a step
  boundary (0.18 s, 0.05 Wh) count as on it: 10 min sent as 0.1667 h bills 10 min.
* **VAT** per component: incl = excl * (1 + vat / 100); no ``vat`` means no VAT,
  so incl = excl.
* **min_price / max_price** clamp the total, excl and incl VAT independently (a
  bound without ``incl_vat`` bounds incl at its ``excl_vat``). Parts are not moved.
* Negative ENERGY (net export) is not billed. The tariff must be valid
  (``start_date_time``/``end_date_time``) at the session start.
* **Rounding**: all arithmetic in ``Decimal`` at full precision; only the reported
  Prices and totals are rounded, half-up, to ``decimals`` (default 4, the OCPI
  number precision). Round a bill to the currency's minor unit afterwards if your
  contract or law asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.ocpi import (
    ChargingPeriod,
    Price,
    PriceComponent,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffElement,
)
from edge.tariff.errors import TariffError
from edge.tariff.periods import Slice, measure_periods, split_slices
from edge.tariff.restrictions import Moment, Phase, restrictions_hold
from edge.tariff.result import (
    DEFAULT_DECIMALS,
    ZERO_MONEY,
    CostCategory,
    CostLine,
    Money,
    TariffCost,
    round_money,
)

T = TariffDimensionType
C = CostCategory
ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_UNIT = {T.ENERGY: Decimal(1000), T.TIME: Decimal(3600), T.PARKING_TIME: Decimal(3600)}
"""Step-size unit per dimension: Wh per kWh, seconds per hour."""
_TOLERANCE = {T.ENERGY: Decimal("0.05"), T.TIME: Decimal("0.18")}
_TOLERANCE[T.PARKING_TIME] = _TOLERANCE[T.TIME]


@dataclass
class _Part:
    group: str
    category: CostCategory
    dimension: TariffDimensionType
    element_index: int
    component: PriceComponent
    slice: Slice
    quantity: Decimal


def _zone(time_zone: str | ZoneInfo) -> ZoneInfo:
    if isinstance(time_zone, ZoneInfo):
        return time_zone
    try:
        return ZoneInfo(time_zone)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        msg = f"time zone {time_zone!r} is not an IANA time zone"
        raise TariffError(msg) from exc


def _check_validity(tariff: Tariff, session_start: datetime) -> None:
    if tariff.start_date_time is not None and session_start < tariff.start_date_time:
        msg = f"tariff {tariff.id} only becomes valid at {tariff.start_date_time}"
        raise TariffError(msg)
    if tariff.end_date_time is not None and session_start > tariff.end_date_time:
        msg = f"tariff {tariff.id} is no longer valid since {tariff.end_date_time}"
        raise TariffError(msg)


def _ordered(
    elements: list[TariffElement], phase: Phase
) -> list[tuple[int, TariffElement]]:
    indexed = list(enumerate(elements))
    if phase is not Phase.EXPIRED_RESERVATION:
        return indexed

    def expires_first(item: tuple[int, TariffElement]) -> bool:
        r = item[1].restrictions
        return (
            r is None
            or r.reservation is not ReservationRestrictionType.RESERVATION_EXPIRES
        )

    return sorted(indexed, key=expires_first)


def _first(
    active: list[tuple[int, TariffElement]], dimension: TariffDimensionType
) -> tuple[int, PriceComponent] | None:
    for index, element in active:
        for component in element.price_components:
            if component.type is dimension:
                return index, component
    return None


def _quantities(
    s: Slice,
) -> list[tuple[str, CostCategory, TariffDimensionType, Decimal]]:
    if s.reservation:
        return [("reservation", C.RESERVATION, T.TIME, s.reservation_h)]
    return [
        ("energy", C.ENERGY, T.ENERGY, max(s.energy_kwh, ZERO)),
        ("time", C.TIME, T.TIME, s.time_h),
        ("time", C.PARKING, T.PARKING_TIME, s.parking_h),
    ]


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta // timedelta(microseconds=1)) / Decimal(1_000_000)


def _select(
    tariff: Tariff, slices: list[Slice], zone: ZoneInfo, expired: bool
) -> tuple[list[_Part], list[CostLine]]:
    origins = {
        r: next((s.start for s in slices if s.reservation is r), None)
        for r in (True, False)
    }
    parts: list[_Part] = []
    flats: list[CostLine] = []
    flat_done: set[bool] = set()
    for s in slices:
        phase = Phase.CHARGING
        if s.reservation:
            phase = Phase.EXPIRED_RESERVATION if expired else Phase.RESERVATION
        origin = origins[s.reservation] or s.start
        moment = Moment(
            at=s.start,
            zone=zone,
            phase=phase,
            energy_kwh=s.energy_before_kwh,
            duration_s=_seconds(s.start - origin),
            current_low=s.current_low,
            current_high=s.current_high,
            power_low=s.power_low,
            power_high=s.power_high,
        )
        active = [
            (i, el)
            for i, el in _ordered(tariff.elements, phase)
            if restrictions_hold(el.restrictions, moment)
        ]
        for group, category, dimension, quantity in _quantities(s):
            found = _first(active, dimension) if quantity > 0 else None
            if found is not None:
                index, component = found
                parts.append(
                    _Part(group, category, dimension, index, component, s, quantity)
                )
        flat = None if s.reservation in flat_done else _first(active, T.FLAT)
        if flat is not None:
            flat_done.add(s.reservation)
            category = C.RESERVATION if s.reservation else C.FIXED
            flats.append(_line(category, T.FLAT, flat[0], flat[1], s, Decimal(1)))
    return parts, flats


def _apply_step_sizes(parts: list[_Part]) -> None:
    for group in ("energy", "time", "reservation"):
        members = [p for p in parts if p.group == group]
        if not members:
            continue
        last = members[-1]
        step = Decimal(last.component.step_size)
        if step == 0:
            continue
        unit = _UNIT[last.dimension]
        measured = sum(
            (p.quantity for p in members if p.dimension is last.dimension), ZERO
        )
        steps = (
            (measured * unit - _TOLERANCE[last.dimension]) / step
        ).to_integral_value(rounding=ROUND_CEILING)
        billed = max(steps, ZERO) * step / unit
        last.quantity = max(last.quantity + billed - measured, ZERO)


def _line(
    category: CostCategory,
    dimension: TariffDimensionType,
    element_index: int,
    component: PriceComponent,
    s: Slice,
    quantity: Decimal,
) -> CostLine:
    excl = quantity * component.price
    incl = excl if component.vat is None else excl * (1 + component.vat / _HUNDRED)
    return CostLine(
        category=category,
        dimension=dimension,
        element_index=element_index,
        period_index=s.index,
        start=s.start,
        quantity=quantity,
        unit_price=component.price,
        vat=component.vat,
        excl_vat=excl,
        incl_vat=incl,
    )


def _clamp(total: Money, low: Price | None, high: Price | None) -> Money:
    excl, incl = total.excl_vat, total.incl_vat
    if low is not None:
        excl = max(excl, low.excl_vat)
        incl = max(incl, low.excl_vat if low.incl_vat is None else low.incl_vat)
    if high is not None:
        excl = min(excl, high.excl_vat)
        incl = min(incl, high.excl_vat if high.incl_vat is None else high.incl_vat)
    return Money(excl, incl)


def compute_cost(
    tariff: Tariff,
    periods: Sequence[ChargingPeriod],
    *,
    end: datetime,
    time_zone: str | ZoneInfo,
    start: datetime | None = None,
    reservation_expired: bool | None = None,
    decimals: int = DEFAULT_DECIMALS,
) -> TariffCost:
    """Price a session's charging periods under *tariff*.

    *end* is the session end (the last period runs until it), *time_zone* the
    location's IANA zone, *start* the session start for the tariff's validity
    check (default: the first period's start). *reservation_expired* says whether
    reservation time ended without charging; by default it did when the periods
    hold reservation time and nothing else. Raises :class:`TariffError`.
    """
    zone = _zone(time_zone)
    if end.tzinfo is None:
        msg = "naive datetime; give a timezone-aware one"
        raise TariffError(msg, field="end_date_time")
    measured = measure_periods(periods, end)
    _check_validity(tariff, measured[0].start if start is None else start)
    restrictions = [e.restrictions for e in tariff.elements if e.restrictions]
    slices = split_slices(measured, restrictions, zone)
    has_reservation = any(s.reservation for s in measured)
    if reservation_expired is None:
        reservation_expired = has_reservation and all(s.reservation for s in measured)
    parts, flats = _select(tariff, slices, zone, reservation_expired)
    _apply_step_sizes(parts)
    lines = flats + [
        _line(
            p.category, p.dimension, p.element_index, p.component, p.slice, p.quantity
        )
        for p in parts
    ]
    lines.sort(key=lambda line: line.start)
    by_category = {c: ZERO_MONEY for c in C}
    for line in lines:
        by_category[line.category] += Money(line.excl_vat, line.incl_vat)
    total = sum(by_category.values(), ZERO_MONEY)
    charging = [s for s in measured if not s.reservation]
    return TariffCost(
        total_cost=_clamp(total, tariff.min_price, tariff.max_price).price(decimals),
        total_fixed_cost=by_category[C.FIXED].price(decimals),
        total_energy_cost=by_category[C.ENERGY].price(decimals),
        total_time_cost=by_category[C.TIME].price(decimals),
        total_parking_cost=by_category[C.PARKING].price(decimals),
        total_reservation_cost=by_category[C.RESERVATION].price(decimals),
        total_energy=round_money(sum((s.energy_kwh for s in charging), ZERO), decimals),
        total_time=round_money(
            sum((s.time_h + s.parking_h for s in charging), ZERO), decimals
        ),
        total_parking_time=round_money(
            sum((s.parking_h for s in charging), ZERO), decimals
        ),
        has_reservation=has_reservation,
        lines=tuple(lines),
        unclamped_total=total,
    )
