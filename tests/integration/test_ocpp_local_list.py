"""Local lists over a real websocket, from a real SQLite token cache.

The central system (with the authorizer and the store) against hal_sim's 1.6J
charge point and 2.0.1 station, the same planner, store and worker through
each version's list port: a Full list after boot within the charger's limits
(1.6: LocalAuthListMaxLength and SendLocalListMaxLength; 2.0.1:
ItemsPerMessage and BytesPerMessage), every token change as a Differential, a
block at every charger within 60 site seconds, VersionMismatch and Failed
followed by a Full list, versions kept across a restart, the charger deciding
from its list while the controller is down and getting what changed
meanwhile (a 2.0.1 station's transaction started then billed once the
controller is back), and no list for a charger that takes none. Said once
for both versions where they agree (``v``), apart where they differ.
"""

from __future__ import annotations

import logging

from edge.auth.authorizer import Authorizer, LocalToken
from edge.store import sessions
from edge.store.db import Database
from hal_sim.ocpp.station_201_state import LIST_CTRLR
from tests.integration.ocpp_twin_rig import (
    V16,
    V201,
    VERSIONS,
    clock,
    controller,
    twins,
    until,
)
from tests.unit.auth.fakes import ocpi_token

CARDS = [LocalToken(f"CARD000{n}") for n in range(1, 6)]
LONG = "04A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5"
"""A 32-character uid: too long for a 1.6 list, fine for a 2.0.1 one."""


def _site(tmp_path, **extra):
    return twins(tmp_path, **extra), clock(20.0)


def _kinds(held):
    return [
        (m["updateType"], m["listVersion"], len(m["localAuthorizationList"]))
        for m in held.received
    ]


async def test_a_16_full_list_after_boot_within_the_chargers_limits(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock, cards=CARDS) as ctl:
        await ctl.auth.set_blocked("STOLEN01", True)
        cp, run = await ctl.connect(V16)
        cp.state.list_limits(4, 3)  # LocalAuthListMaxLength, SendLocalListMaxLength
        await cp.boot()
        held = cp.state.local_list
        await until(lambda: len(held.entries) == 4, "four entries")
        assert _kinds(held) == [("Full", 1, 3), ("Differential", 2, 1)]
        assert held.entries["STOLEN01"] == "Blocked"
        assert sum(s == "Accepted" for s in held.entries.values()) == 3
        assert held.version == 2
        await cp.link.close()
        await run
    assert "holds at most 4 entries; 2 left out. Kept 1 blocked, 3 accepted" in (
        caplog.text
    )


async def test_a_201_full_list_after_boot_within_its_items_and_bytes_per_message(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock, cards=CARDS) as ctl:
        await ctl.auth.upsert_tokens([ocpi_token(LONG, contract_id="DE-TNM-C0001")])
        cs, run = await ctl.connect(V201)
        cs.state.local_list.send_max = 4  # ItemsPerMessage
        cs.state.variables[(LIST_CTRLR, "BytesPerMessage")] = "600"  # 3 entries
        await cs.boot()
        held = cs.state.local_list
        await until(lambda: len(held.entries) == 6, "six entries")
        assert _kinds(held) == [("Full", 1, 3), ("Differential", 2, 3)]
        assert held.entries[LONG] == "Accepted"  # a 2.0.1 idToken holds 36

        blocked_at = site_clock.monotonic()
        await ctl.auth.set_blocked("CARD0002", True)
        await until(lambda: held.entries["CARD0002"] == "Blocked", "blocked")
        assert site_clock.monotonic() - blocked_at < 60
        assert _kinds(held)[-1] == ("Differential", 3, 1)
        stored = await ctl.stored("CS202", 3)
        assert stored.entries == held.entries
        await cs.link.close()
        await run
    assert "6 per message" not in caplog.text
    assert "3 per message; it holds 0 now" in caplog.text


