"""An installer's operations on OCPP chargers, one interface for both versions.

Reset, ChangeAvailability, TriggerMessage and the configuration through
:class:`~edge.ocpp.operations.ChargerOperations`, over a real websocket to
hal_sim's 1.6J charger and 2.0.1 station (each message checked against its
version's schemas both ways); and the same through the local API
(``/api/v1/chargers/{identity}/...``) over real HTTP, token-protected.
"""

from __future__ import annotations

import json

from edge.model.commands import CommandOutcome
from edge.ocpp.operations import (
    ChargerOperations,
    Reply,
    ResetKind,
    Setting,
    Settings,
    Trigger,
    charger_operations,
)
from tests.integration import raw_http, web_rig
from tests.integration.ocpp201_rig import booted, mixed
from tests.integration.ocpp_rig import booted_charge_point, central_system

OK = CommandOutcome.ACCEPTED


async def test_a_16_chargers_operations():
    async with central_system(mixed()) as (central, srv):
        ops = charger_operations(central)["CP002"]
        away = await ops.reset(ResetKind.SOFT, 5)
        assert away.outcome is CommandOutcome.FAILED
        assert "CP002 is not connected" in away.message

        cp, run = await booted_charge_point(srv, central)
        remote = cp.state.remote
        assert await ops.reset(ResetKind.HARD, 5) == Reply(OK, "Accepted")
        assert remote.calls("Reset")[0].payload == {"type": "Hard"}
        remote.statuses["Reset"] = "Rejected"
        refused = await ops.reset(ResetKind.SOFT, 5)
        assert (refused.outcome, refused.status) == (
            CommandOutcome.REJECTED,
            "Rejected",
        )

        assert await ops.change_availability(1, False, 5) == Reply(OK, "Accepted")
        assert cp.state.inoperative == {1}
        assert await ops.change_availability(None, True, 5) == Reply(OK, "Accepted")
        assert cp.state.inoperative == {1}  # connector 0 made operative, 1 not
        await ops.change_availability(1, True, 5)
        assert cp.state.inoperative == set()

        assert await ops.trigger(Trigger.HEARTBEAT, None, 5) == Reply(OK, "Accepted")
        assert remote.calls("TriggerMessage")[0].payload == {
            "requested_message": "Heartbeat"
        }
        remote.statuses["TriggerMessage"] = "NotImplemented"
        unsupported = await ops.trigger(Trigger.METER_VALUES, 1, 5)
        assert unsupported.outcome is CommandOutcome.NOT_SUPPORTED

        every = await ops.configuration(None, 5)
        assert isinstance(every, Settings)
        assert Setting("HeartbeatInterval", "300", False) in every.keys
        assert Setting("NumberOfConnectors", "1", True) in every.keys
        changed = await ops.set_configuration("HeartbeatInterval", "60", 5)
        assert changed == Reply(OK, "Accepted")
        some = await ops.configuration(["HeartbeatInterval", "Nope"], 5)
        assert some == Settings((Setting("HeartbeatInterval", "60", False),), ("Nope",))
        readonly = await ops.set_configuration("NumberOfConnectors", "2", 5)
        assert readonly.outcome is CommandOutcome.REJECTED
        unknown = await ops.set_configuration("Nope", "1", 5)
        assert (unknown.outcome, unknown.status) == (
            CommandOutcome.NOT_SUPPORTED,
            "NotSupported",
        )
        await cp.link.close()
        await run


async def test_a_201_stations_operations_in_the_same_words():
    async with central_system(mixed()) as (central, srv):
        ops: ChargerOperations = charger_operations(central)["CS201"]
        cs, run = await booted(srv, central)
        done = cs.state.operations
        assert await ops.reset(ResetKind.SOFT, 5) == Reply(OK, "Accepted")
        assert await ops.reset(ResetKind.HARD, 5) == Reply(OK, "Accepted")
        assert [p["type"] for a, p in done if a == "Reset"] == ["OnIdle", "Immediate"]

        cs.state.answers["ChangeAvailability"] = "Scheduled"  # a transaction runs
        later = await ops.change_availability(2, False, 5)
        assert later == Reply(OK, "Scheduled")
        await ops.change_availability(0, True, 5)  # 0: the whole station
        assert [p for a, p in done if a == "ChangeAvailability"] == [
            {"operational_status": "Inoperative", "evse": {"id": 2}},
            {"operational_status": "Operative", "evse": None},
        ]

        status = await ops.trigger(Trigger.STATUS_NOTIFICATION, 1, 5)
        assert status == Reply(OK, "Accepted")
        assert done[-1] == (
            "TriggerMessage",
            {
                "requested_message": "StatusNotification",
                "evse": {"id": 1, "connector_id": 1},
            },
        )

        key = "OCPPCommCtrlr.HeartbeatInterval"
        assert await ops.set_configuration(key, "90", 5) == Reply(OK, "Accepted")
        got = await ops.configuration([key, "Nope.Nothing"], 5)
        assert got == Settings((Setting(key, "90"),), ("Nope.Nothing",))
        assert cs.state.variables[("OCPPCommCtrlr", "HeartbeatInterval")] == "90"
        readonly = await ops.set_configuration("SecurityCtrlr.Identity", "x", 5)
        assert readonly.outcome is CommandOutcome.REJECTED
        for unnamed in (None, ["HeartbeatInterval"]):  # 2.0.1 has no plain keys
            refused = await ops.configuration(unnamed, 5)
            assert isinstance(refused, Reply)
            assert refused.outcome is CommandOutcome.REJECTED
            assert "Component.Variable" in refused.message
        await cs.link.close()
        await run


