"""Home Assistant discovery payloads (pure builders) and the topic table."""

from __future__ import annotations

import re

from edge.config.ocpp import OcppSection
from edge.mqtt.discovery import announcements, evse_announcements, removals
from edge.mqtt.source import EvseDevice, PortSource
from edge.mqtt.topics import CommandTopic, StateTopic, Topics, object_id

TOPICS = Topics("edge/LOC1")
E1 = EvseDevice("E1", "NL*EXA*E0001*1", 16.0, "eastron_sdm630", "evse_wb")
ODD = EvseDevice("EVSE.2*a", None, 32.0, "m", "b")


def by_key(ident: EvseDevice) -> dict[str, dict]:
    out = {}
    for a in evse_announcements(TOPICS, ident, "Depot", "1.2.3"):
        assert a.config is not None
        out[str(a.config["unique_id"]).rsplit(f"{object_id(ident.uid)}_", 1)[1]] = (
            a.topic,
            a.config,
        )
    return out


def test_every_entity_has_what_home_assistant_requires() -> None:
    made = by_key(E1)
    assert set(made) == {
        "status",
        "phase",
        "power",
        "energy",
        "session_energy",
        "current_limit",
        "start",
        "stop",
    }
    for key, (topic, c) in made.items():
        component = topic.split("/")[1]
        assert topic == f"homeassistant/{component}/edge_LOC1_E1_{key}/config"
        assert c["unique_id"] == f"edge_LOC1_E1_{key}"
        assert c["device"]["identifiers"] == ["edge_LOC1_E1"]
        assert c["device"]["name"] == "Depot EVSE NL*EXA*E0001*1"
        assert c["device"]["sw_version"] == "1.2.3"
        assert c["availability"] == [
            {
                "topic": "edge/LOC1/status",
                "payload_available": "online",
                "payload_not_available": "offline",
            }
        ]
        assert c["origin"]["name"] == "edge"
    assert made["power"][1]["state_topic"] == "edge/LOC1/evse/E1/power"
    assert made["power"][1]["unit_of_measurement"] == "W"
    assert made["power"][1]["device_class"] == "power"
    assert made["energy"][1]["state_class"] == "total_increasing"
    assert made["energy"][1]["unit_of_measurement"] == "Wh"
    assert made["session_energy"][1]["json_attributes_topic"] == (
        "edge/LOC1/evse/E1/session"
    )
    assert "CHARGING" in made["status"][1]["options"]
    assert "SUSPENDED_EVSE" in made["phase"][1]["options"]  # waiting for power
    assert made["phase"][1]["state_topic"] == "edge/LOC1/evse/E1/status"
    number = made["current_limit"][1]
    assert number["command_topic"] == "edge/LOC1/evse/E1/set/current_limit"
    assert (number["min"], number["max"], number["unit_of_measurement"]) == (
        6.0,
        16.0,
        "A",
    )
    assert made["start"][1]["command_topic"] == "edge/LOC1/evse/E1/set/start"
    assert made["stop"][1]["payload_press"] == "STOP"


def test_object_ids_keep_to_home_assistants_characters() -> None:
    for a in evse_announcements(TOPICS, ODD, "x", "1"):
        oid = a.topic.split("/")[2]
        assert re.fullmatch(r"[a-zA-Z0-9_-]+", oid), oid
        assert a.config is not None
        assert a.config["unique_id"] == oid
        # the EVSE's own topics keep its uid as it is
        for key in ("state_topic", "command_topic"):
            if key in a.config:
                assert "/evse/EVSE.2*a/" in str(a.config[key])
    number = [
        a for a in evse_announcements(TOPICS, ODD, "x", "1") if "number" in a.topic
    ]
    assert number[0].config is not None
    assert number[0].config["max"] == 32.0


def test_two_evses_are_two_devices_and_removal_empties_the_same_topics() -> None:
    made = announcements(TOPICS, [E1, ODD], "Depot", "1")
    assert len(made) == 16
    assert len({a.topic for a in made}) == 16
    devices = {str(a.config["device"]["identifiers"]) for a in made if a.config}  # type: ignore[index]
    assert len(devices) == 2
    gone = removals(made)
    assert [a.topic for a in gone] == [a.topic for a in made]
    assert all(a.config is None for a in gone)


def test_topics() -> None:
    assert TOPICS.availability == "edge/LOC1/status"
    assert TOPICS.ha_status == "homeassistant/status"
    assert TOPICS.commands == "edge/LOC1/evse/+/set/+"
    assert TOPICS.state("E1", StateTopic.SESSION) == "edge/LOC1/evse/E1/session"
    assert TOPICS.result("E1") == "edge/LOC1/evse/E1/result"
    topic = TOPICS.command("E1", CommandTopic.CURRENT_LIMIT)
    assert TOPICS.parse_command(topic) == ("E1", CommandTopic.CURRENT_LIMIT)
    for other in (
        "edge/LOC1/evse/E1/set/reboot",
        "edge/LOC1/evse/E1/power",
        "edge/LOC1/evse//set/start",
        "edge/LOC1/evse/E1/set/start/x",
        "edge/LOC2/evse/E1/set/start",
        "edge/LOC1x/evse/E1/set/start",
    ):
        assert TOPICS.parse_command(other) is None, other


def test_an_ocpp_chargers_connector_is_a_device_named_after_it() -> None:
    section = OcppSection.model_validate({
        "charger": [{
            "identity": "CP001",
            "connector": [{"id": 2, "evse_uid": "CP001-2", "max_current_a": 20}],
        }]
    })  # fmt: skip
    ports = {"CP001-2": object()}  # only the uids are read at construction
    [device] = PortSource([], ports, section).evses()  # type: ignore[arg-type]
    assert (device.uid, device.max_current_a) == ("CP001-2", 20.0)
    made = by_key(device)
    model = made["status"][1]["device"]["model"]
    assert model == "OCPP charger CP001, connector 2"
