"""A simulated site's own load and solar production, per phase, as functions of time.

Pure and seeded: the same seed and the same site second give the same currents,
whatever steps a simulation takes. Times are site seconds since local midnight
of the first day.

* House load: a base, a morning and an evening peak (a daily shape), and
  appliances switching on and off per phase: in each 60 s slot a phase carries
  an extra load drawn from the seed (0 most of the time, up to ``appliance_a``).
* Solar: a sine bell between sunrise and sunset, the same on every phase (a
  3-phase inverter), at most ``peak_a``; clouds scale each 5-minute slot.

The grid meter of a simulated site reads house + EVs - solar per phase: its
currents are the magnitude, its active power is signed (negative: exported).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

DAY_S = 86_400.0
PerPhase = tuple[float, float, float]


def _slot_random(seed: int, salt: str, slot: int) -> random.Random:
    return random.Random(f"{seed}:{salt}:{slot}")


@dataclass(frozen=True)
class HouseLoad:
    """The site's own consumption on L1, L2 and L3 (A)."""

    seed: int
    base_a: float = 4.0
    peak_a: float = 12.0
    """Added at the height of the morning (07:30) and evening (18:30) peaks."""
    appliance_a: float = 10.0
    appliance_share: float = 0.2
    """The fraction of minutes a phase has an appliance on."""

    def current_a(self, t: float) -> PerPhase:
        """The house load at site second ``t``."""
        hour = (t % DAY_S) / 3600.0
        shape = max(
            math.exp(-(((hour - 7.5) / 1.2) ** 2)),
            math.exp(-(((hour - 18.5) / 1.8) ** 2)),
        )
        rng = _slot_random(self.seed, "house", int(t // 60))
        out = []
        for _ in range(3):
            on = rng.random() < self.appliance_share
            extra = rng.uniform(0.3, 1.0) * self.appliance_a if on else 0.0
            out.append(self.base_a + self.peak_a * shape + extra)
        return (out[0], out[1], out[2])


@dataclass(frozen=True)
class Solar:
    """A 3-phase PV inverter's output per phase (A)."""

    seed: int
    peak_a: float = 10.0
    sunrise_h: float = 7.0
    sunset_h: float = 19.0

    def current_a(self, t: float) -> PerPhase:
        """The solar production at site second ``t`` (0 at night)."""
        hour = (t % DAY_S) / 3600.0
        if not self.sunrise_h < hour < self.sunset_h:
            return (0.0, 0.0, 0.0)
        day = (hour - self.sunrise_h) / (self.sunset_h - self.sunrise_h)
        clouds = _slot_random(self.seed, "solar", int(t // 300)).uniform(0.3, 1.0)
        amps = self.peak_a * math.sin(math.pi * day) * clouds
        return (amps, amps, amps)


def grid_current_a(house: PerPhase, evs: PerPhase, solar: PerPhase) -> PerPhase:
    """What a grid meter reads per phase: the magnitude of house + EVs - solar."""
    out = [abs(a) for a in net_current_a(house, evs, solar)]
    return (out[0], out[1], out[2])


def net_current_a(house: PerPhase, evs: PerPhase, solar: PerPhase) -> PerPhase:
    """Per phase, house + EVs - solar: positive imported, negative exported."""
    out = [house[p] + evs[p] - solar[p] for p in range(3)]
    return (out[0], out[1], out[2])
