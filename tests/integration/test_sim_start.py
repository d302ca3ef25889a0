"""The simulated day starts when the controller is READY, not before.

`edge sim` and the harnesses start the devices first; the EV schedule waits for
the controller's readiness (card readers open, every device polled once, the
uplink decided), and its visits are timed from that moment.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.loader import load_config
from edge.model.clock import ManualClock, ScaledClock
from edge.simulate import SimStartError, simulate, wait_ready
from edge.store.db import Database
from hal_sim.world import SimWorld

from .sites import arrival, site_file

GUARD_S = 30.0
"""Wall-time guard on waits for events (never reached when all is well)."""


async def settle() -> None:
    """Let every task that can run, run (no time passes on a ManualClock)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_schedule_waits_for_the_gate_and_counts_from_it(tmp_path: Path) -> None:
    config = load_config(
        site_file(tmp_path, arrival("ev1", "E1", "04A23B1C00", 1, 5, 3000), evses=1),
        ProfileLibrary().ids(),
    )
    clock = ManualClock()
    world = SimWorld(config, clock)
    await world.start()
    gate = asyncio.Event()
    task = asyncio.create_task(world.run(start_when=gate.wait))
    try:
        clock.advance(3600)  # an hour with the controller not ready: nothing
        await settle()
        assert world.site.truth == []
        gate.set()
        await settle()
        clock.advance(59)  # the visit is at minute 1 of the schedule, not of the clock
        await settle()
        assert world.site.truth == []
        clock.advance(1)
        await settle()
        assert [t["event"] for t in world.site.truth] == ["plug_in"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await world.close()


async def test_site_is_ready_once_readers_and_devices_are_up(tmp_path: Path) -> None:
    config = load_config(site_file(tmp_path, "", evses=2), ProfileLibrary().ids())
    clock = ScaledClock(60.0)
    world = SimWorld(config, clock)
    endpoints = await world.start()
    db = await Database.open(tmp_path / "edge.db")
    site = Site(
        config,
        clock,
        db,
        Overrides(endpoints=dict(endpoints.modbus), rfid_ports=dict(endpoints.rfid)),
    )
    assert site.ready.pending == [
        "E1/board",
        "E1/meter",
        "E2/board",
        "E2/meter",
        "rfid E1",
        "rfid E2",
    ]
    with pytest.raises(SimStartError, match=r"waiting for: E1/board, .*rfid E2"):
        await wait_ready(site, 0.05)  # not running: nothing comes up
    task = asyncio.create_task(site.run())
    try:
        await wait_ready(site, GUARD_S)
        assert all(r.connected for r in site.readers.values())
        assert all(m.counters.transactions > 0 for m in site.meters.values())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.close()
        await world.close()


async def test_a_car_at_minute_zero_charges_on_its_first_swipe(tmp_path: Path) -> None:
    # The card comes 20 site seconds after the plug-in: 67 ms of wall time at x300.
    visits = arrival("ev1", "E1", "04A23B1C00", 0, 40, 3000)
    config = load_config(site_file(tmp_path, visits, evses=1), ProfileLibrary().ids())
    result = await simulate(config, tmp_path / "edge.db", speed=300, duration_s=2700)
    assert result.ready_at is not None
    first = datetime.fromisoformat(str(result.truth[0]["time"]).replace("Z", "+00:00"))
    assert first >= result.ready_at  # nothing happened before the controller was up
    events = [(t["event"], t.get("attempt")) for t in result.truth]
    assert events[:2] == [("plug_in", None), ("card", 1)]
    assert [e for e in events if e[0] == "card"] == [("card", 1)]
    assert ("unplug", None) in events
    assert not [t for t in result.truth if t["event"] == "no_charge"]
    [unplug] = [t for t in result.truth if t["event"] == "unplug"]
    assert unplug["energy_wh"] == 3000.0


async def drive(clock: ManualClock, seconds: float, step: float = 0.05) -> None:
    """Advance the manual clock in small steps, letting every task run."""
    for _ in range(round(seconds / step)):
        clock.advance(step)
        await settle()


async def test_a_driver_swipes_card_attempts_times_then_says_why(
    tmp_path: Path,
) -> None:
    visits = arrival("ev1", "E1", "04A23B1C00", 0, 30, 3000) + arrival(
        "ev2", "E2", None, 0, 30, 3000
    )
    retry = "card_retry_s = 120.0\ncard_attempts = 3\n"
    path = site_file(tmp_path, visits, evses=2, sim=retry)
    config = load_config(path, ProfileLibrary().ids())
    clock = ManualClock()
    world = SimWorld(config, clock)
    await world.start()  # no controller: nobody takes the card
    task = asyncio.create_task(world.run())
    try:
        await drive(clock, 20 + 3 * 120 + 5, step=0.5)
        lines = [(t["ev"], t["event"], t.get("attempt")) for t in world.site.truth]
        assert [a for ev, e, a in lines if (ev, e) == ("ev1", "card")] == [1, 2, 3]
        [gave_up] = [t for t in world.site.truth if t["event"] == "no_charge"]
        assert (gave_up["ev"], gave_up["reason"], gave_up["attempts"]) == (
            "ev1",
            "gave up after 3 swipes",
            3,
        )
        await drive(clock, 30 * 60 - (20 + 3 * 120), step=5.0)  # past the departures
        reasons = {
            t["ev"]: t["reason"] for t in world.site.truth if t["event"] == "no_charge"
        }
        assert reasons == {"ev1": "gave up after 3 swipes", "ev2": "no card"}
        assert [t["event"] for t in world.site.truth].count("unplug") == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await world.close()
