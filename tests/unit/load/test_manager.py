"""The load manager over EVSE ports: what it writes, in which order, and when."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from edge.evse.port import (
    Connector,
    Draw,
    EvseIdentity,
    EvseKind,
    EvseView,
    RunningSession,
)
from edge.evse.states import EvseStatus, Phase
from edge.load.allocator import Why
from edge.load.manager import (
    FOLLOW_S,
    PROBE_S,
    RETRY_S,
    SATISFIED_AFTER_S,
    LoadManager,
    grid_sample,
)
from edge.load.site import Circuit, EvseLeaf, LoadRules, Metered, Site, Static
from edge.load.site import Phase as GridPhase
from edge.model.clock import ManualClock
from edge.model.commands import CommandOutcome, CommandResult
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement as M

ROT = (GridPhase.L1, GridPhase.L2, GridPhase.L3)
UTC0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakePort:
    """An EVSE port that takes every limit (or refuses, when told)."""

    def __init__(self, uid: str, clock: ManualClock) -> None:
        self.clock = clock
        self._identity = EvseIdentity(
            uid, None, EvseKind.BOARD, (Connector("1"),), 3, 230.0, 6.0, 16.0
        )
        self.limit_a = 16.0
        self.session: RunningSession | None = None
        self._drawn: tuple[float, float, float] | None = None
        self.drawn_at = 0.0
        self.writes: list[tuple[str, float]] = []
        self.log: list[tuple[str, float]]
        self.refuse = False
        self.asking = True
        """The car asks for current (CHARGING) or not (SUSPENDED_EV)."""
        self._listeners: list[Callable[[str], None]] = []

    @property
    def identity(self) -> EvseIdentity:
        return self._identity

    @property
    def drawn(self) -> tuple[float, float, float] | None:
        """Its meter's currents, as read when they were set (the clock's time)."""
        return self._drawn

    @drawn.setter
    def drawn(self, amps: tuple[float, float, float] | None) -> None:
        self._drawn, self.drawn_at = amps, self.clock.monotonic()

    def view(self) -> EvseView:
        draw = None
        if self.drawn is not None:
            draw = Draw(0.0, self.drawn, self.drawn_at)
        return EvseView(
            EvseStatus.CHARGING if self.session else EvseStatus.AVAILABLE,
            (Phase.CHARGING if self.asking else Phase.SUSPENDED_EV)
            if self.session
            else Phase.AVAILABLE,
            None,
            1000,
            draw,
            self.limit_a,
            self.limit_a if self.session and self.limit_a > 0 else None,
            self.session,
        )

    def on_change(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def changed(self) -> None:
        for cb in self._listeners:
            cb(self._identity.uid)

    async def start(self, *_: object) -> CommandResult:
        raise NotImplementedError

    async def stop(self, *_: object) -> CommandResult:
        raise NotImplementedError

    async def set_current_limit(
        self, current_a: float | None, timeout_s: float
    ) -> CommandResult:
        await asyncio.sleep(0)
        assert current_a is not None
        self.log.append((self._identity.uid, current_a))
        if self.refuse:
            return CommandResult(CommandOutcome.REJECTED, "no")
        self.limit_a = current_a
        self.writes.append((self._identity.uid, current_a))
        return CommandResult(CommandOutcome.ACCEPTED)


def site(*uids: str, limit: float = 32.0, failsafe: float = 0.0) -> Site:
    leaves = tuple(EvseLeaf(u, 3, ROT, 6.0, 16.0, 1) for u in uids)
    root = Circuit("grid", (limit, limit, limit), Metered(), evses=leaves)
    return Site((root,), LoadRules(margin_a=1.0, failsafe_current_a=failsafe))


def rig(
    *uids: str, limit: float = 32.0, failsafe: float = 0.0
) -> tuple[LoadManager, dict[str, FakePort], ManualClock]:
    clock = ManualClock(UTC0)
    log: list[tuple[str, float]] = []
    ports = {u: FakePort(u, clock) for u in uids}
    for p in ports.values():
        p.log = log
    return (
        LoadManager(site(*uids, limit=limit, failsafe=failsafe), ports, clock),
        ports,
        clock,
    )


def reading(clock: ManualClock, amps: tuple[float, float, float]) -> DeviceReading:
    now = clock.monotonic()
    values: dict[M, float | str] = {
        M.CURRENT_L1: amps[0],
        M.CURRENT_L2: amps[1],
        M.CURRENT_L3: amps[2],
    }
    return DeviceReading("grid/meter", values, now, clock.utcnow())


def session(sid: str) -> RunningSession:
    return RunningSession(sid, "AA", None, UTC0, 0, 0)


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


async def test_an_overload_lowers_every_car_before_any_is_raised() -> None:
    mgr, ports, clock = rig("A", "B", "C", limit=40.0)
    for u, p in ports.items():
        p.session = session(f"s{u}")
        p.drawn = (6.0, 6.0, 6.0)
    mgr.grid_sink("grid")(reading(clock, (18.0, 18.0, 18.0)))  # house 0
    await mgr.step()  # first setpoints
    await mgr.step()  # shares: 39 / 3 = 13 each
    assert {p.limit_a for p in ports.values()} == {13.0}
    # C leaves; the house jumps to 20 A: A and B to (39 - 20) / 2 = 9.5 each,
    # written after C's pause
    clock.advance(1.0)  # the meters read: the cars at 13 A, C's session over
    for u in "AB":
        ports[u].drawn = (13.0, 13.0, 13.0)
    ports["C"].session = None
    ports["C"].drawn = (0.0, 0.0, 0.0)
    mgr.grid_sink("grid")(reading(clock, (46.0, 46.0, 46.0)))
    log = ports["A"].log
    del log[:]
    await mgr.step()
    assert sorted(log[:3]) == [("A", 9.5), ("B", 9.5), ("C", 0.0)]


async def test_raises_wait_for_every_lowering() -> None:
    mgr, ports, clock = rig("A", "B", limit=40.0)
    ports["A"].session = session("sA")
    ports["A"].drawn = (6.0, 6.0, 6.0)
    mgr.grid_sink("grid")(reading(clock, (6.0, 6.0, 6.0)))
    await mgr.step()
    await mgr.step()
    assert ports["A"].limit_a == 16.0
    # B arrives while the house takes 22 A: A must come down to make room
    clock.advance(1.0)
    ports["A"].drawn = (16.0, 16.0, 16.0)
    ports["B"].session = session("sB")
    mgr.grid_sink("grid")(reading(clock, (38.0, 38.0, 38.0)))
    log = ports["A"].log
    del log[:]
    await mgr.step()
    assert log == [("A", 11.0), ("B", 6.0)]  # 39 - 22 house - 6 = 11


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


async def test_a_refused_setpoint_is_retried_after_a_while_not_every_step() -> None:
    mgr, ports, clock = rig("A")
    ports["A"].refuse = True
    mgr.grid_sink("grid")(reading(clock, (0.0, 0.0, 0.0)))
    await mgr.step()
    await mgr.step()
    assert ports["A"].log == [("A", 0.0)]
    clock.advance(RETRY_S)
    mgr.grid_sink("grid")(reading(clock, (0.0, 0.0, 0.0)))
    ports["A"].refuse = False
    await mgr.step()
    assert ports["A"].writes == [("A", 0.0)]


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


async def test_a_raise_waits_for_a_grid_reading_taken_after_the_last_change() -> None:
    mgr, ports, clock = rig("A", limit=40.0)
    a = ports["A"]
    a.session = session("sA")
    a.drawn = (0.0, 0.0, 0.0)
    mgr.grid_sink("grid")(reading(clock, (4.0, 4.0, 4.0)))
    clock.advance(0.1)
    await mgr.step()
    assert a.limit_a == 6.0  # its first setpoint, after the reading
    clock.advance(0.5)
    a.drawn = (6.0, 6.0, 6.0)
    alloc = await mgr.step()  # its share is 16 A, from a reading before the 6 A
    assert alloc.setpoints["A"].current_a == 16.0  # type: ignore[union-attr]
    assert a.limit_a == 6.0  # held
    mgr.grid_sink("grid")(reading(clock, (10.0, 10.0, 10.0)))
    await mgr.step()
    assert a.limit_a == 16.0
