"""The house load of a circuit reading: the reading less our cars at its time.

The rules first, then the load manager taking them on its readings.
"""

from __future__ import annotations

from edge.load.house import FOLLOW_S, HOLD_S, HouseLoads, Trace, house_load
from edge.load.setpoints import Why
from edge.load.site import EvseLeaf, Phase

from .manager_rig import reading, rig, session

ALL = frozenset(Phase)
LEAF = EvseLeaf("A", 3, (Phase.L1, Phase.L2, Phase.L3), 6.0, 16.0, 1)


def test_a_car_reading_after_the_circuit_reading_is_not_taken_out_of_it() -> None:
    trace = Trace(16.0)
    trace.read(0.0, (16.0, 16.0, 16.0))
    trace.took(1.0, 1.1, 11.0)  # lowered after the circuit meter read at 0.5
    trace.read(3.0, (11.0, 11.0, 11.0))
    car = trace.at(0.5, ALL, may_draw=True)
    assert not car.settling
    assert car.lo == car.hi == (16.0, 16.0, 16.0)
    assert car.read_at == 0.0
    # a circuit reading of 4 A house + 16 A car is 4 A house, not 9
    house, settling = house_load((20.0, 20.0, 20.0), [(LEAF, car)], None)
    assert house == (4.0, 4.0, 4.0)
    assert not settling


def test_a_car_over_its_limit_counts_at_its_limit() -> None:
    trace = Trace(6.0)
    trace.read(10.0, (16.0, 16.0, 0.0))
    car = trace.at(10.5, ALL, may_draw=True)
    assert car.lo == car.hi == (6.0, 6.0, 0.0)  # the rest is load we do not command


def test_a_settling_car_draws_between_its_reading_and_its_new_limit() -> None:
    trace = Trace(6.0)
    trace.read(0.0, (6.0, 6.0, 6.0))
    trace.took(0.2, 0.3, 16.0)  # raised; the circuit meter reads at 1.0
    car = trace.at(1.0, frozenset({Phase.L1}), may_draw=True)
    assert car.settling
    assert car.lo == (6.0, 6.0, 6.0)
    assert car.hi == (16.0, 6.0, 6.0)  # it rises only on the phase it draws on
    # the house load is within 30 - 16 .. 30 - 6 on L1: the last one known
    # with no car settling, moved into it
    house, settling = house_load((30.0, 12.0, 12.0), [(LEAF, car)], (17.0, 6.0, 6.0))
    assert settling
    assert house == (17.0, 6.0, 6.0)
    house, _ = house_load((30.0, 12.0, 12.0), [(LEAF, car)], (2.0, 6.0, 6.0))
    assert house == (14.0, 6.0, 6.0)
    house, _ = house_load((30.0, 12.0, 12.0), [(LEAF, car)], None)
    assert house == (24.0, 6.0, 6.0)  # nothing held: the top (the safe side)
    # once it had its time to follow, a reading of it is what it draws
    trace.read(0.3 + FOLLOW_S, (15.0, 0.0, 0.0))
    car = trace.at(0.4 + FOLLOW_S, ALL, may_draw=True)
    assert not car.settling
    assert car.lo == car.hi == (15.0, 0.0, 0.0)


def test_a_car_whose_session_ended_counts_at_least_nothing() -> None:
    trace = Trace(16.0)
    trace.read(0.0, (16.0, 16.0, 16.0))
    car = trace.at(0.5, ALL, may_draw=False)  # its contactor may be open
    assert car.lo == (0.0, 0.0, 0.0)
    unread = Trace(16.0)
    car = unread.at(0.5, ALL, may_draw=True)  # no reading yet: up to its limit
    assert car.settling
    assert (car.lo, car.hi) == ((0.0, 0.0, 0.0), (16.0, 16.0, 16.0))


def test_old_readings_and_changes_are_forgotten_but_the_limit_is_kept() -> None:
    trace = Trace(0.0)
    for t in range(20):
        trace.read(float(t), (10.0, 10.0, 10.0))
        trace.took(t + 0.5, t + 0.6, 10.0 + t % 2)
    trace.forget(15.0)
    assert trace.readings[0][0] == 15.0
    assert all(c.taken_at >= 15.0 - FOLLOW_S for c in trace.changes)
    assert trace.limit_a() == 10.0 + 19 % 2
    assert trace.limit_a(15.0) == 10.0 + 14 % 2


