"""The load manager: one task that runs the allocator and applies its setpoints.

Inputs: every poll of each circuit meter named in ``[load]`` (any meter
profile; its per-phase currents, with the time they were read on the wire),
and every change of an EVSE (:meth:`~edge.evse.port.EvsePort.on_change`). Each
wakes the task, which then allocates once for everything that arrived (a burst
of changes is one allocation) and at least every ``TICK_S`` of site time, so
that a meter that went silent gives the failsafe within ``meter_timeout_s``
plus a tick.

Applying: each EVSE whose setpoint differs from the limit its view shows gets
:meth:`~edge.evse.port.EvsePort.set_current_limit`; a pause is 0 A (the
port's pause: the offer stops and the session stays open). Every lowering (and
pause) is applied before any raise, so the sum on a phase never passes what the
allocator allowed while setpoints change. An EVSE with no session is held at
0 A, so that a new session draws nothing before its first setpoint (its
minimum, or less headroom: paused). A car that has been offered current for
``SATISFIED_AFTER_S`` without asking for it (full, or waiting for its own
timer) is satisfied: held at 0 A, so that what it does not take goes to the
others, and offered its minimum again every ``PROBE_S`` (a new first setpoint),
in case it asks again (a car paused without an offer may not show it). A refused command
is retried after ``RETRY_S``, one not answered in time after
``TIMEOUT_RETRY_S``; the allocator is told only what was applied.

Cancellation: the task owns its ticker and its commands (one TaskGroup); a
cancellation while commands are in flight cancels them and nothing is left
behind (the EVSE keeps its last limit; the site then opens every contactor).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from edge.evse.limits import PAUSE_A
from edge.evse.port import EvsePort, EvseView
from edge.evse.states import Phase as EvsePhase
from edge.load.allocator import (
    Allocation,
    Cap,
    Charge,
    EvseState,
    GridSample,
    Last,
    NotStarted,
    Setpoint,
    allocate,
    learned_phases,
    next_last,
)
from edge.load.site import Phase, Site
from edge.load.surplus import surplus_caps
from edge.model.clock import Clock
from edge.model.commands import CommandOutcome
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement

log = logging.getLogger(__name__)

TICK_S = 1.0
"""Allocate at least this often (site seconds): silence is noticed by a tick."""
COMMAND_TIMEOUT_S = 5.0
RETRY_S = 10.0
"""A refused setpoint is tried again after this long."""
TIMEOUT_RETRY_S = 1.0
"""A setpoint not answered in time (a busy bus) is tried again after this long."""
SAME_A = 0.05
"""Setpoints closer than this (A) are the same (below the 0.1 A step)."""
SATISFIED_AFTER_S = 60.0
"""A car offered current that has not asked for it this long is satisfied."""
PROBE_S = 900.0
"""A satisfied car is offered its minimum again after this long (it may ask)."""
FOLLOW_S = 5.0
"""An EV follows a raised offer within this long (IEC 61851-1: 5 s)."""
SETTLE_FROM_A = 1.0
"""A change of the limit this large makes a car settle (a board offers whole A)."""
HOLD_S = 5.0
"""The house load known before cars settle is held at most this long."""
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


@dataclass
class _Evse:
    """What the manager keeps of one EVSE between allocations."""

    last: Last = field(default_factory=NotStarted)
    session: str | None = None
    phases: frozenset[Phase] = frozenset()
    retry_at: float = -math.inf
    read_a: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Its meter's last currents as read (not cut at its limit)."""
    changed_at: float = -math.inf
    """When its limit last changed (the car follows over seconds)."""
    idle_since: float | None = None
    """Since when the car has been offered current without asking for it."""
    satisfied_at: float | None = None
    """When the car was found not asking while offered (full, or its own timer)."""


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
            Callable[[Mapping[str, EvseView], datetime], Mapping[str, Cap]] | None
        ) = None
        """The price plan's caps (edge/load/price_source.py), if prices are set."""
        self.on_applied: Callable[[Allocation, float], None] | None = None
        """Called after each allocation's commands are done, with the time the
        allocation was made (for benchmarks and the live view)."""
        self._evses = {uid: _Evse() for uid in self.ports}
        self._house: dict[str, tuple[tuple[float, float, float], float]] = {}
        """Per metered circuit: the last house load known with no car settling,
        and when its reading was taken."""
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
            await self.clock.sleep(self.tick_s)
            self._wake.set()

    async def step(self) -> Allocation:
        """One allocation from what is known now, applied."""
        now = self.clock.monotonic()
        views = {uid: port.view() for uid, port in self.ports.items()}
        states = {uid: self._state(uid, views[uid]) for uid in self.ports}
        caps = surplus_caps(self.site, states, self.grid, now)
        if self.price_caps is not None:
            for uid, cap in self.price_caps(views, self.clock.utcnow()).items():
                if uid not in caps or cap.current_a < caps[uid].current_a:
                    caps[uid] = cap
        allocation = allocate(self.site, states, self._grid(states, views), now, caps)
        self.allocation = allocation
        self.allocations += 1
        if allocation.failsafe:
            log.debug("load: failsafe for %s", ", ".join(sorted(allocation.failsafe)))
        lower: list[tuple[str, Setpoint, float, float]] = []
        raise_: list[tuple[str, Setpoint, float, float]] = []
        for uid, setpoint in allocation.setpoints.items():
            ev = self._evses[uid]
            amps = setpoint.current_a if isinstance(setpoint, Charge) else PAUSE_A
            shown = views[uid].limit_a
            if abs(shown - amps) < SAME_A:
                ev.last = next_last(ev.last, setpoint, now)
            elif now >= ev.retry_at:
                batch = lower if amps < shown else raise_
                batch.append((uid, setpoint, amps, shown))
        for todo in (lower, raise_):
            if todo:
                async with asyncio.TaskGroup() as tg:
                    for uid, setpoint, amps, shown in todo:
                        tg.create_task(self._apply(uid, setpoint, amps, shown, now))
        if self.on_applied is not None:
            self.on_applied(allocation, now)
        return allocation

    def _settling(self, uid: str, view: EvseView) -> bool:
        """Its limit changed and its meter has not read it since the car followed."""
        changed = self._evses[uid].changed_at
        if changed == -math.inf or view.session is None:
            return False
        return view.draw is None or view.draw.read_at < changed + FOLLOW_S

    def _grid(
        self, states: Mapping[str, EvseState], views: Mapping[str, EvseView]
    ) -> dict[str, GridSample]:
        """The circuit readings, with what our settling cars do held out.

        A car whose limit just changed shows it on the circuit meter before its
        own meter's next poll does: the reading less our last draws would count
        its ramp up as house load (and pause the cars just given current), or
        its ramp down as less house load. While cars below a circuit settle,
        each draws anything between its last reading and its new limit: the
        house load is within the interval that leaves, and is taken as the last
        one known with no car settling (at most ``HOLD_S`` old) moved into it,
        or, without one, its top (the safe side).
        """
        out: dict[str, GridSample] = {}
        now = self.clock.monotonic()
        for circuit in self.site.circuits():
            sample = self.grid.get(circuit.id)
            if sample is None:
                continue
            lo = [0.0, 0.0, 0.0]  # ours as the allocator counts it
            hi = [0.0, 0.0, 0.0]  # ours if every settling car is at its new limit
            settling = False
            for leaf in circuit.leaves():
                drawn = states[leaf.uid].drawn_a
                view = views[leaf.uid]
                car = leaf.grid_phases(states[leaf.uid].phases)
                moving = self._settling(leaf.uid, view)
                settling = settling or moving
                for own in range(leaf.wired_phases):
                    grid_p = leaf.rotation[own]
                    lo[grid_p] += max(0.0, drawn[own])
                    top = view.limit_a if moving and grid_p in car else 0.0
                    last = self._evses[leaf.uid].read_a[own] if moving else 0.0
                    hi[grid_p] += max(drawn[own], last, top, 0.0)
            top_house = [max(0.0, sample.currents_a[p] - lo[p]) for p in range(3)]
            low_house = [max(0.0, sample.currents_a[p] - hi[p]) for p in range(3)]
            house = top_house
            held = self._house.get(circuit.id)
            if not settling:
                self._house[circuit.id] = (
                    (house[0], house[1], house[2]),
                    sample.read_at,
                )
            elif held is not None and now - held[1] <= HOLD_S:
                house = [
                    min(top_house[p], max(low_house[p], held[0][p])) for p in range(3)
                ]
            amps = [house[p] + lo[p] for p in range(3)]
            if not all(math.isfinite(a) for a in sample.currents_a):
                amps = list(sample.currents_a)  # implausible: the allocator says so
            out[circuit.id] = GridSample((amps[0], amps[1], amps[2]), sample.read_at)
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
        elif (
            view.phase is EvsePhase.SUSPENDED_EV
            and view.offered_a is not None
            and ev.satisfied_at is None
        ):
            ev.idle_since = now if ev.idle_since is None else ev.idle_since
            if now - ev.idle_since >= SATISFIED_AFTER_S:
                ev.satisfied_at = now
        drawn = (0.0, 0.0, 0.0)
        drawn_at = -math.inf
        if view.draw is not None:
            drawn_at = view.draw.read_at
            c = [
                a if a is not None and math.isfinite(a) else 0.0
                for a in view.draw.currents_a
            ]
            drawn = (c[0], c[1], c[2])
            learned = learned_phases(drawn, LEARN_FROM_A)
            if learned:
                ev.phases = learned
            # Never count more of ours than the limit it holds: a car just
            # lowered or paused has left the grid reading before its own
            # meter's next poll shows it, and counting its old draw as ours
            # would hide that much house load (what is left counts as house).
            ev.read_a = drawn
            cap = view.limit_a
            drawn = (min(c[0], cap), min(c[1], cap), min(c[2], cap))
        wants = (
            view.session is not None and view.fault is None and ev.satisfied_at is None
        )
        return EvseState(
            wants, ev.last, drawn, ev.phases, drawn_at, ev.changed_at + FOLLOW_S
        )

    async def _apply(
        self, uid: str, setpoint: Setpoint, amps: float, shown: float, now: float
    ) -> None:
        ev = self._evses[uid]
        result = await self.ports[uid].set_current_limit(amps, COMMAND_TIMEOUT_S)
        if result.outcome is CommandOutcome.ACCEPTED:
            if abs(amps - shown) >= SETTLE_FROM_A:
                ev.changed_at = self.clock.monotonic()
            ev.last = next_last(ev.last, setpoint, now)
            ev.retry_at = -math.inf
            return
        wait = TIMEOUT_RETRY_S if result.outcome is CommandOutcome.TIMEOUT else RETRY_S
        ev.retry_at = self.clock.monotonic() + wait
        log.warning(
            "load: EVSE %s did not take %g A (%s: %s); retrying in %g s",
            uid,
            amps,
            result.outcome,
            result.message,
            wait,
        )