@VERSIONS
async def test_a_card_blocked_in_the_backoffice_reaches_every_charger_in_60_s(
    tmp_path, v
):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock, cards=CARDS[:3]) as ctl:
        await ctl.auth.upsert_tokens([ocpi_token("EMSP0001")])
        one, run1 = await ctl.connect(v, v.other)
        two, run2 = await ctl.connect(v)
        v.send_at_most(two, 1)
        await one.boot()
        await two.boot()
        for cp in (one, two):
            await until(
                lambda cp=cp: cp.authorize_offline("EMSP0001") == "Accepted", "listed"
            )
        sent = [len(cp.state.local_list.received) for cp in (one, two)]

        blocked_at = site_clock.monotonic()  # the eMSP pushes the token, now invalid
        await ctl.auth.upsert_tokens(
            [ocpi_token("EMSP0001", valid=False, last_updated="2026-03-02T08:00:00Z")]
        )
        for cp in (one, two):
            await until(
                lambda cp=cp: (
                    cp.authorize_offline("EMSP0001") == "Invalid"
                    and "EMSP0001" in cp.state.local_list.entries
                ),
                "invalid on the list",
            )
        assert site_clock.monotonic() - blocked_at < 60
        for cp, before in zip((one, two), sent, strict=True):
            news = cp.state.local_list.received[before:]
            assert [m["updateType"] for m in news] == ["Differential"]
            assert news[0]["localAuthorizationList"] == [
                {"idTag": "EMSP0001", "idTagInfo": {"status": "Invalid"}}
            ]
        for cp, run in ((one, run1), (two, run2)):
            await cp.link.close()
            await run


@VERSIONS
async def test_version_mismatch_and_failed_are_followed_by_a_full_list(tmp_path, v):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock, cards=CARDS[:3]) as ctl:
        cp, run = await ctl.connect(v)
        await cp.boot()
        held = cp.state.local_list
        await until(lambda: held.version == 1, "the first Full list")
        for refusal, card, full in (
            ("VersionMismatch", "CARD0002", 3),
            ("Failed", "CARD0003", 5),
        ):
            held.answer_next(refusal)
            await ctl.auth.set_blocked(card, True)
            await until(lambda card=card: held.entries.get(card) == "Blocked", card)
            assert len(held.entries) == 3
            stored = await ctl.stored(v.identity, full)
            assert stored.entries == held.entries
        assert [(m["updateType"], m["listVersion"]) for m in held.received] == [
            ("Full", 1),
            ("Differential", 2),  # VersionMismatch
            ("Full", 3),
            ("Differential", 4),  # Failed
            ("Full", 5),
        ]
        await cp.link.close()
        await run


@VERSIONS
async def test_versions_survive_a_restart_and_the_list_the_controller_down(tmp_path, v):
    cfg, site_clock = _site(tmp_path)
    db = await Database.open(tmp_path / "edge.db")
    async with controller(tmp_path, cfg, site_clock, db, CARDS) as ctl:
        cp, run = await ctl.connect(v)
        await cp.boot()
        held = cp.state.local_list
        await until(lambda: held.version == 1, "the first Full list")
        await ctl.auth.set_blocked("CARD0003", True)
        await until(lambda: held.version == 2, "the block")
        await ctl.stored(v.identity, 2)  # what a kill now would leave
    await run  # the controller is down: its server closed the link

    # The charger decides alone, from its list.
    assert cp.authorize_offline("card0001") == "Accepted"
    assert cp.authorize_offline("CARD0003") == "Blocked"
    assert cp.authorize_offline("NOBODY01") == v.unknown

    await Authorizer(db, site_clock, CARDS).set_blocked("CARD0004", True)
    async with controller(tmp_path, cfg, site_clock, db, CARDS) as ctl:
        again, run = await ctl.connect(v, charger=cp)  # its list kept
        await again.heartbeat()  # reconnected, no boot: GetLocalListVersion
        await until(lambda: held.version == 3, "the change made while down")
        assert [m["updateType"] for m in held.received] == [
            "Full",
            "Differential",
            "Differential",
        ]
        assert held.received[-1]["localAuthorizationList"] == [
            {"idTag": "CARD0004", "idTagInfo": {"status": "Blocked"}}
        ]  # (as the charger keeps it)
        await again.link.close()
        await run

    held.version = 17  # it lost or replaced its list meanwhile
    async with controller(tmp_path, cfg, site_clock, db, CARDS) as ctl:
        again, run = await ctl.connect(v, charger=cp)
        await again.heartbeat()
        await until(lambda: held.version == 18, "a Full list above its version")
        assert held.received[-1]["updateType"] == "Full"
        assert len(held.entries) == 5
        await again.link.close()
        await run
    await db.close()


