"""An EV that leaves between the two frames of one board poll is no new visit.

An EVSE-WB poll reads the CP state (registers 1000..1007) and then, in rotation,
the board's enable (2005) in a frame of its own. An EV that leaves between the
two frames shows in that poll as still connected to a board that its leaving
has just latched off, which is what a car swap looks like too. With free vend
that was taken for a new EV: the session closed and a new one opened at once on
the empty plug (seen at x600 in ``test_modbus_sim``, where the gap between the
frames is a minute of site time). The EV leaves here exactly there, on the real
RTU line, whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.loader import load_config
from edge.evse.states import Phase
from edge.model.clock import ScaledClock
from edge.store.db import Database
from edge.store.sessions import list_sessions
from hal_sim.schedule import Visit
from hal_sim.world import SimWorld

SPEED = 20.0
WAIT_WALL_S = 60.0
ENABLE_REGISTER = 2005

SITE = """
[site]
name = "torn read"

[[bus]]
id = "line"
transport = "rtu"
device = "/dev/unused-the-sim-hands-over-its-pty"
baud = 38400
timeout_ms = 500

[[evse]]
uid = "E1"
free_vend = true
meter = { bus = "line", unit = 1, model = "eastron_sdm630" }
board = { bus = "line", unit = 2, model = "evse_wb" }

[sessions]
device_timeout_s = 60
poll_interval_s = 1.0
"""


async def until(check: Callable[[], object], what: str) -> None:
    try:
        async with asyncio.timeout(WAIT_WALL_S):
            while not check():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not reached in {WAIT_WALL_S} s: {what}") from None


async def test_ev_leaving_between_cp_and_enable_frames_opens_no_session(
    tmp_path: Path,
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(SITE)
    config = load_config(path, ProfileLibrary().ids())
    clock = ScaledClock(SPEED)
    world = SimWorld(config, clock)
    channel = world.site.channels["E1"]
    channel.meter.turnaround_ms = channel.board.turnaround_ms = 2
    endpoints = await world.start()
    db = await Database.open(tmp_path / "edge.db")
    site = Site(config, clock, db, Overrides(endpoints=dict(endpoints.modbus)))
    tasks = [asyncio.create_task(world.run()), asyncio.create_task(site.run())]
    ctl = site.controllers["E1"]
    visit = Visit("ev1", "E1", "", 0, 1e9, 50_000, 60_000, 0.3, 16, 3)
    try:
        await until(lambda: ctl.state.phase is Phase.AVAILABLE, "available")
        world.site.plug_in(visit)
        await until(
            lambda: (
                ctl.state.session is not None
                and ctl.state.session.enable_confirmed
                and ctl.state.phase is Phase.CHARGING
            ),
            "a free vend session charging, its board's enable read back",
        )
        served: list[tuple[int, int]] = []

        def leave_before_the_enable_frame(function: int, address: int) -> None:
            served.append((function, address))
            # the poll's CP frame was just served: the EV leaves before the next
            if address == ENABLE_REGISTER and served[-2:-1] == [(3, 1000)]:
                channel.board.before_read = None
                world.site.unplug(visit)

        channel.board.before_read = leave_before_the_enable_frame
        await until(lambda: channel.board.ev is None, "the EV left mid-poll")
        await until(
            lambda: ctl.state.session is None and ctl.state.phase is Phase.AVAILABLE,
            "the session closed, the EVSE available",
        )
        for _ in range(10):  # some more polls of the empty plug
            await clock.sleep(1.0)
        sessions = await db.run(list_sessions)
        outbox = await db.run(
            lambda d: d.conn.execute(
                "SELECT key FROM outbox WHERE module = 'cdrs'"
            ).fetchall()
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await world.close()
        await db.close()
    taken = float(str(world.site.truth[-1]["energy_wh"]))
    assert [(s.status, s.stop_reason) for s in sessions] == [
        ("COMPLETED", "EV_DISCONNECTED")
    ], sessions
    assert taken > 0
    assert abs(sessions[0].energy_wh - taken) <= max(10.0, 0.001 * taken)
    assert outbox == [(f"cdrs:{sessions[0].id}",)]
