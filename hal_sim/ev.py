"""A simulated electric vehicle behind an EVSE board (IEC 61851 states A, B, C).

Physics-lite: the EV draws min(offered current, its own limit) on its phases at
nominal voltage while it wants energy; near full the current tapers; once it has
what it wanted (or is full) it stops requesting (state B) and waits to leave.
"""

from __future__ import annotations

from dataclasses import dataclass

NOMINAL_V = 230.0
TAPER_FROM_SOC = 0.8
MIN_CURRENT_A = 6.0


@dataclass
class SimEv:
    """One vehicle: battery, wishes and what it has taken on this visit."""

    id: str
    battery_wh: float
    soc: float
    energy_wanted_wh: float
    max_current_a: float
    phases: int
    energy_taken_wh: float = 0.0
    current_a: float = 0.0

    @property
    def requesting(self) -> bool:
        """Whether the EV closes S2 (state C): it still wants energy."""
        return self.energy_taken_wh < self.energy_wanted_wh and self.soc < 0.999

    def taper(self) -> float:
        """Fraction of the offered current the battery accepts at this SoC."""
        if self.soc <= TAPER_FROM_SOC:
            return 1.0
        return max(0.1, (1.0 - self.soc) / (1.0 - TAPER_FROM_SOC))

    def step(self, dt_s: float, offered_a: float, relay_closed: bool) -> float:
        """Charge for ``dt_s`` seconds; return the energy taken in Wh."""
        if dt_s <= 0:
            return 0.0
        if not (relay_closed and self.requesting and offered_a >= MIN_CURRENT_A):
            self.current_a = 0.0
            return 0.0
        self.current_a = min(offered_a, self.max_current_a) * self.taper()
        power_w = self.current_a * NOMINAL_V * self.phases
        energy = power_w * dt_s / 3600.0
        room = min(
            self.energy_wanted_wh - self.energy_taken_wh,
            self.battery_wh * (1.0 - self.soc),
        )
        if energy >= room:
            energy = max(0.0, room)
            self.current_a = 0.0
        self.energy_taken_wh += energy
        self.soc = min(1.0, self.soc + energy / self.battery_wh)
        return energy

    def phase_currents(self) -> tuple[float, float, float]:
        """Current on L1, L2, L3."""
        c = self.current_a
        return (c, c, c) if self.phases == 3 else (c, 0.0, 0.0)
