"""OCPP 1.6J over a real websocket: boot, heartbeat, status, and malformed frames."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from edge.evse.states import EvseStatus, Phase
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import central_system, charge_point, section


async def test_boot_heartbeat_and_status_with_the_ocpp_client(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        cp, run = await charge_point(srv, "CP001")
        before = datetime.now(UTC) - timedelta(seconds=1)
        boot = await cp.boot()
        assert boot.status == "Accepted"
        assert boot.interval_s == 120
        assert before <= boot.current_time <= datetime.now(UTC) + timedelta(seconds=1)
        assert before <= await cp.heartbeat()

        status = central.status["CP001"]
        assert status.online
        assert status.evses()["CP001-1"].status is EvseStatus.UNKNOWN
        await cp.status(1, "Charging")
        await cp.status(2, "Available")
        views = status.evses()
        assert views["CP001-1"].phase is Phase.CHARGING
        assert views["CP001-2"].status is EvseStatus.AVAILABLE
        assert status.reports[1].error_code == "NoError"

        await cp.status(0, "Unavailable")  # the charger as a whole
        assert {v.status for v in status.evses().values()} == {EvseStatus.INOPERATIVE}
        await cp.link.close()
        await run


async def test_offline_charger_shows_unknown(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        cp, run = await charge_point(srv)
        await cp.status(1, "Available")
        assert central.status["CP002"].evse(1).status is EvseStatus.AVAILABLE
        await cp.link.close()
        await run
    assert central.status["CP002"].evse(1).status is EvseStatus.UNKNOWN


async def _exchange(link, frame: str) -> list:
    await link.send(frame)
    return json.loads(await link.recv())


MALFORMED = [
    (
        '[2,"m1","StatusNotification",{"connectorId":1,"errorCode":"NoError",'
        '"status":"Available","timestamp":"yesterday"}]',
        "PropertyConstraintViolation",
        "timestamp",
    ),
    (
        '[2,"m2","StatusNotification",{"connectorId":1,"errorCode":"NoError",'
        '"status":"Available","timestamp":"2026-03-02T06:04:27"}]',
        "PropertyConstraintViolation",
        "timestamp",
    ),
    (
        '[2,"m3","StatusNotification",{"connectorId":1,"errorCode":"NoError",'
        '"status":"Broken"}]',
        "PropertyConstraintViolation",
        "status",
    ),
    (
        '[2,"m4","StatusNotification",{"connectorId":"1","errorCode":"NoError",'
        '"status":"Available"}]',
        "TypeConstraintViolation",
        "connectorId",
    ),
    (
        '[2,"m5","StatusNotification",{"connectorId":1,"status":"Available"}]',
        "ProtocolError",
        "errorCode",
    ),
    (
        '[2,"m6","BootNotification",{"chargePointVendor":"V","chargePointModel":"M",'
        '"colour":"red"}]',
        "FormationViolation",
        "colour",
    ),
    (
        '[2,"m11","StatusNotification",{"connectorId":-1,"errorCode":"NoError",'
        '"status":"Available"}]',
        "PropertyConstraintViolation",
        "connectorId",
    ),
    ('[2,"m7","Heartbeat"]', "FormationViolation", "elements"),
    ('[2,"m8","Heartbeat",[]]', "FormationViolation", "object"),
    ('[2,"m9","Teleport",{}]', "NotImplemented", "Teleport"),
    ('[2,"m10","DataTransfer",{"vendorId":"X"}]', "NotSupported", "DataTransfer"),
]


@pytest.mark.parametrize(("frame", "code", "names"), MALFORMED)
async def test_malformed_gets_its_callerror_and_the_link_goes_on(
    tmp_path, caplog, frame, code, names
):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    unique_id = json.loads(frame)[1]
    async with central_system(section(tmp_path)) as (_, srv):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        answer = await _exchange(link, frame)
        assert answer[:3] == [4, unique_id, code]
        assert names in answer[3]
        assert answer[4] == {}
        ok = await _exchange(link, '[2,"after","Heartbeat",{}]')
        assert ok[:2] == [3, "after"]
        await link.close()
    assert code in caplog.text or "not supported" in caplog.text


async def test_unanswerable_frames_are_logged_and_ignored(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (_, srv):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        await link.send("{not json")
        await link.send('[7,"x",{}]')
        await link.send_bytes(b"\x00\x01")
        ok = await _exchange(link, '[2,"after","Heartbeat",{}]')
        assert ok[:2] == [3, "after"]  # the first frame answered is this one
        await link.close()
    assert "(FormationViolation: not valid JSON); no uniqueId to answer" in caplog.text
    assert "unknown message type" in caplog.text
    assert "binary frame of 2 bytes ignored" in caplog.text


async def test_status_of_an_undeclared_connector_is_taken_and_logged(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (central, srv):
        cp, run = await charge_point(srv)
        await cp.status(5, "Charging", timestamp=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
        report = central.status["CP002"].reports[5]
        assert report.timestamp == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
        assert set(central.status["CP002"].evses()) == {"CP002-1"}
        await cp.link.close()
        await run
    assert "status of connector 5, which [ocpp] does not declare" in caplog.text


async def test_a_flood_of_junk_logs_one_line(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (_, srv):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        for i in range(50):
            await link.send("{junk")
            await link.send(f'[2,"t{i}","Teleport",{{}}]')
            assert json.loads(await link.recv())[:3] == [4, f"t{i}", "NotImplemented"]
        ok = await _exchange(link, '[2,"after","Heartbeat",{}]')
        assert ok[:2] == [3, "after"]
        await link.close()
    lines = caplog.text.splitlines()
    assert sum("not valid JSON" in line for line in lines) == 1
    assert sum("Teleport refused" in line for line in lines) == 1
