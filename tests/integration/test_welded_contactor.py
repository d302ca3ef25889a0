"""A welded contactor, seen through its mirror contact on a real relay module.

The EVSE's contactor is a channel of a simulated relay module (coils and mirror
contacts over Modbus TCP). Welded while charging, it is seen as soon as the
controller opens it: the EVSE goes OUTOFORDER, refuses the next car, and comes
back on its own once the contactor is repaired.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.loader import load_config
from edge.evse.states import EvseStatus, FaultKind, Phase
from edge.model.clock import ScaledClock
from edge.store.db import Database
from edge.store.sessions import list_sessions
from hal_sim.schedule import Visit
from hal_sim.world import SimWorld

from .sites import site_file

RELAY = (
    'contactor = { bus = "gw", unit = 9, model = "waveshare_modbus_rtu_io_8ch", '
    "channel = 1 }"
)


async def until(what: str, check, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def test_welded_contactor_is_seen_and_blocks_the_evse(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.evse.controller")
    site = site_file(tmp_path, "", evses=1)
    text = site.read_text().replace(
        'kind = "rdm6300" }\n', 'kind = "rdm6300" }\n' + RELAY + "\n", 1
    )
    site.write_text(text)
    config = load_config(site, ProfileLibrary().ids())
    clock = ScaledClock(20.0)
    world = SimWorld(config, clock)
    endpoints = await world.start()
    db = await Database.open(tmp_path / "edge.db")
    site_ = Site(
        config,
        clock,
        db,
        Overrides(endpoints=endpoints.modbus, rfid_ports=dict(endpoints.rfid)),
    )
    tasks = [asyncio.create_task(world.run()), asyncio.create_task(site_.run())]
    ctl = site_.controllers["E1"]
    relay, channel = world.site.channels["E1"].contactor  # type: ignore[misc]
    try:
        await asyncio.wait_for(site_.ready.wait(), 30)  # readers open, devices polled
        await until("available", lambda: ctl.state.phase is Phase.AVAILABLE)
        visit = Visit("ev1", "E1", None, 0, 1e9, 20_000, 60_000, 0.3, 16, 3)
        world.site.plug_in(visit)
        await world.readers["E1"].present("04A23B1C00", 0.3)
        await until(
            "charging",
            lambda: (
                world.site.channels["E1"].board.ev is not None
                and world.site.channels["E1"].board.ev.energy_taken_wh > 50
            ),
        )
        assert relay.coils[channel]  # the controller closed the contactor
        relay.welded.add(channel)
        world.site.unplug(visit)
        await until(
            "welded seen", lambda: ctl.state.fault is FaultKind.WELDED_CONTACTOR
        )
        assert ctl.state.status is EvseStatus.OUTOFORDER
        assert not relay.coils[channel]  # commanded open, still closed: welded
        await until("session closed", lambda: ctl.state.session is None)
        # The next car's card is refused while the contactor is welded.
        second = Visit("ev2", "E1", None, 0, 1e9, 20_000, 60_000, 0.3, 16, 3)
        world.site.plug_in(second)
        await world.readers["E1"].present("04A23B1C00", 0.3)
        await until(
            "card refused",
            lambda: any(
                "card refused: EVSE out of order" in r.getMessage()
                for r in caplog.records
            ),
        )
        assert world.site.channels["E1"].board.offered_a() == 0
        assert ctl.state.session is None
        # Repaired: the EVSE recovers on its own.
        relay.welded.discard(channel)
        await until("recovered", lambda: ctl.state.fault is None)
        world.site.unplug(second)
        await until("available again", lambda: ctl.state.phase is Phase.AVAILABLE)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await world.close()
    sessions = await db.run(list_sessions)
    await db.close()
    assert len(sessions) == 1
    assert sessions[0].stop_reason == "EV_DISCONNECTED"
