"""A simulated main breaker: an MCB of type B with a time-current trip curve.

The curve follows IEC 60898-1 (Table 7, for a rated current ``In`` up to 32 A;
used here for every rating): at 1.13 In it must not trip within 1 h, at 1.45 In
it must trip within 1 h, at 2.55 In within 1 s to 60 s, and a type B trips
magnetically (< 0.1 s) at 5 In but not at 3 In.

The thermal element is a first-order heat model per pole, ``dθ/dt = (I/In)² -
θ/τ``, which trips at ``θ = 1.3² τ`` (between the two conventional currents).
From cold the trip time at ``I`` is ``-τ ln(1 - 1.69 / (I/In)²)``; with
``τ = 180 s``: 1.45 In trips after 293 s, 2.55 In after 54 s, 1.13 In never.
The magnetic element trips at once at 4 In or more (between 3 and 5 In). Any
pole tripping opens all three (a 3-pole breaker). Pure: ``step`` takes the
currents and the seconds since the last step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TAU_S = 180.0
"""The thermal time constant of the bimetal."""
THERMAL_TRIP = 1.3**2
"""θ/τ at which the bimetal trips: between 1.13² (never) and 1.45² (within 1 h)."""
MAGNETIC_TRIP = 4.0
"""Multiples of In above which the coil trips at once (type B: 3-5 In)."""


@dataclass(frozen=True)
class Closed:
    """The breaker conducts; ``heat`` is θ/τ per pole."""

    heat: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Tripped:
    """The breaker has opened, at ``at`` (site seconds), by ``element``."""

    at: float
    element: str
    """"thermal" or "magnetic"."""


BreakerState = Closed | Tripped


def cold_trip_time_s(multiple: float) -> float:
    """Seconds from cold to a thermal trip at ``multiple`` x In (inf: never)."""
    if multiple * multiple <= THERMAL_TRIP:
        return math.inf
    return -TAU_S * math.log(1 - THERMAL_TRIP / (multiple * multiple))


@dataclass(frozen=True)
class Breaker:
    """A 3-pole type B MCB rated ``rated_a`` per pole."""

    rated_a: float

    def step(
        self,
        state: BreakerState,
        currents_a: tuple[float, float, float],
        dt_s: float,
        now: float,
    ) -> BreakerState:
        """The breaker after ``dt_s`` seconds carrying ``currents_a``."""
        if isinstance(state, Tripped):
            return state
        heat = []
        for amps, before in zip(currents_a, state.heat, strict=True):
            multiple = abs(amps) / self.rated_a
            if multiple >= MAGNETIC_TRIP:
                return Tripped(now, "magnetic")
            # Exact solution of dθ/dt = m² - θ/τ over dt (θ in units of τ).
            target = multiple * multiple
            heat.append(target + (before - target) * math.exp(-dt_s / TAU_S))
        if max(heat) >= THERMAL_TRIP:
            return Tripped(now, "thermal")
        return Closed((heat[0], heat[1], heat[2]))
