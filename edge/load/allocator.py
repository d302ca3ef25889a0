"""The allocator: a current for every EVSE that keeps every circuit within its fuse.

Pure: ``(site, EVSE states, circuit meter readings, now) -> Allocation``. No IO,
no clock; run it on every fresh reading and every session change.

The rules, in the order they are applied:

1. **Failsafe.** A metered circuit without a plausible reading for
   ``meter_timeout_s`` puts every EVSE below it at ``failsafe_current_a`` (0:
   paused); their current is then a fixed load on the circuits above.
2. **Headroom.** On every phase of every circuit: its limit, less the margin,
   less the house load where the circuit is metered (the meter's current less our
   EVSEs' own metered currents on that grid phase, never below 0: export never
   loosens a fuse). Each car counts on the grid phases it really draws (learned
   from its EVSE meter, through the EVSE's phase rotation; every wired phase
   until learned) at the current it is given.
3. **Who charges.** Every car that wants current gets at least its minimum, or
   nothing: while the minimums do not fit some phase of some circuit, the least
   deserving car there is paused (a paused or new car before a charging one, then
   lower priority, then the one that started last), then every paused car that
   fits again is taken back, most deserving first. Cars are thus throttled down
   to their minimum before any is paused. A car paused for lack of current is
   resumed only ``resume_delay_s`` after the pause and with ``resume_margin_a``
   above its minimum free: at most one pause and one resume per car per delay.
4. **Fair share.** What is left above the minimums is water-filled: every
   charging car rises in proportion to its priority until it reaches its maximum
   or a phase of one of its circuits is full. A new session's first setpoint is
   its minimum (the share comes with the next allocation).
5. **Caps.** The optional inputs (:mod:`edge.load.surplus`, the price plan)
   give an EVSE an upper bound, applied by the rules of :mod:`edge.load.caps`
   (below the minimum: paused; above it: no higher in the share). A cap
   never raises a car: every circuit's limit applies to what the caps leave.

Setpoints are rounded down to each EVSE's step (a board takes whole amps),
and what that leaves on every limit goes back one step each to the cars it cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from edge.load.caps import Cap, capped, pause_for, top_a, why_held
from edge.load.setpoints import (
    Charge,
    Charging,
    Last,
    NotStarted,
    Pause,
    Paused,
    Setpoint,
    Why,
    next_last,
    round_down,
)
from edge.load.site import Circuit, EvseLeaf, Metered, PerPhase, Phase, Site

# the vocabulary (edge/load/setpoints.py) and the cap are the allocator's too
__all__ = [
    "PLAUSIBLE_FACTOR", "Allocation", "Cap", "Charge", "Charging", "EvseState",
    "GridSample", "Last", "NotStarted", "Pause", "Paused", "Setpoint", "Why",
    "allocate", "learned_phases", "next_last", "plausible",
]  # fmt: skip

_EPS = 1e-9
_AmpsOf = Callable[[str], float]
_KeyOf = Callable[[str], tuple[int, int, float, str]]
PLAUSIBLE_FACTOR = 10.0
"""A circuit meter reading above this many times the circuit's limit is implausible
(the fuse would have blown long before a reading could show it)."""


@dataclass(frozen=True)
class EvseState:
    """What the allocator needs to know of an EVSE now."""

    wants_current: bool
    """A session is running and the car may charge."""
    last: Last
    drawn_a: PerPhase = (0.0, 0.0, 0.0)
    """The EVSE meter's currents on the EVSE's own L1, L2, L3 (A)."""
    phases: frozenset[Phase] = frozenset()
    """The EVSE's own phases the car draws on (learned; empty: not yet known)."""
    drawn_at: float = -math.inf
    """When ``drawn_a`` was read (site clock)."""
    steady_from: float = -math.inf
    """Readings from this time on show the car at its present limit (its last
    change followed)."""


