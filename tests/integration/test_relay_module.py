"""A contactor on a relay module, seen through its mirror contact.

The EVSE's contactor is a channel of a simulated relay module (coils and mirror
contacts over Modbus TCP). Two faults of real contactors:

- welded while charging: seen as soon as the controller opens it; the EVSE goes
  OUTOFORDER, refuses the next car, and comes back on its own once repaired;
- not closing (a burnt coil: the coil is on, the main contacts stay open, the
  mirror contact stays closed): the EVSE shows the fault through its port
  (OUTOFORDER, CONTACTOR_NOT_CLOSED), keeps the session, and once the contactor
  pulls in again (the retry after ``relay_retry_s``) the EV charges on the same
  session and is billed what it took.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.config.schema import SiteConfig
from edge.evse.states import EvseStatus, FaultKind, Phase
from edge.store.sessions import list_sessions
from hal_sim.schedule import Visit

from .board_rig import Rig, running, until_site
from .sites import site_file
from .test_board_relay import billable_wh

RELAY = (
    'contactor = { bus = "gw", unit = 9, model = "waveshare_modbus_rtu_io_8ch", '
    "channel = 1 }"
)
CARD = "04A23B1C00"
SPEED = 20.0
GUARD_SITE_S = 900.0
"""Site seconds any one condition may take: each comes within a few polls or
one ``relay_retry_s`` (60 s). Site time of the rig's stall-free clock, not wall
time: a starved machine only makes a wait longer."""


def relay_site(tmp_path: Path) -> SiteConfig:
    """The one-EVSE test site with its contactor on channel 1 of a relay module."""
    site = site_file(tmp_path, "", evses=1)
    text = site.read_text().replace(
        'kind = "rdm6300" }\n', 'kind = "rdm6300" }\n' + RELAY + "\n", 1
    )
    site.write_text(text)
    return load_config(site, ProfileLibrary().ids())


def ev(name: str) -> Visit:
    return Visit(name, "E1", None, 0, 1e9, 20_000, 60_000, 0.3, 16, 3)


async def until(rig: Rig, check: Callable[[], bool]) -> None:
    await until_site(rig, check, GUARD_SITE_S)


def charged_over_50_wh(rig: Rig) -> bool:
    return rig.board.ev is not None and rig.board.ev.energy_taken_wh > 50


async def test_welded_contactor_is_seen_and_blocks_the_evse(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.evse.controller")
    async with running(relay_site(tmp_path), tmp_path / "edge.db", SPEED) as rig:
        world = rig.world
        ctl = rig.site.controllers["E1"]
        relay, channel = world.site.channels["E1"].contactor  # type: ignore[misc]
        await asyncio.wait_for(rig.site.ready.wait(), 30)
        await until(rig, lambda: ctl.state.phase is Phase.AVAILABLE)
        first = ev("ev1")
        world.site.plug_in(first)
        await world.readers["E1"].present(CARD, 0.3)
        await until(rig, lambda: charged_over_50_wh(rig))
        assert relay.coils[channel]  # the controller closed the contactor
        relay.welded.add(channel)
        world.site.unplug(first)
        await until(rig, lambda: ctl.state.fault is FaultKind.WELDED_CONTACTOR)
        assert ctl.state.status is EvseStatus.OUTOFORDER
        assert not relay.coils[channel]  # commanded open, still closed: welded
        await until(rig, lambda: ctl.state.session is None)
        # The next car's card is refused while the contactor is welded.
        second = ev("ev2")
        world.site.plug_in(second)
        await world.readers["E1"].present(CARD, 0.3)
        await until(
            rig,
            lambda: any(
                "card refused: EVSE out of order" in r.getMessage()
                for r in caplog.records
            ),
        )
        assert rig.board.offered_a() == 0
        assert ctl.state.session is None
        # Repaired: the EVSE recovers on its own.
        relay.welded.discard(channel)
        await until(rig, lambda: ctl.state.fault is None)
        world.site.unplug(second)
        await until(rig, lambda: ctl.state.phase is Phase.AVAILABLE)
        await rig.stop_controller()
        sessions = await rig.db.run(list_sessions)
    assert len(sessions) == 1
    assert sessions[0].stop_reason == "EV_DISCONNECTED"


async def test_a_contactor_that_does_not_close_is_a_fault_of_the_port(
    tmp_path: Path,
) -> None:
    async with running(relay_site(tmp_path), tmp_path / "edge.db", SPEED) as rig:
        world = rig.world
        ctl = rig.site.controllers["E1"]
        port = rig.site.evses["E1"]
        channel_ = world.site.channels["E1"]
        relay, channel = channel_.contactor  # type: ignore[misc]
        await asyncio.wait_for(rig.site.ready.wait(), 30)
        await until(rig, lambda: port.view().phase is Phase.AVAILABLE)
        relay.stuck_open.add(channel)  # the coil no longer pulls the contacts in
        visit = ev("ev1")
        world.site.plug_in(visit)
        await world.readers["E1"].present(CARD, 0.3)
        await until(rig, lambda: port.view().fault is FaultKind.CONTACTOR_NOT_CLOSED)
        view = port.view()
        assert view.status is EvseStatus.OUTOFORDER
        assert view.offered_a is None  # commanded open while it holds
        assert view.session is not None  # kept, to resume
        assert ctl.state.status_reason == "CONTACTOR_NOT_CLOSED"
        assert rig.board.ev is not None
        assert rig.board.ev.energy_taken_wh == 0  # no current ever flowed
        await until(rig, lambda: not relay.coils[channel])  # commanded open
        # Repaired: the retry closes it and the EV charges on the same session.
        relay.stuck_open.discard(channel)
        session_id = view.session.id
        await until(rig, lambda: charged_over_50_wh(rig))
        view = port.view()
        assert view.fault is None
        assert view.status is EvseStatus.CHARGING
        assert view.session is not None
        assert view.session.id == session_id
        world.site.unplug(visit)
        await until(rig, lambda: port.view().session is None)
        taken = [
            float(str(t["energy_wh"]))
            for t in world.site.truth
            if t["event"] == "unplug"
        ]
        meter_wh = channel_.meter.energy_import_wh
        await rig.stop_controller()
        sessions = await rig.db.run(list_sessions)
    [session] = sessions
    assert session.id == session_id
    assert session.stop_reason == "EV_DISCONNECTED"
    assert session.energy_wh == billable_wh(taken[0], meter_wh)
