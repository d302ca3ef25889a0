"""Home Assistant MQTT discovery: one device per EVSE, pure payload builders.

Single-component discovery, as HA documents it (checked against
home-assistant.io/integrations/mqtt, sensor.mqtt, number.mqtt, button.mqtt):
each entity's config is published, retained, on
``<discovery_prefix>/<component>/<object_id>/config`` with ``object_id`` equal
to its ``unique_id`` (characters ``[a-zA-Z0-9_-]``); ``device.identifiers``
ties the entities of one EVSE into one device; ``availability`` names our
``<prefix>/status`` (``online``, or the last will ``offline``); an empty
retained payload on the same topic removes the entity.

Per EVSE: sensors for status (``enum``), power (W), the meter's energy (Wh)
and the session's energy (Wh, with the session's id, start and redacted token
as attributes); a number for the current limit (A, 6 .. max_current_a); and
buttons to start and stop charging.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

from edge.evse.limits import MIN_CURRENT_A
from edge.evse.states import EvseStatus, Phase
from edge.mqtt.source import EvseDevice
from edge.mqtt.topics import CommandTopic, StateTopic, Topics, object_id

START_PAYLOAD = "START"
STOP_PAYLOAD = "STOP"

Json = dict[str, object]


@dataclass(frozen=True)
class Announcement:
    """One entity's discovery config (``config`` None: remove the entity)."""

    topic: str
    config: Json | None


def software_version() -> str:
    """This controller's version, as HA shows it on the device."""
    try:
        return metadata.version("edge-site-controller")
    except metadata.PackageNotFoundError:
        return "unknown"


def device(topics: Topics, ident: EvseDevice, site_name: str, sw: str) -> Json:
    """The HA device of one EVSE."""
    label = ident.evse_id or ident.uid
    return {
        "identifiers": [object_id(topics.prefix, ident.uid)],
        "name": f"{site_name} EVSE {label}",
        "manufacturer": "edge site controller",
        "model": ident.model
        or f"EVSE ({ident.board_model} board, {ident.meter_model} meter)",
        "sw_version": sw,
    }


def evse_announcements(
    topics: Topics, ident: EvseDevice, site_name: str, sw: str
) -> list[Announcement]:
    """The discovery configs of every entity of one EVSE."""
    dev = device(topics, ident, site_name, sw)
    origin: Json = {"name": "edge", "sw_version": sw}
    avail: list[Json] = [
        {
            "topic": topics.availability,
            "payload_available": "online",
            "payload_not_available": "offline",
        }
    ]
    uid = ident.uid

    def entity(component: str, key: str, name: str, **options: object) -> Announcement:
        unique = object_id(topics.prefix, uid, key)
        config: Json = {
            "name": name,
            "unique_id": unique,
            "device": dev,
            "origin": origin,
            "availability": avail,
            "qos": 1,
            **options,
        }
        return Announcement(topics.discovery(component, unique), config)

    def state(which: StateTopic) -> str:
        return topics.state(uid, which)

    return [
        entity(
            "sensor",
            "status",
            "Status",
            state_topic=state(StateTopic.STATUS),
            value_template="{{ value_json.status }}",
            json_attributes_topic=state(StateTopic.STATUS),
            device_class="enum",
            options=[s.value for s in EvseStatus],
        ),
        entity(
            "sensor",
            "phase",
            "Charging state",
            state_topic=state(StateTopic.STATUS),
            value_template="{{ value_json.phase }}",
            device_class="enum",
            options=[p.value for p in Phase],
        ),
        entity(
            "sensor",
            "power",
            "Power",
            state_topic=state(StateTopic.POWER),
            value_template="{{ value_json.power_w }}",
            device_class="power",
            unit_of_measurement="W",
            state_class="measurement",
        ),
        entity(
            "sensor",
            "energy",
            "Meter energy",
            state_topic=state(StateTopic.ENERGY),
            value_template="{{ value_json.energy_wh }}",
            device_class="energy",
            unit_of_measurement="Wh",
            state_class="total_increasing",
        ),
        entity(
            "sensor",
            "session_energy",
            "Session energy",
            state_topic=state(StateTopic.SESSION),
            value_template="{{ value_json.energy_wh }}",
            json_attributes_topic=state(StateTopic.SESSION),
            device_class="energy",
            unit_of_measurement="Wh",
            state_class="total_increasing",
        ),
        entity(
            "number",
            "current_limit",
            "Current limit",
            state_topic=state(StateTopic.CURRENT_LIMIT),
            value_template="{{ value_json.current_limit_a }}",
            command_topic=topics.command(uid, CommandTopic.CURRENT_LIMIT),
            device_class="current",
            unit_of_measurement="A",
            min=MIN_CURRENT_A,
            max=ident.max_current_a,
            step=1,
        ),
        entity(
            "button",
            "start",
            "Start charging",
            command_topic=topics.command(uid, CommandTopic.START),
            payload_press=START_PAYLOAD,
        ),
        entity(
            "button",
            "stop",
            "Stop charging",
            command_topic=topics.command(uid, CommandTopic.STOP),
            payload_press=STOP_PAYLOAD,
        ),
    ]


def announcements(
    topics: Topics, evses: Sequence[EvseDevice], site_name: str, sw: str
) -> list[Announcement]:
    """Every EVSE's discovery configs."""
    return [a for e in evses for a in evse_announcements(topics, e, site_name, sw)]


def removals(announced: Iterable[Announcement]) -> list[Announcement]:
    """Empty configs for the same topics: HA removes those entities."""
    return [Announcement(a.topic, None) for a in announced]
