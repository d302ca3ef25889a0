"""Known deviations of charger models over a real websocket: tolerated and counted
for a charger whose site-file entry names the model, refused for one that does not."""

from __future__ import annotations

import json
import logging

import pytest

from edge.ocpp.declared import OcppConfigError, declared
from edge.ocpp.status import ConnectorStatus
from hal_sim.ocpp.link import open_link
from tests.integration import web_rig
from tests.integration.ocpp_rig import central_system, section

MODELS = {
    "GREENUP": "legrand-greenup",
    "HALO": "chargeamps-halo",
    "EVLINK": "schneider-evlink-smart-wallbox",
    "THOR": "growatt-thor",
}


def _site(tmp_path):
    chargers = [
        {
            "identity": identity,
            "model": model,
            "connector": [{"id": 1, "evse_uid": f"{identity}-1"}],
        }
        for identity, model in MODELS.items()
    ] + [
        {"identity": "PLAIN", "connector": [{"id": 1, "evse_uid": "PLAIN-1"}]},
        {
            "identity": "THOR201",
            "protocol": "ocpp2.0.1",
            "model": "growatt-thor",
            "connector": [{"id": 1, "evse_uid": "THOR201-1"}],
        },
        {
            "identity": "PLAIN201",
            "protocol": "ocpp2.0.1",
            "connector": [{"id": 1, "evse_uid": "PLAIN201-1"}],
        },
    ]
    return section(tmp_path, charger=chargers)


async def _exchange(link, frame: str) -> list:
    """The answer to ``frame`` (our own calls to the charger meanwhile skipped)."""
    await link.send(frame)
    unique_id = json.loads(frame)[1]
    while True:
        message = json.loads(await link.recv())
        if message[0] in (3, 4) and message[1] == unique_id:
            return message


async def _both(
    srv, identity: str, frame: str, plain: str = "PLAIN", protocol: str = "ocpp1.6"
) -> tuple[list, list]:
    """The answer to ``frame`` from the profiled charger, then from ``plain``."""
    answers = []
    for who in (identity, plain):
        link = await open_link(srv.url("127.0.0.1", who), who, subprotocols=(protocol,))
        answers.append(await _exchange(link, frame))
        await link.close()
    return answers[0], answers[1]


DEVIATIONS = [
    (
        "GREENUP",
        '[2,"d1","StatusNotification",{"connectorId":1,"errorCode":"Error",'
        '"status":"Faulted","timestamp":"2024-08-03T16:16:55Z"}]',
        "errorCode-Error",
        "PropertyConstraintViolation",
    ),
    (
        "HALO",
        '[2,"d2","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":'
        '"2025-03-12T13:35:37Z","sampledValue":[{"value":"1000","unit":"Wh"},'
        '{"value":"50.0","measurand":"Frequency","unit":"Hz"}]}]}]',
        "unit-Hz",
        "PropertyConstraintViolation",
    ),
    (
        "EVLINK",
        '[2,"d3","BootNotification",{"chargeBoxSerialNumber":'
        '"EVB1A22P2RI3N182341200100350795E5","chargePointModel":"EVlink Smart '
        'Wallbox","chargePointSerialNumber":"3N18310641B55","chargePointVendor":'
        '"Schneider Electric","firmwareVersion":"3.4.0.2"}]',
        "chargeBoxSerialNumber-long",
        "TypeConstraintViolation",
    ),
    (
        "THOR",
        '[2,"d4","StatusNotification",{"connectorId":1,"errorCode":"NoError",'
        '"status":"Available","timestamp":"2023-10-19T15:28:07"}]',
        "naive-time-StatusNotification",
        "PropertyConstraintViolation",
    ),
]


@pytest.mark.parametrize(("identity", "frame", "name", "code"), DEVIATIONS)
async def test_a_listed_deviation_is_accepted_and_counted_only_for_its_model(
    tmp_path, caplog, identity, frame, name, code
):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(_site(tmp_path)) as (central, srv):
        tolerated, refused = await _both(srv, identity, frame)
        assert tolerated[0] == 3, tolerated
        assert refused[0] == 4
        assert refused[2] == code
        assert central.tolerances[identity].counts == {name: 1}
        assert not central.tolerances["PLAIN"].counts
    assert f"deviation {name} of model {MODELS[identity]}" in caplog.text


async def test_the_tolerated_message_is_taken_in_its_meaning(tmp_path):
    async with central_system(_site(tmp_path)) as (central, srv):
        link = await open_link(srv.url("127.0.0.1", "GREENUP"), "GREENUP")
        await _exchange(link, DEVIATIONS[0][1])
        await link.close()
        link = await open_link(srv.url("127.0.0.1", "THOR"), "THOR")
        await _exchange(link, DEVIATIONS[3][1])
        await link.close()
    faulted = central.status["GREENUP"].reports[1]
    assert (faulted.status, faulted.error_code) == (
        ConnectorStatus.FAULTED,
        "OtherError",
    )
    thor = central.status["THOR"].reports[1]
    assert thor.timestamp is not None
    assert thor.timestamp.isoformat() == "2023-10-19T15:28:07+00:00"


