"""The allocator's vocabulary: what an EVSE is given and why, and what it had.

Pure types (no rules): :mod:`edge.load.caps` and :mod:`edge.load.allocator`
build on them; the manager, the surplus and the price plan speak them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

_EPS = 1e-9


@dataclass(frozen=True)
class Charging:
    """The EVSE was last given ``current_a``; the car has charged since ``since``."""

    current_a: float
    since: float


@dataclass(frozen=True)
class Paused:
    """The car was paused for lack of current at ``since``."""

    since: float


@dataclass(frozen=True)
class NotStarted:
    """The session has had no setpoint yet (or stopped wanting current)."""


Last = Charging | Paused | NotStarted


class Why(StrEnum):
    """Why an EVSE got its setpoint."""

    SHARE = "share"
    """Its fair share of a full phase of one of its circuits."""
    AT_MAXIMUM = "at_maximum"
    FIRST_SETPOINT = "first_setpoint"
    FAILSAFE = "failsafe"
    NO_DEMAND = "no_demand"
    NO_HEADROOM = "no_headroom"
    """Paused: its minimum does not fit."""
    RESUME_DELAY = "resume_delay"
    """Paused: paused too recently to be resumed."""
    SURPLUS = "surplus"
    """Charging at what the grid connection's export allows (surplus modes)."""
    NO_SURPLUS = "no_surplus"
    """Paused: the export is below its minimum (charging from surplus only)."""
    SURPLUS_UNKNOWN = "surplus_unknown"
    """Paused: no fresh signed power from the grid meter (surplus only)."""
    CHEAP_HOURS = "cheap_hours"
    """Charging in one of the cheapest hours before its departure (price plan)."""
    WAITING_FOR_CHEAP_HOUR = "waiting_for_cheap_hour"
    """Paused: its price plan charges it in cheaper hours before its departure."""


@dataclass(frozen=True)
class Charge:
    """Charge at ``current_a`` per phase."""

    current_a: float
    why: Why


@dataclass(frozen=True)
class Pause:
    """No current (the board's setpoint off, or a paused profile)."""

    why: Why


Setpoint = Charge | Pause


def next_last(last: Last, setpoint: Setpoint, now: float) -> Last:
    """An EVSE's :class:`Last` once ``setpoint`` is applied at ``now``."""
    match setpoint, last:
        case Charge(current_a=amps), Charging(since=since):
            return Charging(amps, since)
        case Charge(current_a=amps), _:
            return Charging(amps, now)
        case Pause(), Paused():
            return last
        case Pause(why=Why.NO_HEADROOM | Why.NO_SURPLUS), Charging():
            return Paused(now)
        case _:
            return NotStarted()


def round_down(amps: float, floor_a: float, step_a: float) -> float:
    """Down to the EVSE's step, never below ``floor_a`` (itself within ``amps``)."""
    stepped = math.floor(amps / step_a + _EPS) * step_a
    return max(floor_a, min(amps, round(stepped, 6)))
