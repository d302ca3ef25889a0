"""A car the load manager paused is waiting for power, not satisfied."""

from __future__ import annotations

from dataclasses import replace

from edge.evse.port import EvseView
from edge.evse.states import Phase
from edge.load.allocator import Why
from edge.load.manager import SATISFIED_AFTER_S, LoadManager
from edge.model.clock import ManualClock
from tests.unit.load.manager_rig import UTC0, FakePort, reading, session, site


class MachinePort(FakePort):
    """Shows SUSPENDED_EVSE at 0 A with a session, as the state machine does."""

    def view(self) -> EvseView:
        v = super().view()
        if v.session is not None and self.limit_a == 0.0:
            return replace(v, phase=Phase.SUSPENDED_EVSE)
        return v


async def test_idling_before_a_pause_does_not_count_after_it() -> None:
    """40 s offered and not asking, ten minutes paused (no headroom), then
    offered again: satisfied only once it idles SATISFIED_AFTER_S on the new
    offer, not at once for the time it idled before and the pause."""
    clock = ManualClock(UTC0)
    port = MachinePort("A", clock)
    port.log = []
    mgr = LoadManager(site("A", limit=20.0), {"A": port}, clock)
    port.session = session("s1")
    port.asking = False  # in B: full, or waiting for its own timer

    async def run(seconds: int, house_a: float) -> None:
        for _ in range(seconds):
            clock.advance(1.0)
            mgr.grid_sink("grid")(reading(clock, (house_a, house_a, house_a)))
            await mgr.step()

    await run(40, 0.0)
    assert port.limit_a > 0.0
    await run(600, 15.0)  # 20 - 1 margin - 15 house: below its 6 A minimum
    assert port.limit_a == 0.0
    assert port.view().phase is Phase.SUSPENDED_EVSE
    assert mgr.allocation is not None
    assert mgr.allocation.setpoints["A"].why in (Why.NO_HEADROOM, Why.RESUME_DELAY)
    offered = None
    for t in range(int(SATISFIED_AFTER_S) * 3):
        await run(1, 0.0)
        if offered is None and port.limit_a > 0.0:
            offered = t
        if offered is not None and port.limit_a == 0.0:
            break
    assert offered is not None  # resumed
    assert port.limit_a == 0.0  # and satisfied in the end
    assert mgr.allocation.setpoints["A"].why is Why.NO_DEMAND
    assert t - offered >= SATISFIED_AFTER_S - 1
