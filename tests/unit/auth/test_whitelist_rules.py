"""Every OCPI whitelist rule, online and offline, through the whole service.

Expected outcomes are written out as a table (not recomputed from the rules):
(whitelist, valid, eMSP outcome) -> (accepted, method, eMSP asked).
"""

from __future__ import annotations

import pytest

from edge.auth.authorizer import Authorizer
from edge.model.clock import ManualClock
from edge.store.db import Database
from tests.unit.auth.fakes import FakeRemote, ocpi_token

W, A = "WHITELIST", "AUTH_REQUEST"
NO_ANSWER = ("timeout", "error", "offline")
OUTCOMES = ("ALLOWED", "BLOCKED", "unknown", *NO_ANSWER)


def _expected(whitelist: str, valid: bool, outcome: str) -> tuple[bool, str, bool]:
    if whitelist == "ALWAYS":
        return (valid, W, False)
    if whitelist == "ALLOWED" and valid:
        return (True, W, False)
    if outcome == "ALLOWED":
        return (True, A, True)
    if outcome in ("BLOCKED", "unknown"):
        return (False, A, True)
    # No answer from the eMSP: only a valid ALLOWED_OFFLINE token may charge.
    return (whitelist == "ALLOWED_OFFLINE" and valid, W, True)


CASES = [
    (wl, valid, outcome, *_expected(wl, valid, outcome))
    for wl in ("ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER")
    for valid in (True, False)
    for outcome in OUTCOMES
]


def test_table_covers_the_spec_corners() -> None:
    table = {(wl, v, o): (acc, m, asked) for wl, v, o, acc, m, asked in CASES}
    assert table[("ALWAYS", True, "BLOCKED")] == (True, W, False)
    assert table[("ALLOWED_OFFLINE", True, "timeout")] == (True, W, True)
    assert table[("NEVER", True, "timeout")] == (False, W, True)
    assert table[("NEVER", False, "ALLOWED")] == (True, A, True)
    assert len(CASES) == 48


@pytest.mark.parametrize(
    ("whitelist", "valid", "outcome", "accepted", "method", "asked"), CASES
)
async def test_whitelist_rule(
    db: Database,
    clock: ManualClock,
    whitelist: str,
    valid: bool,
    outcome: str,
    accepted: bool,
    method: str,
    asked: bool,
) -> None:
    remote = FakeRemote(
        outcome, token_fields={"group_id": "FLEET", "contract_id": "C-REMOTE"}
    )
    auth = Authorizer(db, clock, remote=remote, remote_timeout_s=0.05)
    await auth.start()
    await auth.upsert_tokens(
        [
            ocpi_token(
                "04a23b1c",
                whitelist=whitelist,
                valid=valid,
                group_id="FLEET",
                contract_id="C-LOCAL",
            )
        ]
    )

    decision = await auth.authorize("04A23B1C", evse_uid="E1")

    assert (decision.accepted, decision.method) == (accepted, method)
    assert bool(remote.calls) is asked
    assert decision.uid == "04A23B1C"
    assert decision.group_id == "FLEET"
    # An eMSP answer is the token's current state: it overrides the cached copy.
    answered = asked and outcome in ("ALLOWED", "BLOCKED")
    assert decision.contract_id == ("C-REMOTE" if answered else "C-LOCAL")
    assert decision.reason
    if asked:
        assert remote.calls == [("04A23B1C", "RFID", "E1")]
    if asked and outcome in NO_ANSWER:
        why = {
            "timeout": "within 0.05 s",
            "error": "ConnectionError",
            "offline": "unreachable",
        }[outcome]
        assert why in decision.reason
    if asked and outcome == "BLOCKED":
        assert decision.reason == "eMSP: BLOCKED"


@pytest.mark.parametrize("allowed", ["BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"])
async def test_every_refusal_of_the_emsp_is_named(
    db: Database, clock: ManualClock, allowed: str
) -> None:
    auth = Authorizer(db, clock, remote=FakeRemote(allowed))
    await auth.upsert_tokens([ocpi_token("C1", whitelist="NEVER")])
    decision = await auth.authorize("c1")
    assert not decision.accepted
    assert decision.reason == f"eMSP: {allowed}"
    assert decision.method == "AUTH_REQUEST"


async def test_allowed_but_not_at_this_evse(db: Database, clock: ManualClock) -> None:
    remote = FakeRemote("ALLOWED", evse_uids=["E2"])
    auth = Authorizer(db, clock, remote=remote)
    await auth.upsert_tokens([ocpi_token("C1", whitelist="NEVER")])
    assert not (await auth.authorize("C1", evse_uid="E1")).accepted
    assert (await auth.authorize("C1", evse_uid="e2")).accepted


async def test_without_an_uplink_the_offline_rules_apply(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(db, clock)
    await auth.upsert_tokens(
        [
            ocpi_token("OFF1", whitelist="ALLOWED_OFFLINE"),
            ocpi_token("NEV1", whitelist="NEVER"),
        ]
    )
    offline = await auth.authorize("OFF1")
    never = await auth.authorize("NEV1")
    assert offline.accepted
    assert "no uplink" in offline.reason
    assert not never.accepted
    assert "NEVER" in never.reason
