"""The load manager: one task that runs the allocator and applies its setpoints.

Inputs: every poll of each circuit meter named in ``[load]`` (any meter
profile; its per-phase currents, with the time they were read on the wire),
and every change of an EVSE (:meth:`~edge.evse.port.EvsePort.on_change`). Each
wakes the task, which then allocates once for everything that arrived (a burst
of changes is one allocation) and at least every ``TICK_S`` of site time, so
that a meter that went silent gives the failsafe within ``meter_timeout_s``
plus a tick.

Applying (:mod:`edge.load.applier`): every lowering (and pause) before any
raise, a raise only once a circuit reading saw the EVSE's present limit, and a
refused command retried after a while. An EVSE with no session is held at
0 A, so that a new session draws nothing before its first setpoint (its
minimum, or less headroom: paused). A car that has been offered current for
``SATISFIED_AFTER_S`` without asking for it (full, or waiting for its own
timer) is satisfied: held at 0 A, so that what it does not take goes to the
others, and offered its minimum again every ``PROBE_S`` (a new first
setpoint), in case it asks again (a car paused without an offer may not show
it).

Cancellation: the task owns its ticker and its commands (one TaskGroup); a
cancellation while commands are in flight cancels them and nothing is left
behind (the EVSE keeps its last limit; the site then opens every contactor).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping
from datetime import datetime

from edge.evse.port import EvsePort, EvseView
from edge.evse.states import Phase as EvsePhase
from edge.load.allocator import (
    Allocation,
    EvseState,
    GridSample,
    allocate,
    learned_phases,
    plausible,
)
from edge.load.applier import SAME_A, Applier, EvseMemory
from edge.load.caps import Cap
from edge.load.house import FOLLOW_S, HouseLoads
from edge.load.price_share import fuse_share
from edge.load.site import Phase, Site
from edge.load.surplus import surplus_caps
from edge.model.clock import Clock
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement

log = logging.getLogger(__name__)

TICK_S = 1.0
"""Allocate at least this often (site seconds): silence is noticed by a tick."""
SATISFIED_AFTER_S = 60.0
"""A car offered current that has not asked for it this long is satisfied."""
PROBE_S = 900.0
"""A satisfied car is offered its minimum again after this long (it may ask)."""
STALE_AFTER_S = 0.01
"""A tick for a stale reading comes this long after its timeout (which is not stale)."""
LEARN_FROM_A = 1.0
"""A car is learned to draw on the phases that carry more than this."""
CURRENTS = (Measurement.CURRENT_L1, Measurement.CURRENT_L2, Measurement.CURRENT_L3)
POWERS = (Measurement.POWER_L1, Measurement.POWER_L2, Measurement.POWER_L3)


def grid_sample(reading: DeviceReading) -> GridSample | None:
    """A circuit meter's per-phase currents, read at the oldest of their times.

    None when a phase current is missing (not in the profile, or "not
    available"): without all three the circuit is not measured (failsafe).
    """
    amps = [reading.number(m) for m in CURRENTS]
    times = [reading.read_time(m) for m in CURRENTS]
    if any(a is None for a in amps) or any(t is None for t in times):
        return None
    a1, a2, a3 = (float(a) for a in amps if a is not None)
    return GridSample(
        (a1, a2, a3), min(t for t in times if t is not None), _signed_power_w(reading)
    )


def _signed_power_w(reading: DeviceReading) -> float | None:
    """The total active power (import positive), or the phases' sum; None if absent.

    Only for the solar surplus: the fuse rules use the currents alone.
    """
    total = reading.number(Measurement.POWER)
    if total is not None and math.isfinite(total):
        return float(total)
    phases = [reading.number(m) for m in POWERS]
    if all(p is not None and math.isfinite(p) for p in phases):
        return float(sum(p for p in phases if p is not None))
    return None


class LoadManager:
    """Keeps every circuit of ``site`` within its limit through the EVSE ports."""

    def __init__(
        self,
        site: Site,
        ports: Mapping[str, EvsePort],
        clock: Clock,
        *,
        tick_s: float = TICK_S,
    ) -> None:
        self.site = site
        self.ports = {leaf.uid: ports[leaf.uid] for leaf in site.leaves()}
        self.clock = clock
        self.tick_s = tick_s
        self.grid: dict[str, GridSample] = {}
        """The last plausible-looking reading of each metered circuit."""
        self.allocation: Allocation | None = None
        """The last allocation (for display)."""
        self.allocations = 0
        self.price_caps: (
            Callable[
                [Mapping[str, EvseView], datetime, Mapping[str, float]],
                Mapping[str, Cap],
            ]
            | None
        ) = None
        """The price plan's caps (edge/load/price_source.py), if prices are set."""
        self.on_applied: Callable[[Allocation, float], None] | None = None
        """Called after each allocation's commands are done, with the time the
        allocation was made (for benchmarks and the live view)."""
        self._evses = {uid: EvseMemory() for uid in self.ports}
        self._house = HouseLoads()
        self._applier = Applier(site, self.ports, self._evses, clock)
        self._wake = asyncio.Event()
        for port in self.ports.values():
            port.on_change(self._changed)

    # ---- inputs (callbacks; never block) ---------------------------------------
    def grid_sink(
        self, circuit_id: str
    ) -> Callable[[DeviceReading | DeviceSilent], None]:
        """Where the meter of ``circuit_id`` delivers every poll."""

        def sink(item: DeviceReading | DeviceSilent) -> None:
            if isinstance(item, DeviceReading):
                sample = grid_sample(item)
                if sample is not None:
                    self.grid[circuit_id] = sample
            # A silent poll changes nothing but wakes: the tick sees the age.
            self._wake.set()

        return sink

    def _changed(self, _uid: str) -> None:
        self._wake.set()

    # ---- the task -------------------------------------------------------------
    async def run(self) -> None:
        """Allocate and apply on every wake and tick, until cancelled."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._ticker(), name="load tick")
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self.step()

    async def _ticker(self) -> None:
        while True:
            await self.clock.sleep(self._next_tick_s())
            self._wake.set()

    def _next_tick_s(self) -> float:
        """Until the next tick: at most ``tick_s``, or as a reading goes stale.

        A circuit's reading is stale ``meter_timeout_s`` after it was read; the
        allocation then gives the failsafe. Waking then (not at the next whole
        tick) keeps the failsafe at the meter timeout, not a tick later.
        """
        now = self.clock.monotonic()
        timeout = self.site.rules.meter_timeout_s
        stale = [
            s.read_at + timeout + STALE_AFTER_S - now
            for s in self.grid.values()
            if s.read_at + timeout + STALE_AFTER_S > now
        ]
        return min([self.tick_s, *stale])

    async def step(self) -> Allocation:
        """One allocation from what is known now, applied."""
        now = self.clock.monotonic()
        views = {uid: port.view() for uid, port in self.ports.items()}
        states = {uid: self._state(uid, views[uid]) for uid in self.ports}
        caps = surplus_caps(self.site, states, self.grid, now)
        grid = self._grid(states, views)
        if self.price_caps is not None:  # planned at what the fuse lets each draw
            fuse = fuse_share(self.site, states, grid, now)
            for uid, cap in self.price_caps(views, self.clock.utcnow(), fuse).items():
                if uid not in caps or cap.current_a < caps[uid].current_a:
                    caps[uid] = cap
        allocation = allocate(self.site, states, grid, now, caps)
        self.allocation = allocation
        self.allocations += 1
        if allocation.failsafe:
            log.debug("load: failsafe for %s", ", ".join(sorted(allocation.failsafe)))
        await self._applier.apply(allocation.setpoints, views, self.grid, now)
        if self.on_applied is not None:
            self.on_applied(allocation, now)
        return allocation

    def _grid(
        self, states: Mapping[str, EvseState], views: Mapping[str, EvseView]
    ) -> dict[str, GridSample]:
        """The circuit readings, as our cars' currents plus the house load.

        The house load of a reading is taken once (see :mod:`edge.load.house`),
        from each car's reading at or before it, and again only if a car's
        reading from before it comes late (another bus). The allocator is
        given it plus our cars' present draws, which it takes out again.
        """
        out: dict[str, GridSample] = {}
        for circuit in self.site.circuits():
            sample = self.grid.get(circuit.id)
            if sample is None:
                continue
            if not plausible(sample, circuit):
                out[circuit.id] = sample  # the allocator says so
                continue
            cars = []
            for leaf in circuit.leaves():
                trace = self._evses[leaf.uid].trace
                wired = frozenset(Phase(p) for p in range(leaf.wired_phases))
                own = states[leaf.uid].phases & wired or wired
                may_draw = views[leaf.uid].session is not None
                cars.append((leaf, trace.at(sample.read_at, own, may_draw)))
            house = self._house.of(circuit.id, sample.currents_a, sample.read_at, cars)
            amps = list(house)
            for leaf in circuit.leaves():
                drawn = states[leaf.uid].drawn_a
                for own_p in range(leaf.wired_phases):
                    amps[leaf.rotation[own_p]] += max(0.0, drawn[own_p])
            out[circuit.id] = GridSample(
                (amps[0], amps[1], amps[2]), sample.read_at, sample.power_w
            )
        return out

    def _state(self, uid: str, view: EvseView) -> EvseState:
        ev = self._evses[uid]
        sid = view.session.id if view.session is not None else None
        if sid != ev.session:  # a new session: learn its car's phases anew
            ev.session, ev.phases = sid, frozenset()
            ev.idle_since = ev.satisfied_at = None
        now = self.clock.monotonic()
        if view.phase is EvsePhase.CHARGING or (
            ev.satisfied_at is not None and now - ev.satisfied_at >= PROBE_S
        ):
            ev.idle_since = ev.satisfied_at = None
        elif view.phase is EvsePhase.SUSPENDED_EVSE:  # offered nothing: no idling
            ev.idle_since = None
        elif (
            view.phase is EvsePhase.SUSPENDED_EV
            and view.offered_a is not None
            and ev.satisfied_at is None
        ):
            ev.idle_since = now if ev.idle_since is None else ev.idle_since
            if now - ev.idle_since >= SATISFIED_AFTER_S:
                ev.satisfied_at = now
        if not ev.seen:
            ev.trace.before_a, ev.seen = view.limit_a, True
        elif abs(view.limit_a - ev.trace.limit_a()) >= SAME_A:
            ev.trace.took(now, now, view.limit_a)  # not ours, or not taken
        drawn = (0.0, 0.0, 0.0)
        drawn_at = -math.inf
        if view.draw is None:
            ev.trace.unread()
        else:
            drawn_at = view.draw.read_at
            c = [
                a if a is not None and math.isfinite(a) else 0.0
                for a in view.draw.currents_a
            ]
            drawn = (c[0], c[1], c[2])
            ev.trace.read(drawn_at, drawn)
            learned = learned_phases(drawn, LEARN_FROM_A)
            if learned:
                ev.phases = learned
            # Never more of ours than the limit it holds (the surplus adds it
            # back; the house load is taken in _grid, with the same cut).
            cap = view.limit_a
            drawn = (min(c[0], cap), min(c[1], cap), min(c[2], cap))
        ev.trace.forget(now - self.site.rules.meter_timeout_s)
        wants = (
            view.session is not None and view.fault is None and ev.satisfied_at is None
        )
        return EvseState(
            wants, ev.last, drawn, ev.phases, drawn_at, ev.changed_at + FOLLOW_S
        )
