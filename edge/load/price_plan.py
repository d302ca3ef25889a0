"""Charging in the cheapest hours before departure: a plan per session, as a cap.

Pure. A session with a departure time and the energy it still wants is planned
over the priced intervals between now and its departure: the cheapest ones
(the earlier of equal prices first) until the energy the car can take in them
at its full power covers what it wants; the dearest of them, needed only in
part, is used at its end. In a chosen interval the car charges as fast as the
fuses allow (no cap); outside them it waits (a cap of 0 A). The
plan is made again at every allocation from the energy still wanted, so an
interval that delivered less than planned (a fuse, the house) is made up by
the next cheapest ones.

No plan (the car charges as ``fast``), with the reason: the prices do not
cover every interval up to the departure, the departure has passed, or even
every interval at full power would not deliver the energy (then every one is
needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.load.allocator import Cap, Why

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Price:
    """The price of energy from ``start`` for ``length`` (any currency per kWh)."""

    start: datetime
    price: float
    length: timedelta = HOUR

    @property
    def end(self) -> datetime:
        """When the next price applies."""
        return self.start + self.length


@dataclass(frozen=True)
class Need:
    """What a session wants: energy by its departure, at most ``power_w``."""

    energy_wh: float
    departure: datetime
    power_w: float
    """What the car can take at most (its EVSE's maximum on its phases)."""


@dataclass(frozen=True)
class ChargeNow:
    """The present interval is one of the cheapest the energy needs."""

    until: datetime


@dataclass(frozen=True)
class Wait:
    """Not now: the next chosen interval starts at ``at``."""

    at: datetime


@dataclass(frozen=True)
class Unplanned:
    """No plan: charge as fast as allowed (``reason`` says why)."""

    reason: str


Plan = ChargeNow | Wait | Unplanned


def plan(prices: Sequence[Price], now: datetime, need: Need) -> Plan:
    """The plan for one session at ``now``."""
    if need.energy_wh <= 1e-6:
        return Unplanned("nothing left to deliver")
    if now >= need.departure:
        return Unplanned("the departure has passed")
    if need.power_w <= 0:
        return Unplanned("the car can take no power")
    slots = _slots(prices, now, need.departure)
    if slots is None:
        return Unplanned("the prices do not cover every hour before the departure")
    chosen: list[tuple[datetime, datetime]] = []
    left_wh = need.energy_wh
    for _, start, end in sorted(slots, key=lambda s: (s[0], s[1])):
        if left_wh <= 1e-6:
            break
        chosen.append((start, end))
        left_wh -= need.power_w * (end - start).total_seconds() / 3600.0
    if left_wh > 1e-6:
        return Unplanned("every hour before the departure is needed")
    # The dearest chosen interval is needed only in part: charge in its last
    # part only, so that no energy is bought there that a cheaper one gives.
    last_start = chosen[-1][0]
    spare_s = -left_wh / need.power_w * 3600.0
    begins = [start for start, _ in chosen[:-1]]
    begins.append(last_start + timedelta(seconds=spare_s))
    for (_, end), begin in zip(chosen, begins, strict=True):
        if begin <= now < end:
            return ChargeNow(end)
    return Wait(min(b for b in begins if b > now))


def _slots(
    prices: Sequence[Price], now: datetime, departure: datetime
) -> list[tuple[float, datetime, datetime]] | None:
    """(price, start, end) of every interval between now and the departure.

    None when some moment in between has no price.
    """
    out = []
    covered = now
    for p in sorted(prices, key=lambda p: p.start):
        start, end = max(p.start, now), min(p.end, departure)
        if end <= start:
            continue
        if start > covered:
            return None  # a gap
        out.append((p.price, start, end))
        covered = max(covered, end)
    return out if covered >= departure else None


def price_cap(p: Plan) -> Cap | None:
    """The allocator's cap for a plan: none while charging or unplanned, else 0."""
    match p:
        case Wait():
            return Cap(0.0, Why.CHEAP_HOURS, Why.WAITING_FOR_CHEAP_HOUR)
        case ChargeNow() | Unplanned():
            return None
