"""A contactor that does not close, seen through its mirror contact.

The EVSE's contactor is a channel of a simulated relay module over Modbus TCP.
Its coil is switched on but the main contacts stay open (a burnt coil): the
mirror contact stays closed. The EVSE shows the fault through its port
(OUTOFORDER, CONTACTOR_NOT_CLOSED), keeps the session, and once the contactor
pulls in again (the retry after ``relay_retry_s``) the EV charges and is billed
what it took.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

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
from .test_board_relay import billable_wh

RELAY = (
    'contactor = { bus = "gw", unit = 9, model = "waveshare_modbus_rtu_io_8ch", '
    "channel = 1 }"
)


async def until(what: str, check, timeout: float = 20.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not seen in {timeout} s: {what}") from None


async def test_a_contactor_that_does_not_close_is_a_fault_of_the_port(
    tmp_path: Path,
) -> None:
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
    port = site_.evses["E1"]
    channel_ = world.site.channels["E1"]
    relay, channel = channel_.contactor  # type: ignore[misc]
    try:
        await asyncio.wait_for(site_.ready.wait(), 30)
        await until("available", lambda: port.view().phase is Phase.AVAILABLE)
        relay.stuck_open.add(channel)  # the coil no longer pulls the contacts in
        visit = Visit("ev1", "E1", None, 0, 1e9, 20_000, 60_000, 0.3, 16, 3)
        world.site.plug_in(visit)
        await world.readers["E1"].present("04A23B1C00", 0.3)
        await until(
            "not closed seen",
            lambda: port.view().fault is FaultKind.CONTACTOR_NOT_CLOSED,
        )
        view = port.view()
        assert view.status is EvseStatus.OUTOFORDER
        assert view.offered_a is None  # commanded open while it holds
        assert view.session is not None  # kept, to resume
        assert ctl.state.status_reason == "CONTACTOR_NOT_CLOSED"
        assert channel_.board.ev is not None
        assert channel_.board.ev.energy_taken_wh == 0  # no current ever flowed
        await until("commanded open", lambda: not relay.coils[channel])
        # Repaired: the retry closes it and the EV charges on the same session.
        relay.stuck_open.discard(channel)
        session_id = view.session.id
        await until(
            "charging after the retry",
            lambda: (
                channel_.board.ev is not None and channel_.board.ev.energy_taken_wh > 50
            ),
        )
        view = port.view()
        assert view.fault is None
        assert view.status is EvseStatus.CHARGING
        assert view.session is not None
        assert view.session.id == session_id
        world.site.unplug(visit)
        await until("session closed", lambda: port.view().session is None)
        taken = [
            float(str(t["energy_wh"]))
            for t in world.site.truth
            if t["event"] == "unplug"
        ]
        meter_wh = channel_.meter.energy_import_wh
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await world.close()
    sessions = await db.run(list_sessions)
    await db.close()
    [session] = sessions
    assert session.id == session_id
    assert session.stop_reason == "EV_DISCONNECTED"
    assert session.energy_wh == billable_wh(taken[0], meter_wh)
