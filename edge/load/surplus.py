"""Charging from solar surplus: a cap per EVSE from the grid connection's export.

Pure: ``(site, EVSE states, circuit readings, now) -> {uid: Cap}``, fed to
:func:`edge.load.allocator.allocate`, which applies every circuit's limit to
what the caps leave (a cap only ever lowers a car).

The surplus of a grid connection (a circuit without parent, metered) is what
it would export if its surplus-mode cars drew nothing::

    surplus_w = (what those cars draw now) - (the meter's signed power) - margin

(the meter's active power is positive when importing). Only the surplus-mode
cars' draw is added back: a ``fast`` car's current is load like the house's.
The cars' currents are turned into power at :data:`VOLTAGE_V` on each grid
phase they draw on, and the surplus is shared on the meter's total power (a
meter that nets the phases, as they bill).

Sharing, for the cars that want current below the connection:

1. every ``surplus_plus_min`` car takes its minimum, surplus or not;
2. each ``surplus`` car, most deserving first (charging before new or paused,
   then priority, then the one charging longest), is admitted if what is left
   covers its minimum (plus the resume margin when it was paused: the
   allocator's hysteresis); one that is not is capped at 0 (paused,
   :attr:`Why.NO_SURPLUS`);
3. what is left is water-filled above the minimums in proportion to priority,
   each car up to its maximum.

A charging car's cap rises only by :data:`RAISE_FROM_A` or more; it falls by
any amount. Steady readings only: while a surplus-mode car below has not
followed its last change (its meter's reading, or the grid meter's, older than its
``steady_from``), the two meters disagree on what it draws and a surplus from
them would swing. Every surplus-mode car there then keeps its present setpoint
as its cap (a new or paused ``surplus`` car waits; a ``surplus_plus_min`` one
may start at its minimum).

Without a fresh, plausible reading with signed power (a silent meter, a profile
without power), ``surplus`` cars are paused (:attr:`Why.SURPLUS_UNKNOWN`) and
``surplus_plus_min`` cars get their minimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from edge.load.allocator import EvseState, GridSample, plausible
from edge.load.caps import Cap
from edge.load.setpoints import Charging, NotStarted, Paused, Why
from edge.load.site import Circuit, EvseLeaf, Metered, Mode, Site

VOLTAGE_V = 230.0
"""Nominal phase voltage: a car's current on a phase as power."""
RAISE_FROM_A = 1.0
"""A charging car's cap rises only by this much or more (the load manager's
settling threshold: a smaller raise is not held while the car follows, and the
meters' disagreement over it would swing the surplus). Lowering is never held
back: any fall of the surplus is followed at once."""
_EPS = 1e-9
SURPLUS_MODES = frozenset({Mode.SURPLUS, Mode.SURPLUS_PLUS_MIN})


@dataclass(frozen=True)
class _Car:
    leaf: EvseLeaf
    state: EvseState
    phases: int
    """Grid phases it draws on."""


def surplus_caps(
    site: Site,
    states: Mapping[str, EvseState],
    grid: Mapping[str, GridSample],
    now: float,
) -> dict[str, Cap]:
    """A cap for every EVSE in a surplus mode whose car wants current."""
    caps: dict[str, Cap] = {}
    for root in site.roots:
        cars = [
            _Car(leaf, st, len(leaf.grid_phases(st.phases)))
            for leaf in root.leaves()
            if leaf.mode in SURPLUS_MODES
            and (st := states.get(leaf.uid)) is not None
            and st.wants_current
        ]
        if cars:
            caps.update(_root_caps(site, root, cars, grid.get(root.id), now))
    return caps


def surplus_w(cars: list[_Car], power_w: float, margin_w: float) -> float:
    """The connection's export if its surplus-mode cars drew nothing, less the margin.

    ``power_w``: the grid meter's signed active power (positive: import).
    """
    ours_w = 0.0
    for car in cars:
        drawn = car.state.drawn_a
        for own in range(car.leaf.wired_phases):
            ours_w += max(0.0, drawn[own]) * VOLTAGE_V
    return ours_w - power_w - margin_w


