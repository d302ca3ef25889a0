"""A simulated site's grid connection: its circuits, meters and breakers.

Built from the site file's ``[load]`` tree. Every circuit carries, per grid
phase, the current of every simulated EV below it (each EV's own phases moved
onto the grid phases through its EVSE's rotation: a 1-phase car on the EVSE's
L1 loads the grid phase that L1 is wired to); a grid connection (a circuit
without parent) also carries the house load less the solar production
(:mod:`hal_sim.grid_load`, seeded, as a function of site time of day). A
circuit with a ``meter`` is served over Modbus with that meter's profile, like
every simulated meter, reading what the circuit carries: currents as
magnitudes, active power signed (negative while solar exports), export energy
counted apart from import.

Every circuit has a type B breaker rated at its highest phase limit
(:mod:`hal_sim.grid_fuse`). A breaker that trips cuts everything below it: its
EVs stop drawing (their meters read 0), its meter and those below read 0, and
it stays open (``trips`` counts them; :meth:`SimGrid.reset` closes it again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from drivers.modbus.profile import ProfileLibrary
from edge.config.circuits import PHASES, LoadSection
from edge.config.schema import SimGridSection
from hal_sim.devices.meter import SimMeter
from hal_sim.ev import NOMINAL_V
from hal_sim.grid_fuse import Breaker, BreakerState, Closed, Tripped
from hal_sim.grid_load import HouseLoad, PerPhase, Solar, net_current_a

log = logging.getLogger(__name__)
ZERO: PerPhase = (0.0, 0.0, 0.0)


@dataclass
class SimCircuit:
    """One circuit of the tree and what it carries now."""

    id: str
    parent: str | None
    limit_a: PerPhase
    breaker: Breaker
    meter: SimMeter | None = None
    bus: str | None = None
    state: BreakerState = field(default_factory=Closed)
    current_a: PerPhase = ZERO
    """What it carries now, per grid phase (A, magnitude)."""
    net_a: PerPhase = ZERO
    """The same, signed: negative where the phase exports (solar)."""
    peak_over_s: float = 0.0
    """Site seconds it carried more than its limit on some phase."""
    max_over_a: float = 0.0
    """The most it carried above its limit on any phase (A)."""


@dataclass(frozen=True)
class _Leaf:
    circuit: str
    rotation: tuple[int, int, int]


class SimGrid:
    """The circuits of ``[load]``, stepped with the EVs' currents."""

    def __init__(
        self,
        load: LoadSection,
        settings: SimGridSection,
        profiles: ProfileLibrary,
        meter_start_wh: float = 5_000_000.0,
    ) -> None:
        self.circuits: dict[str, SimCircuit] = {}
        for c in load.circuit:
            limits = c.limits()
            circuit = SimCircuit(c.id, c.parent, limits, Breaker(max(limits)))
            if c.meter is not None:
                circuit.meter = SimMeter(
                    profiles.get(c.meter.model), c.meter.unit, meter_start_wh
                )
                circuit.bus = c.meter.bus
            self.circuits[c.id] = circuit
        self.leaves = {
            e.uid: _Leaf(
                e.circuit,
                (
                    PHASES.index(e.rotation[0:2]),
                    PHASES.index(e.rotation[2:4]),
                    PHASES.index(e.rotation[4:6]),
                ),
            )
            for e in load.evse
        }
        self.house = HouseLoad(
            settings.seed,
            base_a=settings.house_base_a,
            peak_a=settings.house_peak_a,
            appliance_a=settings.appliance_a,
        )
        self.solar = Solar(settings.seed, peak_a=settings.solar_peak_a)
        self.extra_house_a: PerPhase = ZERO
        """Added to the house load (a step overload in a test or benchmark)."""
        self.extra_solar_a: PerPhase = ZERO
        """Added to the solar production (a steady sun, a cloud, in a test)."""
        self.trips = 0

    def chain(self, circuit_id: str) -> list[SimCircuit]:
        """The circuit and every one above it."""
        out = []
        node: str | None = circuit_id
        while node is not None:
            out.append(self.circuits[node])
            node = self.circuits[node].parent
        return out

    def powered(self, evse_uid: str) -> bool:
        """Whether every breaker above the EVSE is closed (unknown EVSEs are)."""
        leaf = self.leaves.get(evse_uid)
        if leaf is None:
            return True
        return all(isinstance(c.state, Closed) for c in self.chain(leaf.circuit))

    def house_a(self, t_s: float) -> PerPhase:
        """The house load at site second ``t_s`` (UTC), the step included."""
        h = self.house.current_a(t_s)
        x = self.extra_house_a
        return (h[0] + x[0], h[1] + x[1], h[2] + x[2])

    def solar_a(self, t_s: float) -> PerPhase:
        """The solar production at site second ``t_s``, the extra included."""
        s = self.solar.current_a(t_s)
        x = self.extra_solar_a
        return (s[0] + x[0], s[1] + x[1], s[2] + x[2])

    def step(
        self, dt_s: float, t_s: float, now: float, evs: dict[str, PerPhase]
    ) -> None:
        """Carry ``evs`` (EVSE uid -> the EV's own-phase currents) for ``dt_s``.

        ``t_s`` is site time (UTC epoch seconds: the time of day of the house
        load), ``now`` the site-monotonic time (the breakers' trip stamps).
        """
        carried = {cid: [0.0, 0.0, 0.0] for cid in self.circuits}
        for uid, own in evs.items():
            leaf = self.leaves.get(uid)
            if leaf is None or not self.powered(uid):
                continue
            for c in self.chain(leaf.circuit):
                for p in range(3):
                    carried[c.id][leaf.rotation[p]] += own[p]
        for c in self.circuits.values():
            net: PerPhase = (carried[c.id][0], carried[c.id][1], carried[c.id][2])
            if c.parent is None:
                net = net_current_a(self.house_a(t_s), net, self.solar_a(t_s))
            live = all(isinstance(x.state, Closed) for x in self.chain(c.id))
            if not live:
                net = ZERO
            amps: PerPhase = (abs(net[0]), abs(net[1]), abs(net[2]))
            c.current_a, c.net_a = amps, net
            over = max(a - lim for a, lim in zip(amps, c.limit_a, strict=True))
            if over > 1e-9:
                c.peak_over_s += dt_s
                c.max_over_a = max(c.max_over_a, over)
            was_closed = isinstance(c.state, Closed)
            c.state = c.breaker.step(c.state, amps, dt_s, now)
            if was_closed and isinstance(c.state, Tripped):
                self.trips += 1
                log.warning(
                    "circuit %s: breaker tripped (%s) at %.1f A",
                    c.id,
                    c.state.element,
                    max(amps),
                )
                c.current_a = c.net_a = ZERO
            if c.meter is not None:
                imported = sum(max(0.0, a) for a in c.net_a)
                exported = sum(max(0.0, -a) for a in c.net_a)
                c.meter.add_energy(imported * NOMINAL_V * dt_s / 3600.0, c.current_a)
                c.meter.energy_export_wh += exported * NOMINAL_V * dt_s / 3600.0
                c.meter.power_w = (
                    c.net_a[0] * NOMINAL_V,
                    c.net_a[1] * NOMINAL_V,
                    c.net_a[2] * NOMINAL_V,
                )

    def reset(self) -> None:
        """Close every breaker again (an installer at the cabinet)."""
        for c in self.circuits.values():
            c.state = Closed()

    @property
    def seconds_over_limit(self) -> float:
        """Site seconds any circuit carried more than its limit on any phase."""
        return max((c.peak_over_s for c in self.circuits.values()), default=0.0)
