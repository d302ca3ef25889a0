"""The authorization service over a real SQLite file: cache, policy, blocks."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from edge.auth.authorizer import Authorizer, LocalToken
from edge.model.clock import ManualClock
from edge.model.tokens import TokenSource
from edge.ocpi import Token
from edge.ocpi.enums import WhitelistType
from edge.store import tokens as repo
from edge.store.db import Database, open_sync
from tests.unit.auth.fakes import T0, FakeRemote, ocpi_token
from tests.unit.ocpi_models import examples as ex


async def test_unknown_card_online_asks_and_caches_the_answer(
    db: Database, clock: ManualClock
) -> None:
    remote = FakeRemote("ALLOWED", token_fields={"whitelist": "ALLOWED_OFFLINE"})
    auth = Authorizer(db, clock, remote=remote)
    first = await auth.authorize("new1")
    assert first.accepted
    assert first.method == "AUTH_REQUEST"
    assert first.reason == "eMSP: ALLOWED"
    cached = auth.lookup("NEW1")
    assert cached is not None
    assert cached.source is TokenSource.OCPI
    assert await db.run(lambda d: repo.find(d, "new1")) == [cached]
    # The next swipe, with the eMSP gone, follows the cached ALLOWED_OFFLINE.
    remote.outcome = "offline"
    second = await auth.authorize("NEW1")
    assert second.accepted
    assert second.method == "WHITELIST"


async def test_unknown_to_the_emsp_is_refused_whatever_the_offline_policy(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(db, clock, remote=FakeRemote("unknown"), unknown_offline="allow")
    decision = await auth.authorize("X1")
    assert not decision.accepted
    assert decision.reason == "eMSP: unknown token"
    assert auth.lookup("X1") is None


@pytest.mark.parametrize("outcome", ["offline", "timeout", "error"])
async def test_unknown_card_offline_is_denied_by_default(
    db: Database, clock: ManualClock, outcome: str
) -> None:
    auth = Authorizer(db, clock, remote=FakeRemote(outcome), remote_timeout_s=0.05)
    decision = await auth.authorize("X1")
    assert not decision.accepted
    assert "unknown token denied by the offline policy" in decision.reason


@pytest.mark.parametrize("outcome", ["offline", "timeout", "error"])
async def test_unknown_card_offline_allowed_by_policy(
    db: Database, clock: ManualClock, outcome: str
) -> None:
    auth = Authorizer(
        db,
        clock,
        remote=FakeRemote(outcome),
        remote_timeout_s=0.05,
        unknown_offline="allow",
    )
    decision = await auth.authorize("x1")
    assert decision.accepted
    assert "unknown token allowed by the offline policy" in decision.reason
    assert (decision.uid, decision.token_type, decision.group_id) == (
        "X1",
        "RFID",
        None,
    )


async def test_allow_policy_does_not_let_a_known_invalid_token_in(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(db, clock, unknown_offline="allow")
    await auth.upsert_tokens([ocpi_token("BAD", valid=False)])
    assert not (await auth.authorize("BAD")).accepted


async def test_timeout_cancels_the_remote_request(
    db: Database, clock: ManualClock
) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    class Hanging:
        async def authorize_remote(self, uid, token_type, evse_uid):
            started.set()
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                cancelled.set()
                raise

    auth = Authorizer(db, clock, remote=Hanging(), remote_timeout_s=0.05)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    decision = await auth.authorize("X1")
    assert loop.time() - t0 < 1.0
    assert started.is_set()
    assert cancelled.is_set()
    assert not decision.accepted


async def test_operator_block_wins_without_asking(
    db: Database, clock: ManualClock
) -> None:
    remote = FakeRemote("ALLOWED")
    auth = Authorizer(
        db,
        clock,
        [LocalToken("AA", group_id="G")],
        remote=remote,
        unknown_offline="allow",
    )
    await auth.start()
    assert await auth.set_blocked("aa", True)
    assert not await auth.set_blocked("AA", True)  # already blocked
    await auth.set_blocked("NEVERSEEN", True)
    refused = await auth.authorize("AA")
    assert not refused.accepted
    assert refused.reason == "blocked by the site operator"
    assert refused.group_id == "G"
    assert not (await auth.authorize("NEVERSEEN")).accepted
    assert remote.calls == []
    assert await auth.set_blocked("AA", False)
    assert (await auth.authorize("AA")).accepted


async def test_group_id_comes_with_every_decision(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(
        db,
        clock,
        [LocalToken("CARD", group_id="fleet"), LocalToken("FOB", group_id="fleet")],
    )
    card, fob = await auth.authorize("card"), await auth.authorize("fob")
    assert card.accepted
    assert fob.accepted
    assert card.group_id == fob.group_id == "fleet"
    assert card.contract_id == "CARD"  # contract_id defaults to the uid


async def test_site_file_seeding_respects_operator_changes(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "site.db"
    site = [LocalToken("A1", group_id="g"), LocalToken("B2"), LocalToken("C3")]

    async def boot(tokens: list[LocalToken]) -> Authorizer:
        auth = Authorizer(await Database.open(path), clock, tokens, owner=("BE", "XYZ"))
        await auth.start()
        return auth

    auth = await boot(site)
    a1 = auth.lookup("A1")
    assert a1 is not None
    assert (a1.country_code, a1.party_id, a1.source) == ("BE", "XYZ", TokenSource.SITE)
    await auth._db.close()

    # The operator edits B2 with the CLI; the site file is unchanged.
    conn = open_sync(path)
    edited = auth.lookup("B2")
    assert edited is not None
    cli_edit = replace(edited, whitelist=WhitelistType.NEVER, source=TokenSource.CLI)
    repo.upsert_tokens(conn, [cli_edit], force=True)
    conn.conn.close()

    clock.advance(60)
    auth = await boot([LocalToken("A1", group_id="other"), LocalToken("B2")])
    a1, b2 = auth.lookup("A1"), auth.lookup("B2")
    assert a1 is not None
    assert a1.group_id == "other"
    assert b2 is not None
    assert b2.whitelist == "NEVER"
    assert auth.lookup("C3") is None  # gone from the site file
    await auth._db.close()


async def test_upsert_keeps_the_newest_copy(db: Database, clock: ManualClock) -> None:
    auth = Authorizer(db, clock)
    new = ocpi_token("U1", group_id="new", last_updated="2026-03-01T12:00:00Z")
    old = ocpi_token("u1", group_id="old", last_updated="2026-02-01T12:00:00Z")
    same_time = ocpi_token("U1", group_id="same", last_updated="2026-03-01T12:00:00Z")
    await auth.upsert_tokens([new])
    await auth.upsert_tokens([old, same_time])
    token = auth.lookup("U1")
    assert token is not None
    assert token.group_id == "new"
    rows = await db.run(lambda d: repo.find(d, "U1"))
    assert [r.group_id for r in rows] == ["new"]  # one row: uid is case-insensitive
    newer = ocpi_token(
        "u1", group_id="newer", valid=False, last_updated="2026-03-01T12:00:01Z"
    )
    await auth.upsert_tokens([newer])
    token = auth.lookup("U1")
    assert token is not None
    assert token.group_id == "newer"
    assert not token.valid
    assert not (await auth.authorize("U1")).accepted


async def test_within_one_batch_the_newest_wins_whatever_the_order(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(db, clock)
    await auth.upsert_tokens(
        [
            ocpi_token("U1", group_id="b", last_updated="2026-03-02T00:00:00Z"),
            ocpi_token("U1", group_id="a", last_updated="2026-03-01T00:00:00Z"),
        ]
    )
    token = auth.lookup("U1")
    assert token is not None
    assert token.group_id == "b"


async def test_same_uid_from_two_emsps_uses_the_most_recent(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(db, clock)
    await auth.upsert_tokens(
        [
            ocpi_token(
                "U1", party_id="AAA", group_id="a", last_updated="2026-03-02T00:00:00Z"
            ),
            ocpi_token(
                "U1", party_id="BBB", group_id="b", last_updated="2026-03-01T00:00:00Z"
            ),
        ]
    )
    assert len(await db.run(lambda d: repo.find(d, "U1"))) == 2
    assert (await auth.authorize("U1")).group_id == "a"


async def test_changes_from_another_process_are_picked_up(
    tmp_path: Path, clock: ManualClock
) -> None:
    db = await Database.open(tmp_path / "edge.db")
    auth = Authorizer(db, clock, [LocalToken("AA")])
    await auth.start()
    assert not await auth.refresh()  # nothing changed
    other = open_sync(tmp_path / "edge.db")  # as `edge tokens block AA` would
    repo.set_blocked(other, "AA", True, T0)
    other.conn.close()
    assert (await auth.authorize("AA")).accepted  # not yet seen
    assert await auth.refresh()
    assert not (await auth.authorize("AA")).accepted
    await db.close()


async def test_run_refreshes_on_the_clock(tmp_path: Path, clock: ManualClock) -> None:
    db = await Database.open(tmp_path / "edge.db")
    auth = Authorizer(db, clock, [LocalToken("AA")], refresh_s=5)
    task = asyncio.create_task(auth.run())
    while auth.lookup("AA") is None:
        await asyncio.sleep(0.01)
    other = open_sync(tmp_path / "edge.db")
    repo.set_blocked(other, "AA", True, T0)
    other.conn.close()
    for _ in range(100):
        clock.advance(5)
        await asyncio.sleep(0.01)
        if not (await auth.authorize("AA")).accepted:
            break
    assert not (await auth.authorize("AA")).accepted
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.close()


async def test_full_spec_token_round_trips_through_the_cache(
    db: Database, clock: ManualClock
) -> None:
    token = Token.model_validate_json(ex.TOKEN_RFID)
    auth = Authorizer(db, clock)
    await auth.upsert_tokens([token])
    back = await auth.get_token("de", "tnm", "012345678")
    assert back == token
    assert json.dumps(back.model_dump_ocpi(), sort_keys=True) == json.dumps(
        token.model_dump_ocpi(), sort_keys=True
    )
    assert await auth.get_token("DE", "TNM", "unknown") is None
    assert await auth.latest_update("DE", "TNM") == token.last_updated
    assert await auth.latest_update("NL", "XXX") is None


async def test_a_broken_database_still_yields_a_decision(
    tmp_path: Path, clock: ManualClock
) -> None:
    db = await Database.open(tmp_path / "edge.db")
    await db.close()
    auth = Authorizer(db, clock, [LocalToken("AA")])
    with pytest.raises(RuntimeError):
        await auth.start()  # explicit start reports the failure
    decision = await auth.authorize("AA")  # a swipe never raises
    assert not decision.accepted


async def test_remote_attached_later_and_start_twice(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(db, clock, [LocalToken("AA", whitelist="NEVER")])
    await auth.start()
    await auth.start()  # idempotent: seeds once
    assert not (await auth.authorize("AA")).accepted
    remote = FakeRemote("ALLOWED")
    auth.use_remote(remote)
    assert (await auth.authorize("AA")).accepted
    auth.use_remote(None)
    assert not (await auth.authorize("AA")).accepted
    assert len(remote.calls) == 1
    await auth.upsert_tokens([])  # nothing to do, no error


async def test_a_failure_to_cache_the_answer_keeps_the_decision(
    db: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = Authorizer(db, clock, remote=FakeRemote("ALLOWED"))
    await auth.start()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(repo, "upsert_tokens", broken)
    decision = await auth.authorize("NEW")
    assert decision.accepted
    assert decision.reason == "eMSP: ALLOWED"
    assert auth.lookup("NEW") is None
