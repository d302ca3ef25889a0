"""The allocator on small sites, with the numbers worked out by hand."""

from __future__ import annotations

import math

from edge.load.allocator import (
    Charge,
    Charging,
    EvseState,
    GridSample,
    NotStarted,
    Pause,
    Paused,
    Why,
    allocate,
    learned_phases,
    next_last,
)
from edge.load.site import (
    Circuit,
    EvseLeaf,
    LoadRules,
    Metered,
    Phase,
    Site,
    Static,
)

L1L2L3 = (Phase.L1, Phase.L2, Phase.L3)
L2L3L1 = (Phase.L2, Phase.L3, Phase.L1)
L3L1L2 = (Phase.L3, Phase.L1, Phase.L2)
NOW = 10_000.0


def leaf(
    uid: str,
    phases: int = 3,
    rotation: tuple[Phase, Phase, Phase] = L1L2L3,
    max_a: float = 16.0,
    priority: int = 1,
) -> EvseLeaf:
    return EvseLeaf(uid, phases, rotation, 6.0, max_a, priority)


def one_circuit(
    *leaves: EvseLeaf,
    limit: float = 32.0,
    metered: bool = False,
    rules: LoadRules | None = None,
) -> Site:
    source = Metered() if metered else Static()
    root = Circuit("main", (limit, limit, limit), source, evses=leaves)
    return Site((root,), rules or LoadRules(margin_a=1.0, failsafe_current_a=6.0))


def charging(since: float = 0.0, current: float = 10.0, **kw: object) -> EvseState:
    return EvseState(True, Charging(current, since), **kw)  # type: ignore[arg-type]


def amps(setpoint: object) -> float:
    assert isinstance(setpoint, Charge), setpoint
    return setpoint.current_a


def test_two_cars_share_a_static_circuit_equally() -> None:
    site = one_circuit(leaf("a"), leaf("b"))
    out = allocate(site, {"a": charging(), "b": charging()}, {}, NOW)
    # 32 A less the 1 A margin, halved.
    assert out.setpoints == {"a": Charge(15.5, Why.SHARE), "b": Charge(15.5, Why.SHARE)}
    assert out.load_a["main"] == (31.0, 31.0, 31.0)
    assert out.failsafe == frozenset()


def test_priorities_weight_the_share_above_the_minimums() -> None:
    site = one_circuit(leaf("a", priority=1), leaf("b", priority=3))
    out = allocate(site, {"a": charging(), "b": charging()}, {}, NOW)
    # 31 A free, 12 A of minimums, 19 A shared 1:3 -> 10.75 and 20.25; b is
    # capped at 16 A, and a rises to what is left: 31 - 16 = 15 A.
    assert out.setpoints["b"] == Charge(16.0, Why.AT_MAXIMUM)
    assert out.setpoints["a"] == Charge(15.0, Why.SHARE)


def test_single_phase_cars_count_on_the_grid_phase_of_their_wiring() -> None:
    # Three 1-phase EVSEs; two wired with their L1 on grid L1, one on grid L2.
    site = one_circuit(leaf("a", 1), leaf("b", 1), leaf("c", 1, L2L3L1), limit=16.0)
    out = allocate(site, {u: charging() for u in "abc"}, {}, NOW)
    assert amps(out.setpoints["a"]) == 7.5
    assert amps(out.setpoints["b"]) == 7.5
    assert out.setpoints["c"] == Charge(15.0, Why.SHARE)
    assert out.load_a["main"] == (15.0, 15.0, 0.0)


def test_learned_phases_move_a_three_phase_evse_onto_one_grid_phase() -> None:
    # The car draws only on the EVSE's own L1, which is wired to grid L3.
    drawn = (9.8, 0.2, 0.0)
    assert learned_phases(drawn) == frozenset({Phase.L1})
    site = one_circuit(leaf("a", 3, L3L1L2), leaf("b", 1, L1L2L3), limit=16.0)
    states = {
        "a": charging(drawn_a=drawn, phases=learned_phases(drawn)),
        "b": charging(),
    }
    out = allocate(site, states, {}, NOW)
    # Not sharing a phase: each gets the whole 15 A of its own.
    assert out.setpoints == {"a": Charge(15.0, Why.SHARE), "b": Charge(15.0, Why.SHARE)}
    assert out.load_a["main"] == (15.0, 0.0, 15.0)


