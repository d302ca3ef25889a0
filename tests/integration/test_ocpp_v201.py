"""OCPP 2.0.1 over a real websocket, beside 1.6 on the same port.

Boot, heartbeat, connector status (StatusNotification and NotifyEvent),
Authorize through the site's authorizer, the subprotocol a charger is declared
with, and schema violations answered with 2.0.1's own CALLERROR codes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from edge.evse.states import EvseStatus, Phase
from edge.model.clock import SystemClock
from edge.store import sessions
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.charge_point_201 import TokenAnswer
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp201_rig import mixed
from tests.integration.ocpp201_rig import station as _station
from tests.integration.ocpp_rig import BLOCKED_CARD, CARD, GROUP, central_system


async def test_boot_heartbeat_and_status_in_201(caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    async with central_system(mixed()) as (central, srv):
        cs = await _station(srv)
        run = asyncio.create_task(cs.run())
        before = datetime.now(UTC) - timedelta(seconds=1)
        boot = await cs.boot()
        assert (boot.status, boot.interval_s) == ("Accepted", 120)
        assert before <= boot.current_time <= datetime.now(UTC) + timedelta(seconds=1)
        assert before <= await cs.heartbeat()

        status = central.status["CS201"]
        assert status.evses()["CS201-1"].status is EvseStatus.UNKNOWN
        await cs.status(1, 1, "Available")
        await cs.status(2, 1, "Occupied")
        views = status.evses()
        assert views["CS201-1"].status is EvseStatus.AVAILABLE
        assert views["CS201-2"].status is EvseStatus.CHARGING  # in use
        assert views["CS201-2"].phase is Phase.PREPARING

        # EVSE 1 has a second connector: one usable connector keeps it Available
        await cs.status(1, 2, "Faulted")
        assert status.evse(1).status is EvseStatus.AVAILABLE
        await cs.availability_event(1, 1, "Unavailable")
        assert status.evse(1).status is EvseStatus.INOPERATIVE
        await cs.availability_event(1, 1, "Available")
        assert status.evse(1).status is EvseStatus.AVAILABLE
        await cs.availability_event(2, None, "Faulted")  # EVSE 2 as a whole
        assert status.evse(2).status is EvseStatus.OUTOFORDER
        assert status.evse(1).status is EvseStatus.AVAILABLE
        await cs.availability_event(None, None, "Unavailable")  # the station
        assert {v.status for v in status.evses().values()} == {EvseStatus.INOPERATIVE}

        await cs.notify_event({"name": "Controller"}, "Problem", "true")
        await cs.status(7, 1, "Available")  # an EVSE [ocpp] does not declare
        assert set(status.evses()) == {"CS201-1", "CS201-2"}
        await cs.link.close()
        await run
    assert "CS201 event Controller.Problem = true (Delta" in caplog.text
    assert "status of EVSE 7, which [ocpp] does not declare" in caplog.text
    assert central.status["CS201"].evse(1).status is EvseStatus.UNKNOWN


async def test_both_versions_on_one_port_at_once():
    async with central_system(mixed()) as (central, srv):
        link16 = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        cp = SimChargePoint("CP002", link16, SystemClock())
        cs = await _station(srv)
        runs = [asyncio.create_task(cp.run()), asyncio.create_task(cs.run())]
        boots = await asyncio.gather(cp.boot(), cs.boot())
        assert [b.status for b in boots] == ["Accepted", "Accepted"]
        await asyncio.gather(cp.status(1, "Charging"), cs.status(2, 1, "Available"))
        assert central.connections["CP002"].protocol == "ocpp1.6"
        assert central.connections["CS201"].protocol == "ocpp2.0.1"
        evses = central.evses()
        assert evses["CP002-1"].phase is Phase.CHARGING
        assert evses["CS201-2"].status is EvseStatus.AVAILABLE
        await link16.close()
        await cs.link.close()
        await asyncio.gather(*runs)


@pytest.mark.parametrize(
    ("identity", "offered", "declared"),
    [("CS201", ("ocpp1.6",), "ocpp2.0.1"), ("CP002", ("ocpp2.0.1",), "ocpp1.6")],
)
async def test_declared_version_not_offered_completes_then_closes(
    caplog, identity, offered, declared
):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(mixed()) as (central, srv):
        link = await open_link(
            srv.url("127.0.0.1", identity), identity, subprotocols=offered
        )
        assert link.subprotocol is None
        lost = await link.wait_closed()
        assert lost.code == 1002
        assert identity not in central.connections
    assert f"{identity}: closed, it offered no subprotocol {declared}" in caplog.text


async def test_station_offering_both_gets_its_declared_one():
    async with central_system(mixed()) as (_, srv):
        url = srv.url("127.0.0.1", "CS201")
        link = await open_link(url, "CS201", subprotocols=("ocpp1.6", "ocpp2.0.1"))
        assert link.subprotocol == "ocpp2.0.1"
        await link.close()


async def test_authorize_in_201_through_the_site_authorizer(caplog):
    caplog.set_level(logging.INFO)
    async with central_system(mixed()) as (central, srv):
        cs = await _station(srv, "CS202")
        run = asyncio.create_task(cs.run())
        assert await cs.authorize(CARD) == TokenAnswer("Accepted", GROUP)
        assert await cs.authorize(CARD.lower()) == TokenAnswer("Accepted", GROUP)
        assert await cs.authorize(BLOCKED_CARD) == TokenAnswer("Blocked", GROUP)
        assert await cs.authorize("DEADBEEF0001") == TokenAnswer("Unknown")
        await central.site.authorization.set_blocked(CARD, True)  # type: ignore[attr-defined]
        assert await cs.authorize(CARD) == TokenAnswer("Blocked", GROUP)
        await cs.link.close()
        await run
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("edge.")]
    assert not [m for m in ours if "DEADBEEF0001" in m]  # idTokens are redacted
    assert any("(ISO14443) Unknown (" in m for m in ours)


async def _exchange(link, frame: str) -> list:
    await link.send(frame)
    return json.loads(await link.recv())


_STATUS = '"timestamp":"2026-03-02T06:04:27Z","connectorStatus":"Available"'
MALFORMED_201 = [
    (
        '[2,"m1","StatusNotification",{"timestamp":"yesterday",'
        '"connectorStatus":"Available","evseId":1,"connectorId":1}]',
        "PropertyConstraintViolation",
        "timestamp",
    ),
    (
        '[2,"m2","StatusNotification",{"timestamp":"2026-03-02T06:04:27Z",'
        '"connectorStatus":"Broken","evseId":1,"connectorId":1}]',
        "PropertyConstraintViolation",
        "connectorStatus",
    ),
    (
        f'[2,"m3","StatusNotification",{{{_STATUS},"evseId":"1","connectorId":1}}]',
        "TypeConstraintViolation",
        "evseId",
    ),
    (
        f'[2,"m4","StatusNotification",{{{_STATUS},"evseId":1}}]',
        "OccurrenceConstraintViolation",
        "connectorId",
    ),
    (
        '[2,"m5","BootNotification",{"reason":"PowerUp","chargingStation":'
        '{"model":"M","vendorName":"V"},"colour":"red"}]',
        "ProtocolError",
        "colour",
    ),
    (
        '[2,"m6","Authorize",{"idToken":{"idToken":"' + "A" * 37 + '",'
        '"type":"ISO14443"}}]',
        "TypeConstraintViolation",
        "idToken/idToken",
    ),
    ('[2,"m7","Heartbeat"]', "RpcFrameworkError", "elements"),
    ('[2,"m8","Heartbeat",[]]', "FormatViolation", "object"),
    ('[2,"m9","Teleport",{}]', "NotImplemented", "Teleport"),
    ('[2,"m10","StartTransaction",{}]', "NotImplemented", "StartTransaction"),
    ('[2,"m11","DataTransfer",{"vendorId":"X"}]', "NotSupported", "DataTransfer"),
    ('[9,"m12",{}]', "MessageTypeNotSupported", "message type"),
]


@pytest.mark.parametrize(("frame", "code", "names"), MALFORMED_201)
async def test_malformed_201_gets_its_201_callerror(caplog, frame, code, names):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    unique_id = json.loads(frame)[1]
    async with central_system(mixed()) as (_, srv):
        link = await open_link(
            srv.url("127.0.0.1", "CS202"), "CS202", subprotocols=("ocpp2.0.1",)
        )
        answer = await _exchange(link, frame)
        assert answer[:3] == [4, unique_id, code]
        assert names in answer[3]
        assert answer[4] == {}
        ok = await _exchange(link, '[2,"after","Heartbeat",{}]')
        assert ok[:2] == [3, "after"]
        await link.close()
    assert code in caplog.text or "not supported" in caplog.text


async def test_the_same_frames_keep_16_codes_on_a_16_link():
    async with central_system(mixed()) as (_, srv):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        answer = await _exchange(link, '[2,"a","Heartbeat"]')
        assert answer[:3] == [4, "a", "FormationViolation"]
        await link.send('[9,"b",{}]')  # 1.6: an unknown message type is ignored
        bad = '[2,"c","StatusNotification",{"connectorId":1,"status":"Available"}]'
        assert (await _exchange(link, bad))[:3] == [4, "c", "ProtocolError"]
        await link.close()


async def test_a_station_queues_transaction_events_while_away_and_replays_them():
    async with central_system(mixed()) as (central, srv):
        cs = await _station(srv, "CS202")
        run = asyncio.create_task(cs.run())
        await cs.boot()
        await cs.link.close()
        await run
        cs.offline = True  # the link is down: events wait at the station
        start = datetime.now(UTC) - timedelta(hours=1)
        tx = await cs.start_transaction(1, CARD, 1000.0, timestamp=start)
        await cs.meter(tx, 1500.0, timestamp=start + timedelta(minutes=5))
        assert len(cs.queue) == 2

        link = await open_link(
            srv.url("127.0.0.1", "CS202"), "CS202", subprotocols=("ocpp2.0.1",)
        )
        cs.reconnect(link)
        run = asyncio.create_task(cs.run())
        await cs.boot()
        assert central.connections["CS202"].link is not None
        assert [e.seq_no for e in cs.queue] == [0, 1]  # type: ignore[attr-defined]
        assert all(e.offline for e in cs.queue)  # type: ignore[attr-defined]
        assert await cs.replay() == 2
        assert cs.queue == []
        found = await central.site.db.run(sessions.list_sessions)
        [s] = [s for s in found if s.evse_uid == "CS202-1"]
        assert (s.meter_start_wh, s.token_uid) == (1000, CARD)
        await cs.link.close()
        await run
