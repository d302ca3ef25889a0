"""Why an EVSE waiting for power offers nothing, as the API shows it."""

from __future__ import annotations

from dataclasses import replace

from edge.evse.states import Phase
from edge.load.allocator import Why
from edge.web.api.evses import evse_doc, waiting_reason
from tests.unit.load.manager_rig import reading, rig, session


async def test_the_load_managers_pause_reason_else_the_limit() -> None:
    manager, ports, clock = rig("E1", "E2", limit=32.0)
    ports["E1"].session = session("s1")
    manager.grid_sink("grid")(reading(clock, (28.0, 28.0, 28.0)))  # 3 A left
    await manager.step()
    assert manager.allocation is not None
    assert manager.allocation.setpoints["E1"].why is Why.NO_HEADROOM
    view = ports["E1"].view()
    assert view.limit_a == 0.0
    assert waiting_reason("E1", view, manager) is None  # not SUSPENDED_EVSE
    waiting = replace(view, phase=Phase.SUSPENDED_EVSE)
    assert waiting_reason("E1", waiting, manager) == "no_headroom"
    assert waiting_reason("E1", waiting, None) == "limit"  # no load management
    offering = replace(waiting, limit_a=16.0)  # a latched board, say
    assert waiting_reason("E1", offering, None) is None
    doc = evse_doc(ports["E2"], clock.monotonic(), manager)
    assert (doc.phase, doc.waiting_reason) == (Phase.AVAILABLE, None)