@dataclass(frozen=True)
class GridSample:
    """A circuit meter's per-phase currents (A), read at ``read_at`` (site clock)."""

    currents_a: PerPhase
    read_at: float
    power_w: float | None = None
    """Active power, signed: positive imported, negative exported (None: the
    meter's profile has none)."""


@dataclass(frozen=True)
class Allocation:
    """A setpoint per EVSE, and what each circuit carries under it."""

    setpoints: Mapping[str, Setpoint]
    failsafe: frozenset[str]
    """Metered circuits without a plausible fresh reading."""
    house_a: Mapping[str, PerPhase]
    """The house load counted on each circuit (0 where static or silent)."""
    load_a: Mapping[str, PerPhase]
    """House load plus the setpoints, on each circuit's grid phases."""


def plausible(sample: GridSample, circuit: Circuit) -> bool:
    """Whether a reading can be a circuit's (finite, 0 or more, not absurd)."""
    return all(
        math.isfinite(a) and 0 <= a <= PLAUSIBLE_FACTOR * limit
        for a, limit in zip(sample.currents_a, circuit.limit_a, strict=True)
    )


def learned_phases(drawn_a: PerPhase, threshold_a: float = 1.0) -> frozenset[Phase]:
    """The EVSE's own phases a car draws on: those above ``threshold_a``."""
    return frozenset(p for p in Phase if drawn_a[p] > threshold_a)


def _on_grid(leaf: EvseLeaf, drawn_a: PerPhase) -> list[float]:
    """An EVSE meter's currents moved onto the grid phases through the rotation."""
    out = [0.0, 0.0, 0.0]
    for own in range(leaf.wired_phases):
        amps = drawn_a[own]
        out[leaf.rotation[own]] += amps if math.isfinite(amps) and amps > 0 else 0.0
    return out


@dataclass
class _Limit:
    """One phase of one circuit: what is free and which cars load it."""

    free_a: float
    members: list[str]