async def test_each_fire_counts_and_logs_once_per_connection(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    frame = DEVIATIONS[0][1]
    async with central_system(_site(tmp_path)) as (central, srv):
        link = await open_link(srv.url("127.0.0.1", "GREENUP"), "GREENUP")
        for n in range(3):
            answer = await _exchange(link, frame.replace('"d1"', f'"d1-{n}"'))
            assert answer[0] == 3
        await link.close()
        assert central.tolerances["GREENUP"].counts["errorCode-Error"] == 3
    assert caplog.text.count("deviation errorCode-Error") == 1


UNLISTED = [
    # the listed wrong spelling only: another one is still refused
    (
        "GREENUP",
        '[2,"u1","StatusNotification",{"connectorId":1,"errorCode":"Fault",'
        '"status":"Faulted"}]',
        "PropertyConstraintViolation",
    ),
    # the listed field only: the same wrong value elsewhere is refused
    (
        "GREENUP",
        '[2,"u2","StatusNotification",{"connectorId":1,"errorCode":"NoError",'
        '"status":"Error"}]',
        "PropertyConstraintViolation",
    ),
    # the listed field only: a naive time in another field is refused
    (
        "THOR",
        '[2,"u3","StopTransaction",{"transactionId":7,"meterStop":1000,'
        '"timestamp":"2023-10-19T16:00:00Z","transactionData":[{"timestamp":'
        '"2023-10-19T15:59:00","sampledValue":[{"value":"990"}]}]}]',
        "PropertyConstraintViolation",
    ),
    # a listed deviation does not excuse another fault in the same message
    (
        "GREENUP",
        '[2,"u4","StatusNotification",{"connectorId":1,"errorCode":"Error",'
        '"status":"Faulted","colour":"red"}]',
        "FormationViolation",
    ),
]


@pytest.mark.parametrize(("identity", "frame", "code"), UNLISTED)
async def test_what_the_profile_does_not_list_is_still_refused(
    tmp_path, identity, frame, code
):
    async with central_system(_site(tmp_path)) as (central, srv):
        link = await open_link(srv.url("127.0.0.1", identity), identity)
        answer = await _exchange(link, frame)
        await link.close()
        assert answer[:3] == [4, json.loads(frame)[1], code]
        assert not central.tolerances[identity].counts


async def test_a_profile_holds_for_a_201_station_of_the_model_too(tmp_path):
    frame = (
        '[2,"s1","StatusNotification",{"timestamp":"2023-10-19T15:28:07",'
        '"connectorStatus":"Available","evseId":1,"connectorId":1}]'
    )
    async with central_system(_site(tmp_path)) as (central, srv):
        tolerated, refused = await _both(
            srv, "THOR201", frame, plain="PLAIN201", protocol="ocpp2.0.1"
        )
        assert tolerated[0] == 3, tolerated
        assert refused[:3] == [4, "s1", "PropertyConstraintViolation"]
        assert central.tolerances["THOR201"].counts == {
            "naive-time-StatusNotification": 1
        }
        assert not central.tolerances["PLAIN201"].counts


def test_an_unknown_model_is_a_config_error_naming_its_key(tmp_path):
    cfg = section(
        tmp_path,
        charger=[
            {
                "identity": "X1",
                "model": "acme-nope",
                "connector": [{"id": 1, "evse_uid": "X1-1"}],
            }
        ],
    )
    with pytest.raises(
        OcppConfigError,
        match=r"ocpp\.charger\[0\]\.model: unknown charger model 'acme-nope'",
    ):
        declared(cfg)


WEB_OCPP = """
[ocpp]
listen_port = 0

[[ocpp.charger]]
identity = "GREENUP"
model = "legrand-greenup"
connector = [{ id = 1, evse_uid = "GREENUP-1" }]

[[ocpp.charger]]
identity = "PLAIN"
connector = [{ id = 1, evse_uid = "PLAIN-1" }]
"""


async def test_the_local_api_shows_each_chargers_deviation_counts(tmp_path):
    async with web_rig.live_site(tmp_path, evses=1, extra=WEB_OCPP) as live:
        server = live.site.ocpp_server
        assert server is not None
        link = await open_link(server.url("127.0.0.1", "GREENUP"), "GREENUP")
        for n in range(2):
            frame = DEVIATIONS[0][1].replace('"d1"', f'"w{n}"')
            assert (await _exchange(link, frame))[0] == 3
        reply = await live.get("/api/v1/ocpp/chargers")
        await link.close()
    assert reply.status == 200
    assert json.loads(reply.body) == [
        {
            "identity": "GREENUP",
            "protocol": "ocpp1.6",
            "model": "legrand-greenup",
            "online": True,
            "deviations": {"errorCode-Error": 2},
        },
        {
            "identity": "PLAIN",
            "protocol": "ocpp1.6",
            "model": None,
            "online": False,
            "deviations": {},
        },
    ]
