"""The EVSE port over a board EVSE: real controllers, a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.evse.events import BoardRead
from edge.evse.port import EvsePort
from edge.evse.site_commands import EvseCommands
from edge.evse.states import EvseStatus, Phase
from edge.model.commands import CommandOutcome
from edge.model.events import MeterReading, Timed
from edge.store import sessions
from edge.store.db import Database

from .test_commands import TOKEN, CpState, build, running, stop_all, until

T = datetime(2026, 3, 2, 6, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "edge.db")
    try:
        yield database
    finally:
        await database.close()


def meter(
    mono: float, wh: float, currents: tuple[float | None, float | None, float | None]
) -> MeterReading:
    power = Timed(2300.0, mono)
    return MeterReading("E1/meter", mono, T, Timed(wh, mono), power, currents)


async def test_the_view_before_anything_was_read(db: Database) -> None:
    rig = await build(db, ("E1",))
    port: EvsePort = rig.evses["E1"]
    v = port.view()
    assert (v.status, v.phase) == (EvseStatus.UNKNOWN, Phase.STARTING)
    assert v.fault is None
    assert (v.draw, v.meter_wh, v.session, v.offered_a) == (None, None, None, None)
    assert v.limit_a == 16.0
    ident = port.identity
    assert (ident.uid, ident.phases, ident.min_current_a, ident.max_current_a) == (
        "E1",
        3,
        6.0,
        16.0,
    )


async def test_start_limit_and_stop_through_the_port(db: Database) -> None:
    # Site time at wall speed: the board and meter, read once, stay fresh for
    # the whole test (10 s) however slow the machine.
    rig = await build(db, ("E1",), scale=1.0)
    port: EvsePort = rig.evses["E1"]
    ctl = rig.controllers["E1"]
    changes: list[str] = []
    port.on_change(changes.append)
    tasks = await running(rig)
    try:
        ctl.inbox.put_nowait(BoardRead(CpState.B))
        now = rig.clock.monotonic()
        ctl.on_meter(meter(now, 1000.0, (10.0, None, 9.5)))
        ctl.on_meter(meter(now + 0.01, 1000.0, (10.0, None, 9.5)))
        await until(lambda: port.view().phase is Phase.PREPARING)
        await until(lambda: "E1" in changes)
        draw = port.view().draw
        assert draw is not None
        assert draw.currents_a == (10.0, None, 9.5)

        started = await port.start(TOKEN, "REF-P", 30)
        assert started.outcome is CommandOutcome.ACCEPTED
        v = port.view()
        assert v.session is not None
        [stored] = await db.run(sessions.active_sessions)
        assert (v.session.id, v.session.token_uid) == (stored.id, "APP1")
        assert v.session.start_utc is not None  # stored to the millisecond
        assert abs(v.session.start_utc - stored.start) < timedelta(milliseconds=1)
        assert (v.session.meter_start_wh, v.session.energy_wh) == (1000, 0)
        assert (v.limit_a, v.offered_a) == (16.0, 16.0)

        limited = await port.set_current_limit(10.0, 30)
        assert limited.outcome is CommandOutcome.ACCEPTED
        assert (port.view().limit_a, port.view().offered_a) == (10.0, 10.0)
        assert rig.boards["E1"].writes[-1] == (True, 10.0)
        refused = await port.set_current_limit(3.0, 30)
        assert refused.outcome is CommandOutcome.REJECTED
        assert port.view().limit_a == 10.0

        stopping = asyncio.create_task(port.stop(None, 30))
        await until(lambda: ctl.state.stopping is not None)
        rig.feed("E1", CpState.B, 1001)  # the reading the session closes on
        assert (await stopping).outcome is CommandOutcome.ACCEPTED
        v = port.view()
        assert (v.session, v.offered_a) == (None, None)
    finally:
        await stop_all(tasks)


async def test_a_silent_meter_shows_no_draw(db: Database) -> None:
    rig = await build(db, ("E1",))
    port = rig.evses["E1"]
    ctl = rig.controllers["E1"]
    tasks = await running(rig)
    try:
        ctl.inbox.put_nowait(BoardRead(CpState.A))
        now = rig.clock.monotonic()
        ctl.on_meter(meter(now, 1000.0, (0.0, 0.0, 0.0)))
        ctl.on_meter(meter(now + 0.01, 1000.0, (0.0, 0.0, 0.0)))
        await until(lambda: port.view().draw is not None)
        # No reading for longer than the device timeout (10 site seconds).
        await until(lambda: port.view().draw is None)
        await until(lambda: port.view().fault is not None)  # and its contactor opens
    finally:
        await stop_all(tasks)


async def test_an_evse_whose_machine_is_not_ours_takes_no_reservation(
    db: Database,
) -> None:
    rig = await build(db, ("E1",))
    # E1 as a charger the site does not drive (as an OCPP charger will be).
    commands = EvseCommands(rig.evses, {}, rig.clock)
    expiry = rig.clock.utcnow() + timedelta(hours=1)
    result = await commands.reserve_now("R1", "E1", TOKEN, expiry, None, 5)
    assert result.outcome is CommandOutcome.NOT_SUPPORTED
    unknown = await commands.reserve_now("R1", "E9", TOKEN, expiry, None, 5)
    assert unknown.outcome is CommandOutcome.REJECTED
    assert commands.has_evse("E1")
