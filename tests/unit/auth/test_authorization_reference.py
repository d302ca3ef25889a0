"""Real-time authorization: the eMSP's authorization_reference and the EVSE asked
about reach the decision (and through it the session)."""

from __future__ import annotations

from edge.auth.authorizer import Authorizer, LocalToken
from edge.model.clock import ManualClock
from edge.ocpi.enums import TokenType
from edge.store.db import Database
from tests.unit.auth.fakes import FakeRemote


async def test_real_time_answer_carries_its_reference_and_the_evse(
    db: Database, clock: ManualClock
) -> None:
    remote = FakeRemote("ALLOWED", evse_uids=["E1"])
    auth = Authorizer(db, clock, remote=remote)
    decision = await auth.authorize("new1", evse_uid="E1")
    assert decision.accepted
    assert decision.authorization_reference == "REF-1"
    assert (decision.country_code, decision.party_id) == ("DE", "TNM")
    assert remote.calls == [("NEW1", TokenType.RFID, "E1")]


async def test_local_list_decision_has_no_reference(
    db: Database, clock: ManualClock
) -> None:
    auth = Authorizer(db, clock, [LocalToken("AA11")], owner=("NL", "EXA"))
    decision = await auth.authorize("aa11", evse_uid="E1")
    assert decision.accepted
    assert decision.authorization_reference is None
    assert (decision.country_code, decision.party_id) == ("NL", "EXA")
