"""A session's token and authorization reference, from a real SQLite store.

The push (planner) and the Sender GETs (sender_queries) build Session and CDR
from the same helper; both must carry the eMSP's authorization_reference and the
token's issuer as the session recorded it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils  # noqa: TID251

from edge.model.session import Session, SessionStatus
from edge.model.tokens import CachedToken, TokenSource
from edge.ocpi import CDR
from edge.ocpi import Session as OcpiSession
from edge.ocpi.enums import TokenType, WhitelistType
from edge.ocpi.party import Party
from edge.store import sessions as repo
from edge.store import tokens as token_repo
from edge.store.db import open_sync, transaction
from edge.store.outbox import OutboxItem
from edge.uplink.ocpi.push import Planner, Send, Target, session_auth
from edge.uplink.ocpi.serve import object_pages as sender_queries
from edge.uplink.ocpi.serve.pagination import PageQuery
from tests.unit.uplink.test_mapping import ctx

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PEER = Party("BE", "BOB")
URLS = {m: f"https://emsp.example/{m}" for m in ("sessions", "cdrs", "locations")}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_sync(tmp_path / "edge.db")
    yield database
    database.conn.close()


def store(
    db: sqlite_utils.Database,
    sid: str,
    token: str,
    extras: repo.SessionExtras = repo.SessionExtras(),  # noqa: B008 - frozen
    *,
    method: str = "COMMAND",
    contract: str | None = "DE-MSP-C00000001",
    end: bool = True,
) -> None:
    s = Session(
        id=sid,
        evse_uid="E1",
        token_uid=token,
        token_type="APP_USER",
        contract_id=contract,
        auth_method=method,
        auth_reason="remote start (authorised by the eMSP)",
        status=SessionStatus.ACTIVE,
        start=T0,
        end=None,
        meter_start_wh=1000,
        meter_last_wh=1000,
        meter_stop_wh=None,
        stop_reason=None,
        last_updated=T0,
    )
    repo.start_session(db, s, None, extras)
    if end:
        repo.stop_session(db, sid, 4500, T0 + timedelta(hours=1), "REMOTE")


def cache_token(db: sqlite_utils.Database, uid: str, cc: str, pid: str) -> None:
    with transaction(db) as conn:
        token_repo.put(
            conn,
            CachedToken(
                country_code=cc,
                party_id=pid,
                uid=uid,
                type=TokenType.APP_USER,
                contract_id=f"{cc}-{pid}-CACHED",
                issuer="cache",
                valid=True,
                whitelist=WhitelistType.ALLOWED,
                last_updated=T0,
                source=TokenSource.OCPI,
            ),
        )


def get(db: sqlite_utils.Database, sid: str) -> Session:
    found = repo.get_session(db, sid)
    assert found is not None
    return found


def test_the_sessions_own_record_wins_over_cache_and_peer(
    db: sqlite_utils.Database,
) -> None:
    store(db, "S1", "APP1", repo.SessionExtras("REF-1", "DE", "MSP"))
    cache_token(db, "APP1", "FR", "CAC")  # the same uid from another eMSP
    auth = session_auth(db, ctx(), get(db, "S1"), PEER)
    assert auth.authorization_reference == "REF-1"
    t = auth.token
    assert (t.country_code, t.party_id, t.uid, t.type.value, t.contract_id) == (
        "DE",
        "MSP",
        "APP1",
        "APP_USER",
        "DE-MSP-C00000001",
    )


def test_without_a_record_the_cache_then_the_peer(db: sqlite_utils.Database) -> None:
    store(db, "S2", "APP2", method="WHITELIST", contract=None)
    cache_token(db, "APP2", "FR", "CAC")
    auth = session_auth(db, ctx(), get(db, "S2"), PEER)
    assert auth.authorization_reference is None
    assert (auth.token.country_code, auth.token.party_id) == ("FR", "CAC")
    assert auth.token.contract_id == "FR-CAC-CACHED"
    store(db, "S3", "APP3", method="WHITELIST")
    auth = session_auth(db, ctx(), get(db, "S3"), PEER)
    assert (auth.token.country_code, auth.token.party_id) == ("BE", "BOB")
    # half a record (no party id) is not a record
    store(db, "S4", "APP4", repo.SessionExtras("REF-4", "DE", None))
    auth = session_auth(db, ctx(), get(db, "S4"), PEER)
    assert (auth.token.party_id, auth.authorization_reference) == ("BOB", "REF-4")


def test_push_and_sender_get_carry_the_same_session_and_cdr(
    db: sqlite_utils.Database,
) -> None:
    store(db, "S1", "APP1", repo.SessionExtras("REF-1", "DE", "MSP"))
    planner = Planner(ctx(), 900.0)
    now = T0 + timedelta(days=1)
    pushed: dict[str, object] = {}
    for module in ("sessions", "cdrs"):
        item = OutboxItem(1, f"{module}:S1", module, "S1", None, 1, 0, "", None, False)
        plan = planner.plan(db, item, Target(URLS, PEER), now)
        assert isinstance(plan, Send), plan
        pushed[f"{module}:S1"] = plan.request.body
    session = OcpiSession.model_validate(pushed["sessions:S1"])
    cdr = CDR.model_validate(pushed["cdrs:S1"])
    for obj in (session, cdr):
        assert obj.authorization_reference == "REF-1"
        assert (obj.cdr_token.country_code, obj.cdr_token.party_id) == ("DE", "MSP")
        assert obj.auth_method.value == "COMMAND"
    page = sender_queries.sessions(db, ctx(), PEER, PageQuery())
    assert page.objects == [pushed["sessions:S1"]]
    page = sender_queries.cdrs(db, ctx(), PEER, PageQuery())
    assert page.objects == [pushed["cdrs:S1"]]
