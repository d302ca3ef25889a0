"""Commands over MQTT change the EVSE; the broker decides who may send them.

Real mosquitto (password file, config/mosquitto/edge.acl), a simulated site
(SimWorld over Modbus TCP) and a real Site; the commanding client is a real
MQTT client logged in as ``homeassistant``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge.store.sessions import list_sessions
from tests.integration import mqtt_rig
from tests.integration.mqtt_rig import (
    PREFIX,
    USERS,
    Broker,
    Got,
    Peer,
    live_site,
    refused,
    until,
)

mosquitto_broker = mqtt_rig.mosquitto_broker
E1 = f"{PREFIX}/evse/E1"


def result_of(request_id: str):
    def check(g: Got) -> bool:
        if g.topic != f"{E1}/result":
            return False
        data = g.json()
        return isinstance(data, dict) and data.get("request_id") == request_id

    return check


async def answer(ha: Peer, command: str, payload: str, request_id: str) -> dict:
    await ha.publish(f"{E1}/set/{command}", payload)
    got = await ha.wait_for(f"result {request_id}", result_of(request_id))
    data = got.json()
    assert isinstance(data, dict)
    assert data["command"] == command
    assert got.retain is False
    return data


async def test_start_limit_and_stop_change_the_evse(
    tmp_path: Path, mosquitto_broker: Broker
) -> None:
    async with (
        live_site(tmp_path, mosquitto_broker) as live,
        Peer(mosquitto_broker) as ha,
    ):
        await ha.subscribe(f"{E1}/#")
        await ha.state("E1", "status", lambda d: d["status"] == "AVAILABLE")
        live.plug_in("E1")
        await ha.state("E1", "status", lambda d: d["phase"] == "PREPARING")
        board = live.channel("E1").board
        assert board.offered_a() == 0  # no card, no command: no charge

        start = await answer(ha, "start", '{"request_id": "s1"}', "s1")
        assert (start["outcome"], start["message"]) == ("ACCEPTED", "")
        await ha.state("E1", "power", lambda d: (d["power_w"] or 0) > 10_000)
        assert board.offered_a() == 16
        session = await ha.state("E1", "session", lambda d: d["active"])

        # Home Assistant's number sends the bare value; the board is told before
        # the answer comes
        limit = await answer(
            ha, "current_limit", '{"current_limit_a": 10, "request_id": "l1"}', "l1"
        )
        assert (limit["outcome"], limit["current_limit_a"]) == ("ACCEPTED", 10.0)
        assert board.offered_a() == 10
        await ha.state("E1", "current_limit", lambda d: d["current_limit_a"] == 10.0)
        # the EV follows the pilot: 3 x 10 A x 230 V
        await ha.state("E1", "power", lambda d: 6_000 < (d["power_w"] or 0) < 7_500)
        mark = len(ha.got)
        await ha.publish(f"{E1}/set/current_limit", "12")
        await ha.state("E1", "current_limit", lambda d: d["current_limit_a"] == 12.0)
        assert board.offered_a() == 12
        plain = await ha.wait_for(
            "the plain command's result",
            lambda g: g.topic == f"{E1}/result" and b"12" in g.payload,
            after=mark,
        )
        assert plain.json()["outcome"] == "ACCEPTED"  # type: ignore[index]

        too_low = await answer(
            ha, "current_limit", '{"current_limit_a": 3, "request_id": "l2"}', "l2"
        )
        assert too_low["outcome"] == "REJECTED"
        assert "6-16 A" in too_low["message"]
        assert board.offered_a() == 12
        junk = await answer(
            ha, "current_limit", '{"current_limit_a": "max", "request_id": "l3"}', "l3"
        )
        assert junk["outcome"] == "REJECTED"
        assert "number of amps" in junk["message"]

        # 0 A pauses it: waiting for power, the OCPI status still CHARGING
        status = f"{E1}/status"
        mark = len(ha.got)
        await ha.publish(f"{E1}/set/current_limit", "0")
        waiting = await ha.wait_for(
            "the pause's status", lambda g: g.topic == status, after=mark
        )
        assert waiting.json() == {
            "status": "CHARGING",
            "phase": "SUSPENDED_EVSE",
            "fault": None,
        }
        assert board.offered_a() == 0
        mark = len(ha.got)
        await ha.publish(f"{E1}/set/current_limit", "12")
        await ha.wait_for(
            "charging again",
            lambda g: g.topic == status and g.json()["phase"] == "CHARGING",  # type: ignore[index]
            after=mark,
        )

        stop = await answer(ha, "stop", '{"request_id": "x1"}', "x1")
        assert stop["outcome"] == "ACCEPTED"
        assert board.offered_a() == 0
        await ha.state("E1", "session", lambda d: not d["active"])
        taken = live.energy_wh("E1")
        assert taken > 0
        again = await answer(ha, "stop", '{"request_id": "x2"}', "x2")
        assert (again["outcome"], again["message"]) == ("FAILED", "no active session")

        [stored] = await live.site.db.run(list_sessions)
        assert stored.id == session["session_id"]
        assert (stored.auth_method, stored.token_uid, stored.token_type) == (
            "COMMAND",
            "MQTT",
            "OTHER",
        )
        assert stored.stop_reason == "REMOTE"
        assert stored.meter_stop_wh is not None
        assert stored.meter_stop_wh > stored.meter_start_wh


async def test_retained_commands_are_not_run(
    tmp_path: Path, mosquitto_broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="edge.mqtt.publisher")
    async with Peer(mosquitto_broker) as ha:
        await ha.subscribe(f"{E1}/#")
        # left retained on the broker: it would run at every reconnect
        await ha.publish(f"{E1}/set/start", '{"request_id": "r"}', retain=True)
        async with live_site(tmp_path, mosquitto_broker) as live:
            await until(
                "the retained start seen and ignored",
                lambda: any(
                    "ignored a retained command" in r.getMessage()
                    for r in caplog.records
                ),
            )
            live.plug_in("E1")
            await ha.state("E1", "status", lambda d: d["phase"] == "PREPARING")
            # a barrier: a later command's answer means the first was handled
            await answer(
                ha, "current_limit", '{"current_limit_a": 16, "request_id": "b"}', "b"
            )
            assert not [g for g in ha.got if result_of("r")(g)]
            assert live.site.controllers["E1"].state.pending is None
            assert live.channel("E1").board.offered_a() == 0
        await ha.publish(f"{E1}/set/start", "", retain=True)  # cleared


async def test_the_broker_decides_who_may_command(
    tmp_path: Path, mosquitto_broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    # a wrong password is refused at the door
    why = await refused(mosquitto_broker, "homeassistant", "not-the-password")
    assert "authori" in why.lower() or "password" in why.lower()
    assert await refused(mosquitto_broker, "nobody", USERS["guest"])
    async with (
        live_site(tmp_path, mosquitto_broker) as live,
        Peer(mosquitto_broker) as ha,
        Peer(mosquitto_broker, "guest") as guest,
    ):
        await ha.subscribe(f"{E1}/#")
        await guest.subscribe(f"{PREFIX}/#")  # the ACL gives guest nothing to read
        live.plug_in("E1")
        await ha.state("E1", "status", lambda d: d["phase"] == "PREPARING")
        # guest is logged in but the ACL lets it write nowhere: the broker drops
        # its start (MQTT 3.1.1 does not tell the sender)
        await guest.publish(f"{E1}/set/start", '{"request_id": "g"}')
        await answer(
            ha, "current_limit", '{"current_limit_a": 16, "request_id": "b"}', "b"
        )
        assert not [g for g in ha.got if result_of("g")(g)]
        assert live.channel("E1").board.offered_a() == 0
        assert guest.got == []
    # and the controller itself with a wrong password: it keeps charging and
    # keeps trying, saying why
    caplog.set_level(logging.WARNING, logger="edge.mqtt.publisher")
    second = tmp_path / "wrong"
    second.mkdir()
    async with live_site(second, mosquitto_broker, password="wrong") as live:
        await until(
            "the refusal logged",
            lambda: any("trying again" in r.getMessage() for r in caplog.records),
        )
        assert live.site.mqtt is not None
        assert not live.site.mqtt.connected.is_set()
        assert live.site.ready.is_ready