async def test_a_201_transaction_started_from_the_list_is_billed_once_back(tmp_path):
    cfg, site_clock = _site(tmp_path)
    db = await Database.open(tmp_path / "edge.db")
    async with controller(tmp_path, cfg, site_clock, db, CARDS) as ctl:
        await ctl.auth.set_blocked("CARD0003", True)
        cs, run = await ctl.connect(V201)
        await cs.boot()
        await until(lambda: cs.state.local_list.version == 1, "the first Full list")
    await run  # the controller is down: its server closed the link
    cs.offline = True
    assert await cs.swipe(1, "CARD0003", 0.0) is None  # blocked, from its list
    assert await cs.swipe(1, "NOBODY01", 0.0) is None
    tx = await cs.swipe(1, "card0001", 0.0)
    assert tx is not None  # started offline, its Started queued
    assert len(cs.queue) == 1

    async with controller(tmp_path, cfg, site_clock, db, CARDS) as ctl:
        again, run = await ctl.connect(V201, charger=cs)
        await again.heartbeat()
        assert await again.replay() == 1  # the Started it took offline
        await again.stop_transaction(tx, 0.0)
        [billed] = await db.run(sessions.list_sessions)
        assert (billed.token_uid, billed.status) == ("CARD0001", "COMPLETED")
        await again.link.close()
        await run
    await db.close()


async def test_a_16_charger_without_lists_or_answers(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock, cards=CARDS[:3]) as ctl:
        # It reports no limits (the defaults) and answers NotSupported.
        cp, run = await ctl.connect(V16)
        del cp.state.remote.configuration["SendLocalListMaxLength"]
        cp.state.local_list.answer_next("NotSupported")
        await cp.boot()
        await until(lambda: "no local list" in caplog.text, "NotSupported")
        await ctl.auth.set_blocked("CARD0001", True)
        await site_clock.sleep(4)  # more than SETTLE_S
        assert len(cp.state.local_list.received) == 1  # nothing more was sent
        assert "does not report SendLocalListMaxLength; taken as 100" in caplog.text
        await cp.link.close()
        await run


async def test_no_list_for_a_201_station_whose_list_is_disabled(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock, cards=CARDS) as ctl:
        cs, run = await ctl.connect(V201)
        cs.state.variables[(LIST_CTRLR, "Enabled")] = "false"
        await cs.boot()
        await until(lambda: "Enabled is false" in caplog.text, "the log line")
        await ctl.auth.set_blocked("CARD0001", True)
        await site_clock.sleep(4)  # more than SETTLE_S
        assert cs.state.local_list.received == []
        await cs.link.close()
        await run


async def test_a_16_charger_that_does_not_answer_gets_a_full_list_later(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    cfg, site_clock = _site(tmp_path, call_timeout_s=2)
    async with controller(tmp_path, cfg, site_clock, cards=CARDS[:3]) as ctl:
        cp, run = await ctl.connect(V16)
        await cp.boot()
        held = cp.state.local_list
        await until(lambda: held.version == 1, "the first Full list")
        cp.hold_answers()
        await ctl.auth.set_blocked("CARD0001", True)
        await until(lambda: "no answer to SendLocalList" in caplog.text, "a timeout")
        cp.release_answers()  # too late: taken as unknown, so a Full list follows
        await until(lambda: len(held.received) >= 3, "the retry")
        assert held.received[2]["updateType"] == "Full"
        assert held.entries["CARD0001"] == "Blocked"
        await cp.link.close()
        await run
