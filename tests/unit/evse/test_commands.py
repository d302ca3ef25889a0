"""EvseCommands over real controllers and a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.auth.authorizer import Authorizer
from edge.evse.board_evse import BoardEvse
from edge.evse.controller import EvseController
from edge.evse.events import BoardRead, MeterRead, TokenPresented
from edge.evse.port import CONNECTOR_ID, Connector, EvseIdentity, EvseKind
from edge.evse.site_commands import EvseCommands
from edge.evse.state_machine import EvseSettings
from edge.evse.states import CpState, EvseStatus
from edge.model.clock import ScaledClock
from edge.model.commands import CommandOutcome, CommandToken
from edge.model.events import BoardSink
from edge.store import reservations, sessions
from edge.store.db import Database
from tests.unit.auth.fakes import FakeRemote

TOKEN = CommandToken("APP1", "APP_USER", "NL-EMS-C1", "NL", "EMS", group_id="fleet")


@dataclass
class FakeBoard:
    name: str = "board"
    writes: list[tuple[bool, float]] = field(default_factory=list)

    def watch(self, sink: BoardSink) -> None:
        pass

    async def set_charging(self, enabled: bool, current_a: float) -> None:
        self.writes.append((enabled, current_a))


@dataclass
class Rig:
    db: Database
    clock: ScaledClock
    boards: dict[str, FakeBoard]
    controllers: dict[str, EvseController]
    evses: dict[str, BoardEvse]
    commands: EvseCommands

    def feed(self, uid: str, cp: CpState, wh: int) -> None:
        ctl = self.controllers[uid]
        ctl.inbox.put_nowait(BoardRead(cp))
        ctl.inbox.put_nowait(MeterRead(wh, 0.0))


def identity(uid: str) -> EvseIdentity:
    return EvseIdentity(
        uid, None, EvseKind.BOARD, (Connector(CONNECTOR_ID),), 3, 230.0, 6.0, 16.0
    )


async def until(check: Callable[[], object], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def build(db: Database, evses: tuple[str, ...], scale: float = 50.0) -> Rig:
    clock = ScaledClock(scale, datetime(2026, 3, 2, 6, tzinfo=UTC))
    authorizer = Authorizer(db, clock)
    boards = {uid: FakeBoard() for uid in evses}
    controllers = {
        uid: EvseController(EvseSettings(uid), boards[uid], authorizer, db, clock)
        for uid in evses
    }
    for ctl in controllers.values():
        await ctl.resume()
    evses = {uid: BoardEvse(c, identity(uid)) for uid, c in controllers.items()}
    commands = EvseCommands(evses, controllers, clock)
    return Rig(db, clock, boards, controllers, evses, commands)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "edge.db")
    try:
        yield database
    finally:
        await database.close()


async def running(rig: Rig) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(c.run()) for c in rig.controllers.values()]


async def stop_all(tasks: list[asyncio.Task[None]]) -> None:
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_start_session_is_accepted_once_the_session_is_stored(db: Database):
    rig = await build(db, ("E1",))
    tasks = await running(rig)
    try:
        rig.feed("E1", CpState.B, 1000)
        await until(lambda: rig.controllers["E1"].state.status is not None)
        result = await rig.commands.start_session("E1", TOKEN, "REF-1", 30)
        assert result.outcome is CommandOutcome.ACCEPTED
        [s] = await db.run(sessions.active_sessions)
        assert (s.token_uid, s.auth_method, s.contract_id) == (
            "APP1",
            "COMMAND",
            "NL-EMS-C1",
        )
        extras = await db.run(lambda h: sessions.session_extras(h, s.id))
        assert extras == sessions.SessionExtras("REF-1", "NL", "EMS")
        assert rig.commands.session_evse(s.id) == "E1"
        assert rig.boards["E1"].writes[-1] == (True, 16.0)
        # Stop: ACCEPTED once closed with a fresh meter reading.
        stopping = asyncio.create_task(rig.commands.stop_session(s.id, 30))
        await asyncio.sleep(0.05)
        rig.feed("E1", CpState.B, 1500)
        assert (await stopping).outcome is CommandOutcome.ACCEPTED
        done = await db.run(lambda h: sessions.get_session(h, s.id))
        assert done is not None
        assert (done.status.value, done.meter_stop_wh) == ("COMPLETED", 1500)
        assert rig.boards["E1"].writes[-1] == (False, 0.0)
    finally:
        await stop_all(tasks)


async def test_start_session_times_out_without_a_plug_in(db: Database):
    rig = await build(db, ("E1",))
    tasks = await running(rig)
    try:
        rig.feed("E1", CpState.A, 1000)
        result = await rig.commands.start_session("E1", TOKEN, None, 5)
        assert result.outcome is CommandOutcome.TIMEOUT
        rig.feed("E1", CpState.B, 1000)  # too late: the start was dropped
        await asyncio.sleep(0.2)
        assert await db.run(sessions.active_sessions) == []
        unknown = await rig.commands.stop_session("nope", 5)
        assert unknown.outcome is CommandOutcome.FAILED
        unlock = await rig.commands.unlock_connector("E1", "1", 5)
        assert unlock.outcome is CommandOutcome.NOT_SUPPORTED
    finally:
        await stop_all(tasks)


async def test_reservation_survives_a_restart_and_any_free_evse(db: Database):
    rig = await build(db, ("E1", "E2"))
    tasks = await running(rig)
    expiry = rig.clock.utcnow() + timedelta(hours=1)
    try:
        rig.feed("E1", CpState.B, 1000)  # occupied
        rig.feed("E2", CpState.A, 2000)
        await until(lambda: rig.controllers["E2"].state.status is EvseStatus.AVAILABLE)
        result = await rig.commands.reserve_now("RES-1", None, TOKEN, expiry, None, 10)
        assert result.outcome is CommandOutcome.ACCEPTED
        assert rig.commands.reservation_evse("RES-1") == "E2"
        await until(lambda: rig.controllers["E2"].state.status is EvseStatus.RESERVED)
    finally:
        await stop_all(tasks)
    held = await db.run(lambda h: reservations.held_by(h, "E2"))
    assert held is not None
    assert (held.id, held.token) == ("RES-1", TOKEN)
    # A restart keeps it; cancelling releases it (and the store row).
    again = await build(db, ("E1", "E2"))
    assert again.commands.reservation_evse("RES-1") == "E2"
    dropped: list[tuple[str, str]] = []
    again.commands.on_reservation_canceled(lambda rid, why: dropped.append((rid, why)))
    tasks = await running(again)
    try:
        again.feed("E2", CpState.A, 2000)
        result = await again.commands.cancel_reservation("RES-1", 10)
        assert result.outcome is CommandOutcome.ACCEPTED
        gone = await again.commands.cancel_reservation("RES-1", 10)
        assert gone.outcome is CommandOutcome.UNKNOWN_RESERVATION
        # A reservation the site drops (EVSE out of order) is reported.
        await again.commands.reserve_now("RES-2", "E2", TOKEN, expiry, None, 10)
        again.feed("E2", CpState.E, 2000)
        await until(lambda: dropped)
        assert dropped[0][0] == "RES-2"
    finally:
        await stop_all(tasks)
    assert await db.run(reservations.all_held) == []


async def test_card_session_records_the_emsp_reference(db: Database):
    rig = await build(db, ("E1",))
    remote = FakeRemote("ALLOWED")
    rig.controllers["E1"].authorizer.use_remote(remote)
    tasks = await running(rig)
    try:
        rig.feed("E1", CpState.B, 1000)
        rig.controllers["E1"].inbox.put_nowait(TokenPresented("CAFE01"))
        await until(lambda: rig.controllers["E1"].state.session is not None)
        rig.feed("E1", CpState.C, 1000)
        await until(lambda: rig.boards["E1"].writes[-1:] == [(True, 16.0)])
    finally:
        await stop_all(tasks)
    [s] = await db.run(sessions.active_sessions)
    extras = await db.run(lambda h: sessions.session_extras(h, s.id))
    assert extras.authorization_reference == "REF-1"
    assert s.auth_method == "AUTH_REQUEST"
    assert [c[2] for c in remote.calls] == ["E1"]