def test_house_load_is_the_grid_meter_less_our_evses() -> None:
    site = one_circuit(leaf("a"), limit=25.0, metered=True)
    drawn = (8.0, 8.0, 8.0)
    grid = {"main": GridSample((20.0, 10.0, 10.0), NOW - 0.5)}
    out = allocate(site, {"a": charging(drawn_a=drawn)}, grid, NOW)
    # House (12, 2, 2): L1 has 25 - 1 - 12 = 12 A free.
    assert out.house_a["main"] == (12.0, 2.0, 2.0)
    assert out.setpoints["a"] == Charge(12.0, Why.SHARE)
    # Export (the meter below our own draw) never loosens the limit.
    grid = {"main": GridSample((3.0, 3.0, 3.0), NOW)}
    out = allocate(site, {"a": charging(drawn_a=drawn)}, grid, NOW)
    assert out.house_a["main"] == (0.0, 0.0, 0.0)
    assert out.setpoints["a"] == Charge(16.0, Why.AT_MAXIMUM)


def test_throttle_to_the_minimum_then_pause_the_last_started() -> None:
    site = one_circuit(leaf("a"), leaf("b"), leaf("c"), limit=16.0)
    states = {"a": charging(100.0), "b": charging(200.0), "c": charging(300.0)}
    out = allocate(site, states, {}, NOW)
    # 15 A free: three minimums (18 A) do not fit, two do. c started last.
    assert out.setpoints["c"] == Pause(Why.NO_HEADROOM)
    assert out.setpoints["a"] == Charge(7.5, Why.SHARE)
    assert out.setpoints["b"] == Charge(7.5, Why.SHARE)
    # With 19 A free all three charge, throttled: 19 / 3 = 6.33 -> 6.3 A, and
    # the 0.1 A that rounding left goes to one of them
    wider = one_circuit(leaf("a"), leaf("b"), leaf("c"), limit=20.0)
    out = allocate(wider, states, {}, NOW)
    assert {u: amps(s) for u, s in out.setpoints.items()} == {
        "a": 6.4,
        "b": 6.3,
        "c": 6.3,
    }


def test_whole_amp_boards_share_what_rounding_down_leaves() -> None:
    boards = [EvseLeaf(u, 3, L1L2L3, 6.0, 16.0, 1, step_a=1.0) for u in "abc"]
    site = one_circuit(*boards, limit=21.0)
    states = {u: charging(100.0, current=6.0) for u in "abc"}
    out = allocate(site, states, {}, NOW)
    # 20 A free: 6.67 A each, 6 A on a board; the 2 A left go to two of them
    got = {u: amps(s) for u, s in out.setpoints.items()}
    assert sorted(got.values()) == [6.0, 7.0, 7.0]
    # the cars that held 7 A keep it: the step does not hop between cars
    states = {u: charging(100.0, current=got[u]) for u in "abc"}
    assert {
        u: amps(s) for u, s in allocate(site, states, {}, NOW).setpoints.items()
    } == got
    states = {u: charging(100.0, current=7.0 if u == "c" else 6.0) for u in "abc"}
    out = allocate(site, states, {}, NOW)
    assert amps(out.setpoints["c"]) == 7.0


def test_a_lower_priority_car_is_paused_before_a_higher_one() -> None:
    site = one_circuit(leaf("a", priority=2), leaf("b", priority=1), limit=12.0)
    out = allocate(site, {"a": charging(300.0), "b": charging(100.0)}, {}, NOW)
    assert out.setpoints == {"a": Charge(11.0, Why.SHARE), "b": Pause(Why.NO_HEADROOM)}


def test_a_new_session_starts_at_the_minimum() -> None:
    site = one_circuit(leaf("a"), leaf("b"))
    states = {"a": charging(current=15.5), "b": EvseState(True, NotStarted())}
    out = allocate(site, states, {}, NOW)
    assert out.setpoints["b"] == Charge(6.0, Why.FIRST_SETPOINT)
    assert out.setpoints["a"] == Charge(16.0, Why.AT_MAXIMUM)
    # No room for its minimum: it waits, and the charging car is not touched.
    site = one_circuit(leaf("a", max_a=32.0), leaf("b"), limit=36.0)
    states = {"a": charging(current=32.0), "b": EvseState(True, NotStarted())}
    out = allocate(site, states, {}, NOW)
    # 35 A free: a at 29 A and b at 6 A fit, so the new car starts.
    assert out.setpoints == {
        "a": Charge(29.0, Why.SHARE),
        "b": Charge(6.0, Why.FIRST_SETPOINT),
    }
    site = one_circuit(leaf("a", max_a=32.0), leaf("b", max_a=32.0), limit=10.0)
    out = allocate(site, states, {}, NOW)
    assert out.setpoints == {"a": Charge(9.0, Why.SHARE), "b": Pause(Why.NO_HEADROOM)}