def test_a_reading_has_one_house_load_and_a_settling_one_holds_the_steady_one() -> None:
    loads = HouseLoads()
    trace = Trace(6.0)
    trace.read(0.0, (6.0, 6.0, 6.0))
    car = trace.at(0.5, ALL, may_draw=True)
    assert loads.of("grid", (10.0, 10.0, 10.0), 0.5, [(LEAF, car)]) == (4.0, 4.0, 4.0)
    # the same reading, with the same car reading, is not taken again
    assert loads.of("grid", (30.0, 30.0, 30.0), 0.5, [(LEAF, car)]) == (4.0, 4.0, 4.0)
    # raised to 16 A: the next readings see it settling, anywhere in 6..16 A
    trace.took(1.0, 1.1, 16.0)
    car = trace.at(2.0, ALL, may_draw=True)
    assert car.settling
    # 20 A is 4..14 A house: the steady 4 A of 1.5 s before holds
    assert loads.of("grid", (20.0, 20.0, 20.0), 2.0, [(LEAF, car)]) == (4.0, 4.0, 4.0)
    # another circuit holds nothing of this one's: the top (the safe side)
    assert loads.of("sub", (20.0, 20.0, 20.0), 2.0, [(LEAF, car)]) == (
        14.0,
        14.0,
        14.0,
    )
    # a steady house load older than HOLD_S holds no more
    t = 0.5 + HOLD_S + 0.5
    car = trace.at(t, ALL, may_draw=True)
    assert car.settling
    assert loads.of("grid", (20.0, 20.0, 20.0), t, [(LEAF, car)]) == (
        14.0,
        14.0,
        14.0,
    )


async def test_a_lowered_cars_stale_draw_is_not_subtracted_from_the_grid() -> None:
    mgr, ports, clock = rig("A", limit=40.0)
    ports["A"].session = session("sA")
    mgr.grid_sink("grid")(reading(clock, (16.0, 16.0, 16.0)))
    ports["A"].drawn = (16.0, 16.0, 16.0)
    await mgr.step()
    assert ports["A"].limit_a == 6.0  # its first setpoint; its meter shows 16 A
    clock.advance(FOLLOW_S)  # the car had its time to follow; its meter:
    ports["A"].drawn = (16.0, 16.0, 16.0)
    mgr.grid_sink("grid")(reading(clock, (16.0, 16.0, 16.0)))
    alloc = await mgr.step()
    # ours is at most the 6 A it holds: 10 A of the reading counts as house
    assert alloc.house_a["grid"] == (10.0, 10.0, 10.0)


async def test_a_ramp_of_our_own_cars_is_not_taken_for_house_load() -> None:
    mgr, ports, clock = rig("A", "B", limit=40.0)
    mgr.grid_sink("grid")(reading(clock, (10.0, 10.0, 10.0)))  # the house: 10 A
    await mgr.step()
    for u in "AB":
        ports[u].session = session(f"s{u}")
        ports[u].drawn = (0.0, 0.0, 0.0)
    await mgr.step()  # first setpoints: 6 A each
    clock.advance(1.0)
    # both ramp up; the grid meter sees it before their own meters do
    mgr.grid_sink("grid")(reading(clock, (22.0, 22.0, 22.0)))
    alloc = await mgr.step()
    assert alloc.house_a["grid"] == (10.0, 10.0, 10.0)  # not 22
    assert {p.limit_a for p in ports.values()} == {14.5}  # (39 - 10) / 2
    # a real rise of the house load beyond what the cars may draw still shows
    clock.advance(1.0)
    mgr.grid_sink("grid")(reading(clock, (60.0, 60.0, 60.0)))
    alloc = await mgr.step()
    assert min(alloc.house_a["grid"]) >= 60.0 - 2 * 14.5 - 0.01


async def test_a_silent_grid_meters_last_reading_keeps_its_house_load() -> None:
    mgr, ports, clock = rig("A", limit=40.0, failsafe=8.0)
    a = ports["A"]
    a.session = session("sA")
    a.drawn = (16.0, 16.0, 16.0)
    mgr.grid_sink("grid")(reading(clock, (20.0, 20.0, 20.0)))  # 4 A house
    await mgr.step()
    await mgr.step()
    assert a.limit_a == 16.0
    clock.advance(FOLLOW_S + 1)
    a.drawn = (16.0, 16.0, 16.0)
    mgr.grid_sink("grid")(reading(clock, (44.0, 44.0, 44.0)))  # the house: 28 A
    alloc = await mgr.step()
    assert a.limit_a == 11.0  # 40 - 1 - 28
    # The meter answers no more; the car follows (its meter shows 11 A). Its
    # last reading still saw the car at 16 A: the house stays 28 A, not 33 A
    # (which would throttle the car to 6 A, under the failsafe's 8 A)
    for _ in range(4):
        clock.advance(1.0)
        a.drawn = (11.0, 11.0, 11.0)
        alloc = await mgr.step()
        assert alloc.house_a["grid"] == (28.0, 28.0, 28.0)
        assert a.limit_a == 11.0
    clock.advance(1.5)  # 5.5 s after the last reading
    alloc = await mgr.step()
    assert a.limit_a == 8.0
    assert alloc.setpoints["A"].why is Why.FAILSAFE
