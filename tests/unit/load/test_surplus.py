"""Charging from solar surplus: the caps, and the allocator under them.

The properties recompute each circuit's load on their own (as the allocator's
own properties do); the closed loop steps a site of surplus cars against a
constant sun and checks the grid connection's power itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.load.allocator import (
    Cap,
    Charge,
    Charging,
    EvseState,
    GridSample,
    Last,
    NotStarted,
    Pause,
    Paused,
    Why,
    allocate,
    learned_phases,
    next_last,
)
from edge.load.site import Circuit, EvseLeaf, LoadRules, Metered, Mode, Phase, Site
from edge.load.surplus import RAISE_FROM_A, VOLTAGE_V, surplus_caps

from .strategies import (
    NOW,
    ROTATIONS,
    SETTINGS,
    TOL,
    Case,
    charging_amps,
    house,
    loads,
    surplus_cases,
)

ROT = (Phase.L1, Phase.L2, Phase.L3)
LOOP_SETTINGS = settings(SETTINGS, max_examples=40)
"""Each example of a closed loop is dozens of allocations."""


@SETTINGS
@given(surplus_cases())
def test_surplus_never_puts_a_circuit_over_its_limit_on_any_phase(case: Case) -> None:
    caps = surplus_caps(case.site, case.states, case.grid, NOW)
    out = allocate(case.site, case.states, case.grid, NOW, caps)
    given_a = charging_amps(out.setpoints)
    for circuit in case.site.circuits():
        h = house(case, circuit)
        for p, ours in enumerate(loads(case, given_a, circuit)):
            free = circuit.limit_a[p] - case.site.rules.margin_a - h[p]
            assert ours <= max(0.0, free) + TOL, (circuit.id, p, ours, free)
    leaves = {leaf.uid: leaf for leaf in case.site.leaves()}
    for uid, cap in caps.items():
        assert leaves[uid].mode is not Mode.FAST
        sp = out.setpoints[uid]
        if isinstance(sp, Charge):  # a cap only ever lowers its car
            assert leaves[uid].min_a <= sp.current_a <= cap.current_a + TOL


# ---- a closed loop: surplus cars against a constant sun ------------------------


@dataclass
class Car:
    """An EV on an EVSE: draws what it is offered, up to its own limit."""

    leaf: EvseLeaf
    phases: int
    """1 or 3: the car's own phases (at most the EVSE's)."""
    limit_a: float
    last: Last = field(default_factory=NotStarted)
    offered_a: float = 0.0
    changed_at: float = -1e9
    pauses: int = 0

    def drawn(self) -> tuple[float, float, float]:
        amps = min(self.offered_a, self.limit_a)
        n = min(self.phases, self.leaf.wired_phases)
        out = [amps if p < n else 0.0 for p in range(3)]
        return (out[0], out[1], out[2])


def grid_power_w(cars: list[Car], house_a: float, solar_a: float) -> float:
    net = [house_a - solar_a] * 3
    for car in cars:
        for own, amps in enumerate(car.drawn()):
            net[car.leaf.rotation[own]] += amps
    return sum(n * VOLTAGE_V for n in net)


def run_loop(
    cars: list[Car], rules: LoadRules, house_a: float, solar_a: float, steps: int
) -> tuple[list[float], dict[str, EvseState]]:
    """Allocate once a second; the cars follow before the next reading."""
    root = Circuit(
        "grid", (63.0, 63.0, 63.0), Metered(), evses=tuple(c.leaf for c in cars)
    )
    site = Site((root,), rules)
    powers = []
    states: dict[str, EvseState] = {}
    for step in range(steps):
        now = float(step)
        power = grid_power_w(cars, house_a, solar_a)
        powers.append(power)
        currents = [house_a - solar_a] * 3
        for car in cars:
            for own, amps in enumerate(car.drawn()):
                currents[car.leaf.rotation[own]] += amps
        sample = GridSample(
            (abs(currents[0]), abs(currents[1]), abs(currents[2])), now, power
        )
        states = {
            c.leaf.uid: EvseState(
                True,
                c.last,
                c.drawn(),
                learned_phases(c.drawn()),
                drawn_at=now,
                steady_from=c.changed_at + 5.0,
            )
            for c in cars
        }
        caps = surplus_caps(site, states, {"grid": sample}, now)
        out = allocate(site, states, {"grid": sample}, now, caps)
        for car in cars:
            sp = out.setpoints[car.leaf.uid]
            amps = sp.current_a if isinstance(sp, Charge) else 0.0
            if isinstance(sp, Pause) and isinstance(car.last, Charging):
                car.pauses += 1
            if abs(amps - car.offered_a) >= 1.0:
                car.changed_at = now
            car.offered_a = amps
            car.last = next_last(car.last, sp, now)
    return powers, states


@st.composite
def fleets(draw: st.DrawFn) -> list[Car]:
    out = []
    for j in range(draw(st.integers(1, 4))):
        wired = draw(st.sampled_from([1, 3]))
        leaf = EvseLeaf(
            f"e{j}",
            wired,
            draw(st.sampled_from(ROTATIONS)),
            6.0,
            draw(st.sampled_from([16.0, 32.0])),
            draw(st.integers(1, 3)),
            Mode.SURPLUS,
        )
        out.append(Car(leaf, draw(st.sampled_from([1, 3])), draw(st.floats(6, 32))))
    return out


@LOOP_SETTINGS
@given(
    fleets(),
    st.floats(0, 15),
    st.floats(0, 40),
    st.floats(0, 400),
)
def test_surplus_only_never_imports_in_steady_state(
    cars: list[Car], house_a: float, solar_a: float, margin_w: float
) -> None:
    rules = LoadRules(resume_delay_s=30.0, surplus_margin_w=margin_w)
    powers, states = run_loop(cars, rules, house_a, solar_a, 80)
    base_w = (house_a - solar_a) * 3 * VOLTAGE_V  # the site without our cars
    # whenever a car draws, no import: at least the margin stays exported
    for t, power in enumerate(powers):
        if power > base_w + TOL:
            assert power <= -margin_w + TOL, (t, power)
    for car in cars:  # a constant sun pauses no car
        assert car.pauses == 0, car
    charging = [c for c in cars if isinstance(c.last, Charging)]
    if not charging:
        # nobody charges only if no car's minimum fits the surplus
        surplus = -powers[-1] - margin_w
        for car in cars:
            n = len(car.leaf.grid_phases(states[car.leaf.uid].phases))
            assert surplus < car.leaf.min_a * n * VOLTAGE_V + TOL


@LOOP_SETTINGS
@given(st.floats(6.5, 30), st.floats(0, 400))
def test_one_car_takes_the_whole_surplus_within_the_raise_step(
    surplus_a: float, margin_w: float
) -> None:
    leaf = EvseLeaf("e0", 3, ROT, 6.0, 32.0, 1, Mode.SURPLUS)
    car = Car(leaf, 3, 32.0)
    rules = LoadRules(surplus_margin_w=margin_w)
    run_loop([car], rules, 4.0, 4.0 + surplus_a, 20)
    ideal = surplus_a - margin_w / (3 * VOLTAGE_V)
    if ideal >= 6.0:
        assert isinstance(car.last, Charging)
        assert ideal - RAISE_FROM_A - 0.1 - TOL <= car.offered_a <= ideal + TOL
    else:
        assert car.offered_a == 0.0


# ---- examples ------------------------------------------------------------------


def one_root(*leaves: EvseLeaf, margin_w: float = 0.0) -> Site:
    root = Circuit("grid", (40.0, 40.0, 40.0), Metered(), evses=leaves)
    return Site((root,), LoadRules(surplus_margin_w=margin_w, resume_delay_s=600.0))


def leaf(uid: str, mode: Mode, wired: int = 3, priority: int = 1) -> EvseLeaf:
    return EvseLeaf(uid, wired, ROT, 6.0, 16.0, priority, mode)


def charging(amps: float, drawn: float | None = None, **kw: float) -> EvseState:
    d = amps if drawn is None else drawn
    return EvseState(True, Charging(amps, 0.0), (d, d, d), drawn_at=NOW, **kw)


def sample(power_w: float | None, at: float = NOW) -> dict[str, GridSample]:
    return {"grid": GridSample((5.0, 5.0, 5.0), at, power_w)}


def test_a_car_rises_to_the_export_plus_its_own_draw() -> None:
    site = one_root(leaf("a", Mode.SURPLUS), margin_w=100.0)
    # drawing 8 A on 3 phases (5520 W) while 2070 W more is exported
    caps = surplus_caps(site, {"a": charging(8.0)}, sample(-2070.0), NOW)
    assert abs(caps["a"].current_a - (5520 + 2070 - 100) / 690) < 1e-9
    out = allocate(site, {"a": charging(8.0)}, sample(-2070.0), NOW, caps)
    assert out.setpoints["a"] == Charge(10.8, Why.SURPLUS)


def test_a_small_raise_waits_and_any_fall_is_followed() -> None:
    site = one_root(leaf("a", Mode.SURPLUS))
    up = surplus_caps(site, {"a": charging(8.0)}, sample(-600.0), NOW)
    assert up["a"].current_a == 8.0  # 0.87 A more: under RAISE_FROM_A
    down = surplus_caps(site, {"a": charging(8.0)}, sample(+100.0), NOW)
    assert down["a"].current_a < 8.0


def test_below_the_minimum_the_car_pauses_and_then_waits_out_the_delay() -> None:
    site = one_root(leaf("a", Mode.SURPLUS))
    state = charging(8.0)
    grid = sample(5520.0 - 5.9 * 690)  # 5.9 A of surplus
    caps = surplus_caps(site, {"a": state}, grid, NOW)
    out = allocate(site, {"a": state}, grid, NOW, caps)
    assert out.setpoints["a"] == Pause(Why.NO_SURPLUS)
    paused = next_last(state.last, out.setpoints["a"], NOW)
    assert paused == Paused(NOW)
    # the sun is back at once: the resume delay still holds
    later = EvseState(True, paused, drawn_at=NOW + 10)
    grid = sample(-20 * 690.0, NOW + 10)
    caps = surplus_caps(site, {"a": later}, grid, NOW + 10)
    out = allocate(site, {"a": later}, grid, NOW + 10, caps)
    assert out.setpoints["a"] == Pause(Why.RESUME_DELAY)
    # after the delay it resumes only with the resume margin above its minimum
    at = NOW + 700
    for surplus_a, want in (
        (6.5, Pause(Why.NO_SURPLUS)),
        (7.2, Charge(7.2, Why.SURPLUS)),
    ):
        st_ = EvseState(True, paused, drawn_at=at)
        grid = sample(-surplus_a * 690, at)
        out = allocate(
            site, {"a": st_}, grid, at, surplus_caps(site, {"a": st_}, grid, at)
        )
        assert out.setpoints["a"] == want, surplus_a


def test_surplus_plus_min_keeps_its_minimum_without_sun_and_a_silent_meter() -> None:
    site = one_root(leaf("a", Mode.SURPLUS_PLUS_MIN), leaf("b", Mode.SURPLUS))
    states = {"a": charging(6.0), "b": EvseState(True, NotStarted(), drawn_at=NOW)}
    caps = surplus_caps(site, states, sample(8000.0), NOW)
    assert caps["a"] == Cap(6.0, Why.SURPLUS, Why.NO_SURPLUS)
    assert caps["b"].current_a == 0.0
    for grid in (sample(None), sample(-9000.0, NOW - 6.0), {}):
        caps = surplus_caps(site, states, grid, NOW)
        assert caps["a"].current_a == 6.0
        assert caps["b"] == Cap(0.0, Why.SURPLUS_UNKNOWN, Why.SURPLUS_UNKNOWN)


def test_a_fast_car_is_load_and_the_surplus_cars_share_by_priority() -> None:
    site = one_root(
        leaf("fast", Mode.FAST),
        leaf("a", Mode.SURPLUS, priority=2),
        leaf("b", Mode.SURPLUS, priority=1),
    )
    states = {"fast": charging(10.0), "a": charging(6.0), "b": charging(6.0)}
    # export 4140 W with a and b at 6 A each: 12420 W of surplus for the two
    caps = surplus_caps(site, states, sample(-4140.0), NOW)
    assert "fast" not in caps
    extra = 12420 / 690 - 12.0  # 6 A above the two minimums: 4 to a, 2 to b
    assert abs(caps["a"].current_a - (6.0 + 2 * extra / 3)) < 1e-9
    assert abs(caps["b"].current_a - (6.0 + extra / 3)) < 1e-9


def test_only_the_cars_that_fit_start_most_deserving_first() -> None:
    site = one_root(leaf("a", Mode.SURPLUS), leaf("b", Mode.SURPLUS, priority=3))
    new = EvseState(True, NotStarted(), drawn_at=NOW)
    caps = surplus_caps(site, {"a": new, "b": new}, sample(-8 * 690.0), NOW)
    assert caps["b"].current_a == 8.0
    assert caps["a"] == Cap(0.0, Why.NO_SURPLUS, Why.NO_SURPLUS)


def test_while_a_car_settles_the_caps_hold() -> None:
    site = one_root(leaf("a", Mode.SURPLUS), leaf("b", Mode.SURPLUS))
    states = {
        "a": charging(10.0, drawn=6.0, steady_from=NOW + 1),  # raised, not yet read
        "b": EvseState(True, NotStarted(), drawn_at=NOW),
    }
    caps = surplus_caps(site, states, sample(-20_000.0), NOW)
    assert caps["a"].current_a == 10.0
    assert caps["b"].current_a == 0.0
