"""A simulated electric vehicle behind an EVSE board (IEC 61851 states A to D).

Physics-lite: while the EV wants energy and the contactor is closed, its
current follows the offered current (capped by its own limit and tapered near
full) with a ramp of ``ramp_a_per_s``, on 1 or 3 phases at nominal voltage;
when the contactor opens or the EV stops wanting energy the current drops at
once. Energy is integrated exactly over the ramp, so the meter and the truth
log agree to the milliwatt-hour whatever the step length. Once it has what it
wanted (or is full) it stops requesting (state B) and waits to leave.
"""

from __future__ import annotations

from dataclasses import dataclass

NOMINAL_V = 230.0
TAPER_FROM_SOC = 0.8
MIN_CURRENT_A = 6.0
RAMP_A_PER_S = 5.0
"""On-board chargers ramp up over seconds (IEC 61851 lets them take 5 s)."""


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
    ramp_a_per_s: float = RAMP_A_PER_S
    ventilation: bool = False
    """Asks for ventilation while charging (state D instead of C)."""

    @property
    def requesting(self) -> bool:
        """Whether the EV closes S2 (state C or D): it still wants energy."""
        return self.energy_taken_wh < self.energy_wanted_wh and self.soc < 0.999

    @property
    def cp_state(self) -> str:
        """The state the EV puts on the control pilot: B, C or D."""
        if not self.requesting:
            return "B"
        return "D" if self.ventilation else "C"

    def taper(self) -> float:
        """Fraction of the offered current the battery accepts at this SoC."""
        if self.soc <= TAPER_FROM_SOC:
            return 1.0
        return max(0.1, (1.0 - self.soc) / (1.0 - TAPER_FROM_SOC))

    def _ramp(self, target: float, dt_s: float) -> float:
        """Move the current towards ``target``; return the ampere-seconds drawn."""
        start = self.current_a
        if self.ramp_a_per_s <= 0:
            self.current_a = target
            return target * dt_s
        reach_s = abs(target - start) / self.ramp_a_per_s
        if reach_s >= dt_s:
            step = self.ramp_a_per_s * dt_s
            end = start + step if target > start else start - step
            self.current_a = end
            return (start + end) / 2 * dt_s
        self.current_a = target
        return (start + target) / 2 * reach_s + target * (dt_s - reach_s)

    def step(self, dt_s: float, offered_a: float, relay_closed: bool) -> float:
        """Charge for ``dt_s`` seconds; return the energy taken in Wh."""
        if dt_s <= 0:
            return 0.0
        if not (relay_closed and self.requesting and offered_a >= MIN_CURRENT_A):
            self.current_a = 0.0
            return 0.0
        target = min(offered_a, self.max_current_a) * self.taper()
        amp_seconds = self._ramp(target, dt_s)
        energy = amp_seconds * NOMINAL_V * self.phases / 3600.0
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
