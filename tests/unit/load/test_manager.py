"""The load manager over EVSE ports: its inputs, its task, what it allocates from."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from edge.load.allocator import Why
from edge.load.manager import PROBE_S, SATISFIED_AFTER_S, LoadManager, grid_sample
from edge.load.site import Circuit, EvseLeaf, LoadRules, Site, Static
from edge.model.clock import ManualClock
from edge.model.events import DeviceSilent
from edge.model.measurement import Measurement as M

from .manager_rig import ROT, UTC0, FakePort, reading, rig, session


async def test_idle_evses_are_held_paused_and_a_new_session_starts_at_its_minimum() -> (
    None
):
    mgr, ports, clock = rig("A", "B")
    mgr.grid_sink("grid")(reading(clock, (5.0, 5.0, 5.0)))
    await mgr.step()
    # no session: 0 A, so that a session cannot draw before its first setpoint
    assert sorted(ports["A"].writes + ports["B"].writes) == [("A", 0.0), ("B", 0.0)]
    ports["A"].session = session("s1")
    first = await mgr.step()
    assert first.setpoints["A"].why is Why.FIRST_SETPOINT
    assert ports["A"].writes[-1] == ("A", 6.0)
    # the next allocation gives the share: 32 - 1 margin - 5 house = 26, max 16
    mgr.grid_sink("grid")(reading(clock, (11.0, 11.0, 11.0)))  # 5 house + 6 car
    ports["A"].drawn = (6.0, 6.0, 6.0)
    await mgr.step()
    assert ports["A"].writes[-1] == ("A", 16.0)
    assert ports["B"].writes == [("B", 0.0)]  # unchanged: not written again


async def test_a_silent_grid_meter_gives_the_failsafe_within_its_timeout() -> None:
    mgr, ports, clock = rig("A", failsafe=8.0)
    ports["A"].session = session("sA")
    ports["A"].drawn = (16.0, 16.0, 16.0)
    mgr.grid_sink("grid")(reading(clock, (16.0, 16.0, 16.0)))
    await mgr.step()
    await mgr.step()
    assert ports["A"].limit_a == 16.0
    task = asyncio.create_task(mgr.run())
    try:
        for _ in range(10):  # the meter answers no more: 1 s ticks
            mgr.grid_sink("grid")(DeviceSilent("grid/meter", "timeout", 0.0))
            clock.advance(1.0)
            for _ in range(20):
                await asyncio.sleep(0)
            if ports["A"].limit_a == 8.0:
                break
        assert ports["A"].limit_a == 8.0
        assert clock.monotonic() <= 6.0  # 5 s timeout, then the next tick
        assert mgr.allocation is not None
        assert mgr.allocation.setpoints["A"].why is Why.FAILSAFE
        assert mgr.allocation.failsafe == {"grid"}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()


async def test_an_evse_change_wakes_the_task() -> None:
    mgr, ports, clock = rig("A")
    mgr.grid_sink("grid")(reading(clock, (0.0, 0.0, 0.0)))
    task = asyncio.create_task(mgr.run())
    try:
        for _ in range(20):
            await asyncio.sleep(0)
        assert ports["A"].limit_a == 0.0
        ports["A"].session = session("sA")
        ports["A"].changed()  # no clock advance: the change alone wakes it
        for _ in range(20):
            await asyncio.sleep(0)
        assert ports["A"].limit_a == 6.0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_a_grid_reading_without_every_phase_current_is_no_sample() -> None:
    clock = ManualClock(UTC0)
    full = reading(clock, (1.0, 2.0, 3.0))
    sample = grid_sample(full)
    assert sample is not None
    assert sample.currents_a == (1.0, 2.0, 3.0)
    values = dict(full.values)
    del values[M.CURRENT_L3]
    assert grid_sample(replace(full, values=values)) is None
    # a slow phase row keeps the time it was read: the sample is as old as it
    old = replace(full, mono=50.0, read_at={M.CURRENT_L2: 40.0})
    sample = grid_sample(old)
    assert sample is not None
    assert sample.read_at == 40.0


async def test_a_satisfied_car_makes_room_and_is_offered_its_minimum_again() -> None:
    mgr, ports, clock = rig("A", "B", limit=20.0)
    for u, p in ports.items():
        p.session = session(f"s{u}")
    mgr.grid_sink("grid")(reading(clock, (0.0, 0.0, 0.0)))
    await mgr.step()
    await mgr.step()
    assert ports["A"].limit_a == ports["B"].limit_a == 9.5  # 19 / 2
    ports["A"].asking = False  # full: offered, not asking
    for _ in range(int(SATISFIED_AFTER_S) + 1):
        clock.advance(1.0)
        mgr.grid_sink("grid")(reading(clock, (0.0, 0.0, 0.0)))
        await mgr.step()
    assert ports["A"].limit_a == 0.0
    assert ports["B"].limit_a == 16.0  # all that A does not take
    clock.advance(PROBE_S)
    mgr.grid_sink("grid")(reading(clock, (0.0, 0.0, 0.0)))
    await mgr.step()
    assert ports["A"].limit_a == 6.0  # asked again, as a new session
    ports["A"].asking = True
    await mgr.step()
    await mgr.step()
    assert ports["A"].limit_a == ports["B"].limit_a == 9.5


async def test_without_a_grid_meter_the_static_limit_is_shared() -> None:
    clock = ManualClock(UTC0)
    leaves = tuple(EvseLeaf(u, 3, ROT, 6.0, 16.0, 1) for u in "AB")
    tree = Site(
        (Circuit("carport", (20.0, 20.0, 20.0), Static(), evses=leaves),),
        LoadRules(margin_a=1.0),
    )
    ports = {u: FakePort(u, clock) for u in "AB"}
    log: list[tuple[str, float]] = []
    for p in ports.values():
        p.log = log
        p.session = session(f"s{p.identity.uid}")
    mgr = LoadManager(tree, ports, clock)
    await mgr.step()
    alloc = await mgr.step()  # no meter, never silent: (20 - 1) / 2 each
    assert not alloc.failsafe
    assert {p.limit_a for p in ports.values()} == {9.5}