def _root_caps(
    site: Site,
    root: Circuit,
    cars: list[_Car],
    sample: GridSample | None,
    now: float,
) -> dict[str, Cap]:
    rules = site.rules
    if (
        not isinstance(root.source, Metered)
        or sample is None
        or sample.power_w is None
        or not 0 <= now - sample.read_at <= rules.meter_timeout_s
        or not plausible(sample, root)
    ):
        return {c.leaf.uid: _floor(c, Why.SURPLUS_UNKNOWN) for c in cars}
    steady = all(
        min(c.state.drawn_at, sample.read_at) >= c.state.steady_from for c in cars
    )
    if not steady:
        return {c.leaf.uid: _held(c) for c in cars}

    budget = surplus_w(cars, sample.power_w, rules.surplus_margin_w)
    admitted: list[_Car] = []
    caps: dict[str, Cap] = {}
    for car in cars:
        if car.leaf.mode is Mode.SURPLUS_PLUS_MIN:
            admitted.append(car)
            budget -= car.leaf.min_a * car.phases * VOLTAGE_V
    for car in sorted(
        (c for c in cars if c.leaf.mode is Mode.SURPLUS), key=_deserving, reverse=True
    ):
        last = car.state.last
        if isinstance(last, Paused) and now - last.since < rules.resume_delay_s:
            caps[car.leaf.uid] = _floor(car, Why.NO_SURPLUS)
            continue
        extra = rules.resume_margin_a if isinstance(last, Paused) else 0.0
        need_w = (car.leaf.min_a + extra) * car.phases * VOLTAGE_V
        if budget >= need_w - _EPS:
            admitted.append(car)
            budget -= car.leaf.min_a * car.phases * VOLTAGE_V
        else:
            caps[car.leaf.uid] = _floor(car, Why.NO_SURPLUS)
    shares = _fill(admitted, max(0.0, budget))
    for car in admitted:
        amps = shares[car.leaf.uid]
        last = car.state.last
        if isinstance(last, Charging) and 0 < amps - last.current_a < RAISE_FROM_A:
            amps = last.current_a  # a small raise would not be seen settling
        caps[car.leaf.uid] = Cap(amps, Why.SURPLUS, Why.NO_SURPLUS)
    return caps


def _deserving(car: _Car) -> tuple[int, int, float, str]:
    """Charging cars first, then priority, then the one charging longest."""
    match car.state.last:
        case Charging(since=since):
            return (1, car.leaf.priority, -since, car.leaf.uid)
        case NotStarted() | Paused():
            return (0, car.leaf.priority, 0.0, car.leaf.uid)


def _floor(car: _Car, why: Why) -> Cap:
    """What a car gets without surplus: nothing, or its minimum (surplus plus min)."""
    if car.leaf.mode is Mode.SURPLUS_PLUS_MIN:
        return Cap(car.leaf.min_a, Why.SURPLUS, why)
    return Cap(0.0, why, why)


def _held(car: _Car) -> Cap:
    """The present setpoint while the readings settle (a waiting car stays put)."""
    match car.state.last:
        case Charging(current_a=amps):
            return Cap(amps, Why.SURPLUS, Why.NO_SURPLUS)
        case NotStarted() | Paused():
            return _floor(car, Why.NO_SURPLUS)


def _fill(cars: list[_Car], budget_w: float) -> dict[str, float]:
    """Each car's minimum and its priority's part of ``budget_w``, to its maximum."""
    amps = {c.leaf.uid: c.leaf.min_a for c in cars}
    rising = [c for c in cars if c.leaf.max_a > c.leaf.min_a + _EPS]
    while rising and budget_w > _EPS:
        # per unit of "water": car c rises priority A, costing phases * V each
        cost = sum(c.leaf.priority * c.phases * VOLTAGE_V for c in rising)
        room = min((c.leaf.max_a - amps[c.leaf.uid]) / c.leaf.priority for c in rising)
        step = min(room, budget_w / cost)
        for c in rising:
            amps[c.leaf.uid] += c.leaf.priority * step
        budget_w -= step * cost
        rising = [c for c in rising if c.leaf.max_a - amps[c.leaf.uid] > _EPS]
    return amps
