"""2.0.1 local lists over a real websocket, from a real SQLite token cache.

The same planner, store and worker as 1.6's (test_ocpp_local_list.py), through
the 2.0.1 list port, against hal_sim's 2.0.1 station: a Full list after boot
within ItemsPerMessage and BytesPerMessage (GetVariables), a token change as a
Differential, VersionMismatch and Failed followed by a Full list, the station
deciding from its list while the controller is down (the transaction it
started then billed once it is back) and getting what changed meanwhile, and
no list for a station whose list is disabled.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from edge.auth.authorizer import Authorizer, LocalToken
from edge.model.clock import StallFreeClock
from edge.ocpp.service import OcppService
from edge.store import ocpp_local_lists as repo
from edge.store import sessions
from edge.store.db import Database
from hal_sim.ocpp.charge_point_201 import SimChargingStation
from hal_sim.ocpp.link import open_link
from hal_sim.ocpp.station_201_state import LIST_CTRLR
from tests.integration.ocpp201_rig import mixed
from tests.unit.auth.fakes import ocpi_token

CARDS = [LocalToken(f"CARD000{n}") for n in range(1, 6)]
LONG = "04A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5"
"""A 32-character uid: too long for a 1.6 list, fine for a 2.0.1 one."""


def _clock() -> StallFreeClock:
    """Site time that a stall of this loaded process does not advance: the
    within-60-site-seconds bounds hold however slowly the machine runs."""
    return StallFreeClock(speed=20.0, start=datetime(2026, 3, 2, 8, tzinfo=UTC))


@asynccontextmanager
async def _controller(tmp_path, clock, db=None):
    own = db is None
    db = db or await Database.open(tmp_path / "edge.db")
    auth = Authorizer(db, clock, CARDS)
    await auth.start()
    service = OcppService(mixed(), clock, db, auth, tokens=auth)
    bound: asyncio.Future = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(service.run(bound.set_result))
    srv = await bound
    try:
        async with clock.ticking():
            yield auth, srv, db
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        if own:
            await db.close()


async def _station(srv, clock, station=None, identity="CS202"):
    link = await open_link(
        srv.url("127.0.0.1", identity), identity, subprotocols=("ocpp2.0.1",)
    )
    if station is None:
        cs = SimChargingStation(identity, link, clock)
    else:
        cs = station  # the same station: its list and queue kept
        cs.reconnect(link)
    return cs, asyncio.create_task(cs.run())


async def _until(condition, what: str) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def _stored(db, version):
    """The store's record of CS202's list, once it is at ``version``.

    The station holds a list before the controller has its answer and writes
    it: waiting on the station's entries is not waiting on the store.
    """
    for _ in range(500):
        stored = await db.run(lambda d: repo.load(d, "CS202"))
        if stored is not None and stored.version == version:
            return stored
        await asyncio.sleep(0.01)
    raise AssertionError(f"never stored version {version}")


def _kinds(held):
    return [
        (m["updateType"], m["listVersion"], len(m["localAuthorizationList"]))
        for m in held.received
    ]


async def test_full_after_boot_within_its_limits_then_differentials(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    clock = _clock()
    async with _controller(tmp_path, clock) as (auth, srv, db):
        await auth.upsert_tokens([ocpi_token(LONG, contract_id="DE-TNM-C0001")])
        cs, run = await _station(srv, clock)
        cs.state.local_list.send_max = 4  # ItemsPerMessage
        cs.state.variables[(LIST_CTRLR, "BytesPerMessage")] = "600"  # 3 entries
        await cs.boot()
        held = cs.state.local_list
        await _until(lambda: len(held.entries) == 6, "six entries")
        assert _kinds(held) == [("Full", 1, 3), ("Differential", 2, 3)]
        assert held.entries[LONG] == "Accepted"  # a 2.0.1 idToken holds 36

        blocked_at = clock.monotonic()
        await auth.set_blocked("CARD0002", True)
        await _until(lambda: held.entries["CARD0002"] == "Blocked", "blocked")
        assert clock.monotonic() - blocked_at < 60
        assert _kinds(held)[-1] == ("Differential", 3, 1)
        stored = await _stored(db, 3)
        assert stored.entries == held.entries
        await cs.link.close()
        await run
    assert "6 per message" not in caplog.text
    assert "3 per message; it holds 0 now" in caplog.text


async def test_version_mismatch_and_failed_are_followed_by_a_full_list(tmp_path):
    clock = _clock()
    async with _controller(tmp_path, clock) as (auth, srv, _):
        cs, run = await _station(srv, clock)
        await cs.boot()
        held = cs.state.local_list
        await _until(lambda: held.version == 1, "the first Full list")
        held.answer_next("VersionMismatch")
        await auth.set_blocked("CARD0002", True)
        await _until(lambda: held.entries.get("CARD0002") == "Blocked", "blocked")
        held.answer_next("Failed")
        await auth.set_blocked("CARD0003", True)
        await _until(lambda: held.entries.get("CARD0003") == "Blocked", "blocked")
        assert [(m["updateType"], m["listVersion"]) for m in held.received] == [
            ("Full", 1),
            ("Differential", 2),  # VersionMismatch
            ("Full", 3),
            ("Differential", 4),  # Failed
            ("Full", 5),
        ]
        await cs.link.close()
        await run


async def test_the_station_decides_from_its_list_while_the_controller_is_down(
    tmp_path,
):
    clock = _clock()
    db = await Database.open(tmp_path / "edge.db")
    async with _controller(tmp_path, clock, db) as (auth, srv, _):
        cs, run = await _station(srv, clock)
        await cs.boot()
        held = cs.state.local_list
        await _until(lambda: held.version == 1, "the first Full list")
        await auth.set_blocked("CARD0003", True)
        await _until(lambda: held.version == 2, "the block")
    await run  # the controller is down: its server closed the link
    cs.offline = True
    assert await cs.swipe(1, "CARD0003", 0.0) is None  # blocked, from its list
    assert await cs.swipe(1, "NOBODY01", 0.0) is None
    tx = await cs.swipe(1, "card0001", 0.0)
    assert tx is not None  # started offline, its Started queued
    assert len(cs.queue) == 1

    await Authorizer(db, clock, CARDS).set_blocked("CARD0004", True)
    async with _controller(tmp_path, clock, db) as (auth, srv, _):
        again, run = await _station(srv, clock, cs)
        await again.heartbeat()  # reconnected, no boot: GetLocalListVersion
        await _until(lambda: held.version == 3, "the change made while down")
        assert [m["updateType"] for m in held.received] == [
            "Full",
            "Differential",
            "Differential",
        ]
        assert held.received[-1]["localAuthorizationList"] == [
            {"idTag": "CARD0004", "idTagInfo": {"status": "Blocked"}}
        ]  # (as the station keeps it)
        assert await again.replay() == 1  # the Started it took offline
        await again.stop_transaction(tx, 0.0)
        [billed] = await db.run(sessions.list_sessions)
        assert (billed.token_uid, billed.status) == ("CARD0001", "COMPLETED")
        await again.link.close()
        await run
    await db.close()


async def test_no_list_for_a_station_whose_list_is_disabled(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    clock = _clock()
    async with _controller(tmp_path, clock) as (auth, srv, _):
        cs, run = await _station(srv, clock)
        cs.state.variables[(LIST_CTRLR, "Enabled")] = "false"
        await cs.boot()
        await _until(lambda: "Enabled is false" in caplog.text, "the log line")
        await auth.set_blocked("CARD0001", True)
        await clock.sleep(4)  # more than SETTLE_S
        assert cs.state.local_list.received == []
        await cs.link.close()
        await run
