"""Applying the load manager's setpoints: what it writes, in which order, and when."""

from __future__ import annotations

import asyncio

from edge.load.applier import RETRY_S
from edge.load.manager import LoadManager
from edge.load.setpoints import Why
from edge.model.clock import ManualClock
from edge.model.commands import CommandResult

from .manager_rig import UTC0, FakePort, reading, rig, session, site


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


class SlowPort(FakePort):
    """A port that answers a limit only once ``answer`` is set."""

    def __init__(self, uid: str, clock: ManualClock) -> None:
        super().__init__(uid, clock)
        self.answer = asyncio.Event()

    async def set_current_limit(
        self, current_a: float | None, timeout_s: float
    ) -> CommandResult:
        await self.answer.wait()
        return await super().set_current_limit(current_a, timeout_s)


async def test_no_raise_is_sent_before_every_lowering_is_answered() -> None:
    clock = ManualClock(UTC0)
    a = SlowPort("A", clock)
    ports = {"A": a, "B": FakePort("B", clock)}
    log: list[tuple[str, float]] = []
    for p in ports.values():
        p.log = log
    mgr = LoadManager(site("A", "B", limit=40.0), ports, clock)
    a.answer.set()
    a.session = session("sA")
    a.drawn = (6.0, 6.0, 6.0)
    mgr.grid_sink("grid")(reading(clock, (6.0, 6.0, 6.0)))
    await mgr.step()
    await mgr.step()
    assert a.limit_a == 16.0
    # B arrives while the house takes 22 A: A comes down to 11 A, B up to 6 A
    clock.advance(1.0)
    a.drawn = (16.0, 16.0, 16.0)
    ports["B"].session = session("sB")
    mgr.grid_sink("grid")(reading(clock, (38.0, 38.0, 38.0)))
    a.answer.clear()
    del log[:]
    step = asyncio.create_task(mgr.step())
    for _ in range(20):
        await asyncio.sleep(0)
    assert log == []  # A has not answered its lowering: B's raise waits
    assert ports["B"].limit_a == 0.0
    a.answer.set()
    await step
    assert log == [("A", 11.0), ("B", 6.0)]


async def test_the_failsafe_current_is_not_held_for_a_newer_reading() -> None:
    mgr, ports, clock = rig("A", failsafe=8.0)
    a = ports["A"]
    mgr.grid_sink("grid")(reading(clock, (0.0, 0.0, 0.0)))
    clock.advance(0.1)
    await mgr.step()
    assert a.writes == [("A", 0.0)]  # no session: held, after the last reading
    clock.advance(5.0)  # the meter has not read again: past its 5 s timeout
    a.session = session("sA")  # a new session starts at the failsafe current
    alloc = await mgr.step()
    assert alloc.setpoints["A"].why is Why.FAILSAFE
    assert a.limit_a == 8.0  # a raise, not held: safe without any reading