WEB_OCPP = """
[ocpp]
listen_port = 0

[[ocpp.charger]]
identity = "CP002"
connector = [{ id = 1, evse_uid = "CP002-1" }]

[[ocpp.charger]]
identity = "CS202"
protocol = "ocpp2.0.1"
connector = [{ id = 1, evse_uid = "CS202-1" }]
"""


async def test_the_local_api_reaches_both_versions(tmp_path):
    async with web_rig.live_site(tmp_path, evses=1, extra=WEB_OCPP) as live:
        server = live.site.ocpp_server
        assert server is not None
        cp, run = await booted_charge_point(server, live.site.ocpp.central)  # type: ignore[union-attr]
        cs, run201 = await booted(server, live.site.ocpp.central, "CS202")  # type: ignore[union-attr]

        reset = await live.post("/api/v1/chargers/CP002/reset", {"type": "Soft"})
        reset201 = await live.post("/api/v1/chargers/CS202/reset", {"type": "Hard"})
        off = await live.post(
            "/api/v1/chargers/CS202/availability", {"evse": 1, "operative": False}
        )
        beat = await live.post(
            "/api/v1/chargers/CP002/trigger", {"message": "Heartbeat"}
        )
        put = await raw_http.request(
            live.port,
            b"PUT",
            b"/api/v1/chargers/CP002/configuration",
            [
                *web_rig.auth(web_rig.TOKEN),
                (b"Content-Type", b"application/json"),
            ],
            json.dumps({"key": "HeartbeatInterval", "value": "45"}).encode(),
        )
        conf = await live.get(
            "/api/v1/chargers/CP002/configuration?key=HeartbeatInterval&key=Nope"
        )
        conf201 = await live.get(
            "/api/v1/chargers/CS202/configuration?key=OCPPCommCtrlr.HeartbeatInterval"
        )
        no_token = await live.post(
            "/api/v1/chargers/CP002/reset", {"type": "Soft"}, token=None
        )
        unknown = await live.post("/api/v1/chargers/CP999/reset", {"type": "Soft"})
        bad_evse = await live.post(
            "/api/v1/chargers/CP002/availability", {"evse": 7, "operative": False}
        )
        bad_type = await live.post("/api/v1/chargers/CP002/reset", {"type": "Soft!"})
        await cp.link.close()
        await cs.link.close()
        await run
        await run201

    def body(reply):
        assert reply.status == 200, reply.body
        return json.loads(reply.body)

    accepted = {"outcome": "ACCEPTED", "status": "Accepted", "message": ""}
    for reply in (reset, reset201, off, beat, put):
        assert body(reply) == accepted
    assert cp.state.remote.calls("Reset")[0].payload == {"type": "Soft"}
    assert cs.state.operations[:2] == [
        ("Reset", {"type": "Immediate", "evse_id": None}),
        (
            "ChangeAvailability",
            {"operational_status": "Inoperative", "evse": {"id": 1}},
        ),
    ]
    assert cp.state.remote.configuration["HeartbeatInterval"].value == "45"
    assert body(conf) == {
        "outcome": "ACCEPTED",
        "message": "",
        "keys": [{"key": "HeartbeatInterval", "value": "45", "readonly": False}],
        "unknown": ["Nope"],
    }
    assert body(conf201)["keys"] == [
        {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "300", "readonly": None}
    ]
    assert no_token.status == 401
    assert unknown.status == 404
    assert json.loads(unknown.body)["field"] == "path.identity"
    assert bad_evse.status == 422
    assert "declares no EVSE 7" in json.loads(bad_evse.body)["message"]
    assert bad_type.status == 422
