"""Local lists over a real websocket, from a real SQLite token cache.

The central system (with the authorizer and the store) against hal_sim's 1.6J
charge point: a Full list after boot within the charger's limits, every token
change as a Differential, a block at every charger within 60 site seconds,
VersionMismatch and Failed followed by a Full list, versions kept across a
restart, and the charger deciding from its list while the controller is down.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from edge.auth.authorizer import Authorizer, LocalToken
from edge.model.clock import ScaledClock
from edge.ocpp.service import OcppService
from edge.store import ocpp_local_lists as repo
from edge.store.db import Database
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import PASSWORD, section
from tests.unit.auth.fakes import ocpi_token

SITE_CARDS = [LocalToken("CARD0001"), LocalToken("CARD0002"), LocalToken("CARD0003")]


def _clock() -> ScaledClock:
    return ScaledClock(speed=20.0, start=datetime(2026, 3, 2, 8, tzinfo=UTC))


@asynccontextmanager
async def _controller(tmp_path, clock, db=None, cards=SITE_CARDS):
    own = db is None
    db = db or await Database.open(tmp_path / "edge.db")
    auth = Authorizer(db, clock, cards)
    await auth.start()
    service = OcppService(section(tmp_path), clock, db, auth, tokens=auth)
    bound: asyncio.Future = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(service.run(bound.set_result))
    srv = await bound
    try:
        yield auth, srv, db
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        if own:
            await db.close()


async def _charger(srv, clock, identity="CP002", **limits):
    password = PASSWORD.encode() if identity == "CP001" else None
    link = await open_link(srv.url("127.0.0.1", identity), identity, password)
    cp = SimChargePoint(identity, link, clock)
    if limits:
        cp.state.list_limits(limits.get("local_max", 1000), limits.get("send_max", 100))
    return cp, asyncio.create_task(cp.run())


async def _until(condition, what: str) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def _stored(db, version):
    """The store's record of CP002's list, once it is at ``version``."""
    for _ in range(500):  # written once the charger's answer is in
        stored = await db.run(lambda d: repo.load(d, "CP002"))
        if stored is not None and stored.version == version:
            return stored
        await asyncio.sleep(0.01)
    raise AssertionError(f"never stored version {version}")


async def test_a_full_list_after_boot_within_the_chargers_limits(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    clock = _clock()
    cards = [*SITE_CARDS, LocalToken("CARD0004"), LocalToken("CARD0005")]
    async with _controller(tmp_path, clock, cards=cards) as (auth, srv, _):
        await auth.set_blocked("STOLEN01", True)
        cp, run = await _charger(srv, clock, local_max=4, send_max=3)
        await cp.boot()
        held = cp.state.local_list
        await _until(lambda: len(held.entries) == 4, "four entries")
        kinds = [
            (m["updateType"], len(m["localAuthorizationList"])) for m in held.received
        ]
        assert kinds == [("Full", 3), ("Differential", 1)]
        assert held.entries["STOLEN01"] == "Blocked"
        assert sum(s == "Accepted" for s in held.entries.values()) == 3
        assert held.version == 2
        await cp.link.close()
        await run
    assert "holds at most 4 entries; 2 left out. Kept 1 blocked, 3 accepted" in (
        caplog.text
    )


async def test_a_card_blocked_in_the_backoffice_reaches_every_charger_in_60_s(
    tmp_path,
):
    clock = _clock()
    async with _controller(tmp_path, clock) as (auth, srv, _):
        await auth.upsert_tokens([ocpi_token("EMSP0001")])
        one, run1 = await _charger(srv, clock, "CP001")
        two, run2 = await _charger(srv, clock, "CP002", send_max=1)
        await one.boot()
        await two.boot()
        for cp in (one, two):
            await _until(
                lambda cp=cp: cp.authorize_offline("EMSP0001") == "Accepted", "listed"
            )
        sent = [len(cp.state.local_list.received) for cp in (one, two)]

        blocked_at = clock.monotonic()  # the eMSP pushes the token, now invalid
        await auth.upsert_tokens(
            [ocpi_token("EMSP0001", valid=False, last_updated="2026-03-02T08:00:00Z")]
        )
        for cp in (one, two):
            await _until(
                lambda cp=cp: (
                    cp.authorize_offline("EMSP0001") == "Invalid"
                    and "EMSP0001" in cp.state.local_list.entries
                ),
                "invalid on the list",
            )
        assert clock.monotonic() - blocked_at < 60
        for cp, before in zip((one, two), sent, strict=True):
            news = cp.state.local_list.received[before:]
            assert [m["updateType"] for m in news] == ["Differential"]
            assert news[0]["localAuthorizationList"] == [
                {"idTag": "EMSP0001", "idTagInfo": {"status": "Invalid"}}
            ]
        for cp, run in ((one, run1), (two, run2)):
            await cp.link.close()
            await run


@pytest.mark.parametrize("refusal", ["VersionMismatch", "Failed"])
async def test_a_refused_differential_is_followed_by_a_full_list(tmp_path, refusal):
    clock = _clock()
    async with _controller(tmp_path, clock) as (auth, srv, db):
        cp, run = await _charger(srv, clock)
        await cp.boot()
        held = cp.state.local_list
        await _until(lambda: held.version == 1, "the first Full list")
        held.answer_next(refusal)
        await auth.set_blocked("CARD0002", True)
        await _until(lambda: held.entries.get("CARD0002") == "Blocked", "blocked")
        assert [(m["updateType"], m["listVersion"]) for m in held.received] == [
            ("Full", 1),
            ("Differential", 2),  # refused
            ("Full", 3),
        ]
        assert len(held.entries) == 3
        stored = await _stored(db, 3)
        assert stored.entries == held.entries
        await cp.link.close()
        await run


async def test_versions_survive_a_restart_and_the_list_the_controller_down(
    tmp_path,
):
    clock = _clock()
    db = await Database.open(tmp_path / "edge.db")
    async with _controller(tmp_path, clock, db) as (auth, srv, _):
        cp, run = await _charger(srv, clock)
        await cp.boot()
        held = cp.state.local_list
        await _until(lambda: held.version == 1, "the first Full list")
        await auth.set_blocked("CARD0003", True)
        await _until(lambda: held.version == 2, "the block")
        await _stored(db, 2)  # what a kill now would leave is the next test
    await run  # the controller is down: its server closed the link

    # The charger decides alone, from its list.
    assert cp.authorize_offline("card0001") == "Accepted"
    assert cp.authorize_offline("CARD0003") == "Blocked"
    assert cp.authorize_offline("NOBODY01") == "Invalid"

    await Authorizer(db, clock, SITE_CARDS).set_blocked("CARD0001", True)
    async with _controller(tmp_path, clock, db) as (auth, srv, _):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        again = SimChargePoint("CP002", link, clock)
        again.state.local_list = held  # the same charger, its list kept
        run = asyncio.create_task(again.run())
        await again.heartbeat()  # reconnected, no boot
        await _until(lambda: held.version == 3, "the change made while down")
        assert [m["updateType"] for m in held.received] == ["Full"] + [
            "Differential"
        ] * 2
        assert held.received[-1]["localAuthorizationList"] == [
            {"idTag": "CARD0001", "idTagInfo": {"status": "Blocked"}}
        ]
        await link.close()
        await run

    held.version = 17  # it lost or replaced its list meanwhile
    async with _controller(tmp_path, clock, db) as (auth, srv, _):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        again = SimChargePoint("CP002", link, clock)
        again.state.local_list = held
        run = asyncio.create_task(again.run())
        await again.heartbeat()
        await _until(lambda: held.version == 18, "a Full list above its version")
        assert held.received[-1]["updateType"] == "Full"
        assert len(held.entries) == 3
        await link.close()
        await run
    await db.close()


async def test_a_charger_without_lists_or_answers(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    clock = _clock()
    async with _controller(tmp_path, clock) as (auth, srv, _):
        # It reports no limits (the defaults) and answers NotSupported.
        cp, run = await _charger(srv, clock)
        del cp.state.remote.configuration["SendLocalListMaxLength"]
        cp.state.local_list.answer_next("NotSupported")
        await cp.boot()
        await _until(lambda: "no local list" in caplog.text, "NotSupported")
        await auth.set_blocked("CARD0001", True)
        await asyncio.sleep(0.2)  # 4 site seconds: more than SETTLE_S
        assert len(cp.state.local_list.received) == 1  # nothing more was sent
        assert "does not report SendLocalListMaxLength; taken as 100" in caplog.text
        await cp.link.close()
        await run


async def test_a_charger_that_does_not_answer_gets_a_full_list_later(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    clock = _clock()
    db = await Database.open(tmp_path / "edge.db")
    auth = Authorizer(db, clock, SITE_CARDS)
    await auth.start()
    service = OcppService(
        section(tmp_path, call_timeout_s=2), clock, db, auth, tokens=auth
    )
    bound: asyncio.Future = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(service.run(bound.set_result))
    srv = await bound
    cp, run = await _charger(srv, clock)
    await cp.boot()
    held = cp.state.local_list
    await _until(lambda: held.version == 1, "the first Full list")
    cp.hold_answers()
    await auth.set_blocked("CARD0001", True)
    await _until(lambda: "no answer to SendLocalList" in caplog.text, "a timeout")
    cp.release_answers()  # too late: taken as unknown, so a Full list follows
    await _until(lambda: len(held.received) >= 3, "the retry")
    assert held.received[2]["updateType"] == "Full"
    assert held.entries["CARD0001"] == "Blocked"
    await cp.link.close()
    await run
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.close()