def allocate(
    site: Site,
    states: Mapping[str, EvseState],
    grid: Mapping[str, GridSample],
    now: float,
    caps: Mapping[str, Cap] | None = None,
) -> Allocation:
    """Every EVSE's setpoint; ``grid`` holds the last reading of each metered circuit.

    An EVSE missing from ``states`` wants no current; a metered circuit missing
    from ``grid`` has never been read (failsafe). ``caps`` (surplus, prices)
    only lower a car's current: the circuits' limits are applied to whatever
    they leave.
    """
    caps = caps or {}
    rules = site.rules
    idle = EvseState(wants_current=False, last=NotStarted())
    leaves = {leaf.uid: leaf for leaf in site.leaves()}
    state = {uid: states.get(uid, idle) for uid in leaves}
    phases = {uid: leaf.grid_phases(state[uid].phases) for uid, leaf in leaves.items()}

    silent: set[str] = set()
    failsafe_evses: set[str] = set()
    house: dict[str, PerPhase] = {}
    limits: list[_Limit] = []
    for circuit in site.circuits():
        below = circuit.leaves()
        house_a: PerPhase = (0.0, 0.0, 0.0)
        if isinstance(circuit.source, Metered):
            sample = grid.get(circuit.id)
            if (
                sample is None
                or not 0 <= now - sample.read_at <= rules.meter_timeout_s
                or not plausible(sample, circuit)
            ):
                silent.add(circuit.id)
                failsafe_evses.update(leaf.uid for leaf in below)
            else:
                ours = [0.0, 0.0, 0.0]
                for leaf in below:
                    for p, amps in enumerate(_on_grid(leaf, state[leaf.uid].drawn_a)):
                        ours[p] += amps
                h = [max(0.0, sample.currents_a[p] - ours[p]) for p in range(3)]
                house_a = (h[0], h[1], h[2])
        house[circuit.id] = house_a
        for p in Phase:
            members = [leaf.uid for leaf in below if p in phases[leaf.uid]]
            free = circuit.limit_a[p] - rules.margin_a - house_a[p]
            limits.append(_Limit(free, members))

    def base(uid: str) -> float:
        extra = rules.resume_margin_a if isinstance(state[uid].last, Paused) else 0.0
        return leaves[uid].min_a + extra

    setpoints: dict[str, Setpoint] = {}
    candidates: list[str] = []
    for uid, leaf in leaves.items():
        st = state[uid]
        if not st.wants_current:
            setpoints[uid] = Pause(Why.NO_DEMAND)
        elif uid in failsafe_evses:
            setpoints[uid] = capped(
                _failsafe(leaf, st.last, rules.failsafe_current_a), caps.get(uid), leaf
            )
        elif isinstance(st.last, Paused) and now - st.last.since < rules.resume_delay_s:
            setpoints[uid] = Pause(Why.RESUME_DELAY)
        elif (paused := pause_for(caps.get(uid), base(uid))) is not None:
            setpoints[uid] = paused
        else:
            candidates.append(uid)
    for limit in limits:  # failsafe currents are a fixed load
        for uid in limit.members:
            sp = setpoints.get(uid)
            if isinstance(sp, Charge):
                limit.free_a -= sp.current_a
    for limit in limits:
        limit.members = [u for u in limit.members if u in candidates]

    def deserving(uid: str) -> tuple[int, int, float, str]:
        priority = leaves[uid].priority
        match state[uid].last:
            case Paused():
                return (0, priority, 0.0, uid)
            case NotStarted():
                return (1, priority, 0.0, uid)
            case Charging(since=since):
                return (2, priority, -since, uid)

    active = _who_charges(candidates, limits, base, deserving)
    for uid in candidates:
        if uid not in active:
            setpoints[uid] = Pause(Why.NO_HEADROOM)

    def top(uid: str) -> float:
        leaf = leaves[uid]
        own = leaf.min_a if isinstance(state[uid].last, NotStarted) else leaf.max_a
        return top_a(own, caps.get(uid), leaf)

    extra, at_max = _water_fill(
        active, limits, {u: leaves[u].min_a for u in active}, top,
        {u: float(leaves[u].priority) for u in active},
    )  # fmt: skip
    share = {u: leaves[u].min_a + extra[u] for u in active}
    step = {u: leaves[u].step_a for u in active}
    stepped = {u: round_down(share[u], leaves[u].min_a, step[u]) for u in active}

    def had(uid: str) -> bool:  # the car held the step above its share's floor
        last = state[uid].last
        above = stepped[uid] + leaves[uid].step_a - _EPS
        return isinstance(last, Charging) and last.current_a >= above

    _spread(stepped, share, limits, top, {u: leaves[u].step_a for u in active}, had)
    for uid in sorted(active):
        leaf = leaves[uid]
        amps = stepped[uid]
        if isinstance(state[uid].last, NotStarted):
            why = Why.FIRST_SETPOINT
        elif uid in at_max and (held := why_held(caps.get(uid), leaf)) is not None:
            why = held
        else:
            why = Why.AT_MAXIMUM if uid in at_max else Why.SHARE
        setpoints[uid] = Charge(amps, why)

    load: dict[str, PerPhase] = {}
    for circuit in site.circuits():
        total = list(house[circuit.id])
        for leaf in circuit.leaves():
            sp = setpoints[leaf.uid]
            if isinstance(sp, Charge):
                for p in phases[leaf.uid]:
                    total[p] += sp.current_a
        load[circuit.id] = (total[0], total[1], total[2])
    return Allocation(
        setpoints=setpoints, failsafe=frozenset(silent), house_a=house, load_a=load
    )


def _failsafe(leaf: EvseLeaf, last: Last, failsafe_a: float) -> Setpoint:
    """The failsafe current, never above what the car had, never below its minimum.

    A silent meter never raises a car nor resumes a paused one; a new session
    starts at the failsafe current (the tree carries it on every EVSE).
    """
    amps = min(failsafe_a, leaf.max_a)
    match last:
        case Paused():
            return Pause(Why.FAILSAFE)
        case Charging(current_a=current):
            amps = min(amps, current)
        case NotStarted():
            pass
    if amps < leaf.min_a or amps <= 0:
        return Pause(Why.FAILSAFE)
    return Charge(round_down(amps, leaf.min_a, leaf.step_a), Why.FAILSAFE)


