"""A 2.0.1 station's EVSEs as the site's EVSE ports, over a real websocket.

One swipe is one authorization decision (Authorize, then the TransactionEvent
it starts, however often that event comes); the port's start and stop (what
OCPI START/STOP_SESSION, the local API and MQTT call) are RequestStart/
StopTransaction of hal_sim's station, the stop naming the station's own
transactionId; its unlock is UnlockConnector of the EVSE's connector.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from edge.model.authorization import AuthDecision, Authorization
from edge.model.commands import CommandOutcome, CommandToken
from edge.model.tokens import TokenType
from edge.ocpp.evse import ocpp_evses
from edge.store import sessions
from tests.integration.ocpp201_rig import booted, mixed
from tests.integration.ocpp_rig import CARD, central_system
from tests.unit.auth.fakes import ocpi_token

APP_TOKEN = CommandToken("APP-USER-0042", "APP_USER", "BE-EMS-C00000042-Z", "BE", "EMS")
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Counted:
    """The site's authorization service, each decision counted (not mocked)."""

    def __init__(self, inner: Authorization) -> None:
        self.inner = inner
        self.asked: list[str] = []

    async def authorize(
        self,
        uid: str,
        token_type: TokenType = TokenType.RFID,
        evse_uid: str | None = None,
    ) -> AuthDecision:
        self.asked.append(uid)
        return await self.inner.authorize(uid, token_type, evse_uid)


def _counted(central) -> Counted:
    counted = Counted(central.site.authorization)
    central.site = replace(central.site, authorization=counted)
    return counted


async def test_one_swipe_is_one_authorization_decision():
    async with central_system(mixed()) as (central, srv):
        counted = _counted(central)
        cs, run = await booted(srv, central, "CS202")  # one EVSE: Authorize names it
        assert (await cs.authorize(CARD)).status == "Accepted"
        tx = await cs.start_transaction(1, CARD, 1_000.0, timestamp=_at(0))
        assert counted.asked == [CARD]  # Authorize, then Started: one decision
        again = await cs.transaction_event(
            tx,
            "Started",
            "Authorized",
            id_token=CARD,
            energy_wh=1_000.0,
            seq_no=0,
            timestamp=_at(0),
        )  # fmt: skip  (the station resends it: still the same decision)
        assert again["id_token_info"]["status"] == "Accepted"
        await cs.stop_transaction(tx, 3_000.0, timestamp=_at(30))
        assert counted.asked == [CARD]

        other = await cs.start_transaction(1, CARD, 3_000.0, timestamp=_at(40))
        assert counted.asked == [CARD, CARD]  # no Authorize before it: one
        await cs.stop_transaction(other, 3_500.0, timestamp=_at(50))
        found = await central.site.db.run(sessions.list_sessions)
        assert sorted(s.energy_wh for s in found) == [500, 2_000]
        await cs.link.close()
        await run


async def test_the_port_starts_and_stops_through_request_start_and_stop():
    async with central_system(mixed()) as (central, srv):
        await central.site.authorization.upsert_tokens(
            [ocpi_token(APP_TOKEN.uid, type="APP_USER", party_id="EMS")]
        )
        cs, run = await booted(srv, central)
        port = ocpp_evses(central)["CS201-2"]
        started = await port.start(APP_TOKEN, None, 5)
        assert started.outcome is CommandOutcome.ACCEPTED
        [(remote_id, uid, evse)] = cs.state.remote_starts
        assert (uid, evse) == (APP_TOKEN.uid, 2)
        # the station acts on it as a real one does: its TransactionEvent
        tx = await cs.start_transaction(
            2, uid, 100.0, "RemoteStart", remote_start_id=remote_id,
            token_type="Central", timestamp=_at(0),
        )  # fmt: skip
        view = port.view()
        assert view.session is not None
        assert view.session.token_uid == APP_TOKEN.uid

        stopped = await port.stop(view.session.id, 5)
        assert stopped.outcome is CommandOutcome.ACCEPTED
        assert cs.state.remote_stops == [tx.transaction_id]  # the station's own id
        await cs.stop_transaction(tx, 900.0, reason="Remote", timestamp=_at(20))
        assert port.view().session is None
        again = await port.stop(None, 5)
        assert again.outcome is CommandOutcome.FAILED  # nothing runs there

        second = await port.start(APP_TOKEN, None, 5)
        assert second.outcome is CommandOutcome.ACCEPTED
        assert cs.state.remote_starts[1][0] == remote_id + 1  # a fresh remoteStartId
        await cs.link.close()
        await run
        gone = await port.start(APP_TOKEN, None, 5)
        assert gone.outcome is CommandOutcome.FAILED
        assert "not connected" in gone.message


async def test_the_port_unlocks_through_unlock_connector():
    async with central_system(mixed()) as (central, srv):
        cs, run = await booted(srv, central)
        port = ocpp_evses(central)["CS201-2"]
        unlocked = await port.unlock(5)
        assert unlocked.outcome is CommandOutcome.ACCEPTED
        assert cs.state.unlocks == [(2, 1)]
        await cs.start_transaction(2, CARD, 0.0, timestamp=_at(0))
        locked = await port.unlock(5)
        assert locked.outcome is CommandOutcome.REJECTED
        assert "a transaction runs" in locked.message
        await cs.link.close()
        await run