def test_a_paused_car_resumes_after_the_delay_with_the_margin_free() -> None:
    site = one_circuit(leaf("a"), limit=8.0)  # 7 A free: the minimum plus 1 A
    paused = EvseState(True, Paused(NOW - 599.0))
    assert allocate(site, {"a": paused}, {}, NOW).setpoints["a"] == Pause(
        Why.RESUME_DELAY
    )
    paused = EvseState(True, Paused(NOW - 600.0))
    assert allocate(site, {"a": paused}, {}, NOW).setpoints["a"] == Charge(
        7.0, Why.SHARE
    )
    # 6.5 A free: enough for the minimum, not for the margin above it.
    site = one_circuit(leaf("a"), limit=7.5)
    assert allocate(site, {"a": paused}, {}, NOW).setpoints["a"] == Pause(
        Why.NO_HEADROOM
    )
    # A charging car keeps charging on the same 6.5 A.
    assert allocate(site, {"a": charging()}, {}, NOW).setpoints["a"] == Charge(
        6.5, Why.SHARE
    )


def test_a_silent_or_implausible_meter_gives_the_failsafe() -> None:
    site = one_circuit(leaf("a"), leaf("b"), leaf("c"), metered=True)
    states = {
        "a": charging(current=12.0),
        "b": charging(current=5.0 + 1.0),
        "c": EvseState(True, NotStarted()),
    }
    expect = {
        "a": Charge(6.0, Why.FAILSAFE),
        "b": Charge(6.0, Why.FAILSAFE),
        "c": Charge(6.0, Why.FAILSAFE),
    }
    for grid in (
        {},
        {"main": GridSample((1.0, 1.0, 1.0), NOW - 5.01)},
        {"main": GridSample((math.nan, 1.0, 1.0), NOW)},
        {"main": GridSample((-1.0, 1.0, 1.0), NOW)},
        {"main": GridSample((321.0, 1.0, 1.0), NOW)},  # ten times the fuse, and more
        {"main": GridSample((1.0, 1.0, 1.0), NOW + 1.0)},  # from the future
    ):
        out = allocate(site, states, grid, NOW)
        assert out.setpoints == expect, grid
        assert out.failsafe == frozenset({"main"})
    out = allocate(site, states, {"main": GridSample((1.0, 1.0, 1.0), NOW - 5.0)}, NOW)
    assert out.failsafe == frozenset()
    # Failsafe 0 pauses every car; a paused car stays paused.
    rules = LoadRules(failsafe_current_a=0.0)
    site = one_circuit(leaf("a"), metered=True, rules=rules)
    assert allocate(site, {"a": charging()}, {}, NOW).setpoints["a"] == Pause(
        Why.FAILSAFE
    )


def test_a_subcircuit_limit_holds_under_a_larger_parent() -> None:
    carport = Circuit(
        "carport", (20.0, 20.0, 20.0), Static(), evses=(leaf("a"), leaf("b"))
    )
    root = Circuit("main", (63.0, 63.0, 63.0), Static(), (carport,), (leaf("c"),))
    out = allocate(Site((root,), LoadRules()), {u: charging() for u in "abc"}, {}, NOW)
    assert out.setpoints == {
        "a": Charge(9.5, Why.SHARE),
        "b": Charge(9.5, Why.SHARE),
        "c": Charge(16.0, Why.AT_MAXIMUM),
    }
    assert out.load_a == {"main": (35.0, 35.0, 35.0), "carport": (19.0, 19.0, 19.0)}


def test_idle_evses_get_no_current() -> None:
    site = one_circuit(leaf("a"), leaf("b"))
    out = allocate(site, {"a": EvseState(False, NotStarted())}, {}, NOW)
    assert out.setpoints == {"a": Pause(Why.NO_DEMAND), "b": Pause(Why.NO_DEMAND)}


def test_next_last_records_pauses_and_resumes() -> None:
    assert next_last(NotStarted(), Charge(6.0, Why.FIRST_SETPOINT), 5.0) == Charging(
        6.0, 5.0
    )
    assert next_last(Charging(6.0, 5.0), Charge(9.0, Why.SHARE), 7.0) == Charging(
        9.0, 5.0
    )
    assert next_last(Charging(6.0, 5.0), Pause(Why.NO_HEADROOM), 8.0) == Paused(8.0)
    assert next_last(Paused(8.0), Pause(Why.NO_HEADROOM), 9.0) == Paused(8.0)
    assert next_last(Paused(8.0), Pause(Why.FAILSAFE), 9.0) == Paused(8.0)
    assert next_last(Paused(8.0), Charge(7.0, Why.SHARE), 700.0) == Charging(7.0, 700.0)
    assert next_last(Charging(6.0, 5.0), Pause(Why.NO_DEMAND), 9.0) == NotStarted()
    assert next_last(Charging(6.0, 5.0), Pause(Why.FAILSAFE), 9.0) == NotStarted()