def _spread(
    amps: dict[str, float],
    share: Mapping[str, float],
    limits: list[_Limit],
    top: _AmpsOf,
    step_a: Mapping[str, float],
    had: Callable[[str], bool],
) -> None:
    """Give back what rounding down to the EVSEs' steps left on the limits.

    Each car whose share was cut takes one step more while every limit it is
    on has a step left and its top allows: the cars that held that step
    before first (so that it does not hop between cars as the house load
    moves by tenths), then those cut most. A board takes whole amps: without
    this, every car would give up half an amp on average.
    """
    left = [lim.free_a - sum(amps.get(u, 0.0) for u in lim.members) for lim in limits]
    on = {u: [i for i, lim in enumerate(limits) if u in lim.members] for u in amps}
    for uid in sorted(amps, key=lambda u: (not had(u), amps[u] - share[u], u)):
        step = step_a[uid]
        if share[uid] - amps[uid] <= _EPS or amps[uid] + step > top(uid) + _EPS:
            continue
        if all(left[i] >= step - _EPS for i in on[uid]):
            amps[uid] = round(amps[uid] + step, 6)
            for i in on[uid]:
                left[i] -= step


def _who_charges(
    candidates: list[str],
    limits: list[_Limit],
    base: _AmpsOf,
    deserving: _KeyOf,
) -> set[str]:
    """The cars that charge: the minimums fit, the least deserving paused first."""
    active = set(candidates)
    removed: list[str] = []
    while True:
        over = [
            lim
            for lim in limits
            if any(u in active for u in lim.members)
            and sum(base(u) for u in lim.members if u in active) > lim.free_a + _EPS
        ]
        if not over:
            break
        there = {u for lim in over for u in lim.members if u in active}
        worst = min(there, key=deserving)
        active.discard(worst)
        removed.append(worst)
    for uid in sorted(removed, key=deserving, reverse=True):
        fits = all(
            sum(base(u) for u in lim.members if u in active) + base(uid)
            <= lim.free_a + _EPS
            for lim in limits
            if uid in lim.members
        )
        if fits:
            active.add(uid)
    return active


def _water_fill(
    active: set[str],
    limits: list[_Limit],
    floor_a: Mapping[str, float],
    cap: _AmpsOf,
    weight: Mapping[str, float],
) -> tuple[dict[str, float], set[str]]:
    """Progressive filling above the floors; (extra A per car, cars at their cap)."""
    extra = dict.fromkeys(active, 0.0)
    room = {u: max(0.0, cap(u) - floor_a[u]) for u in active}
    free = [
        max(0.0, lim.free_a - sum(floor_a[u] for u in lim.members if u in active))
        for lim in limits
    ]
    rising = {u for u in active if room[u] > _EPS}
    at_cap = {u for u in active if room[u] <= _EPS}
    while rising:
        steps: list[float] = [(room[u] - extra[u]) / weight[u] for u in rising]
        for i, lim in enumerate(limits):
            w = sum(weight[u] for u in lim.members if u in rising)
            if w > 0:
                steps.append(free[i] / w)
        dt = max(0.0, min(steps))
        for u in rising:
            extra[u] += weight[u] * dt
        full: set[str] = set()
        for i, lim in enumerate(limits):
            w = sum(weight[u] for u in lim.members if u in rising)
            if w > 0:
                free[i] -= w * dt
                if free[i] <= _EPS:
                    full.update(u for u in lim.members if u in rising)
        topped = {u for u in rising if room[u] - extra[u] <= _EPS}
        at_cap |= topped
        rising -= topped | full
    return extra, at_cap
