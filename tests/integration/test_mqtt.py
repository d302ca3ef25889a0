"""MQTT to a real mosquitto: retained state, Home Assistant discovery, last will.

A simulated site (SimWorld: Modbus meters and boards, EVs, card readers on
ptys) and a real :class:`~edge.app.Site` whose MQTT link logs in to a real
mosquitto (password file, the ACL in config/mosquitto/edge.acl); the test side
is a real MQTT client logged in as ``homeassistant``.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration import mqtt_rig
from tests.integration.mqtt_rig import PREFIX, Broker, Got, Peer, live_site

mosquitto_broker = mqtt_rig.mosquitto_broker

UIDS = ("E1", "E2")
STATE = ("status", "power", "energy", "current_limit", "session")
ENTITIES = {  # per EVSE: (component, key)
    ("sensor", "status"),
    ("sensor", "phase"),
    ("sensor", "power"),
    ("sensor", "energy"),
    ("sensor", "session_energy"),
    ("number", "current_limit"),
    ("button", "start"),
    ("button", "stop"),
}
HA_UNITS = {"power": {"W", "kW"}, "energy": {"Wh", "kWh", "MWh"}, "current": {"A"}}
OBJECT_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


def ha_problems(got: Got) -> list[str]:
    """What Home Assistant's MQTT discovery would refuse or mis-group in ``got``.

    From home-assistant.io/integrations/mqtt (discovery topic and payload) and
    the sensor, number and button platforms' required options.
    """
    out: list[str] = []
    m = re.fullmatch(r"homeassistant/(sensor|number|button)/([^/]+)/config", got.topic)
    if m is None:
        return [f"{got.topic}: not <prefix>/<component>/<object_id>/config"]
    component, oid = m.groups()
    if not OBJECT_ID.match(oid):
        out.append(f"object_id {oid!r} has characters outside [a-zA-Z0-9_-]")
    if not got.retain:
        out.append("discovery config not retained")
    c = got.json()
    assert isinstance(c, dict)
    if c.get("unique_id") != oid:
        out.append("unique_id missing or not the object_id")
    dev = c.get("device")
    if not (isinstance(dev, dict) and dev.get("identifiers") and dev.get("name")):
        out.append("device needs identifiers and a name")
    avail = c.get("availability")
    if not (isinstance(avail, list) and avail[0].get("topic") == f"{PREFIX}/status"):
        out.append("availability must name <prefix>/status")
    if component in ("sensor", "number") and not c.get("state_topic"):
        out.append("state_topic required")
    if component in ("number", "button") and not c.get("command_topic"):
        out.append("command_topic required")
    for key in ("state_topic", "command_topic"):
        topic = c.get(key)
        if topic is not None and not str(topic).startswith(f"{PREFIX}/evse/"):
            out.append(f"{key} {topic} outside the site's prefix")
    dc = c.get("device_class")
    if dc in HA_UNITS and c.get("unit_of_measurement") not in HA_UNITS[dc]:
        out.append(f"device_class {dc} with unit {c.get('unit_of_measurement')}")
    if dc == "enum" and (not c.get("options") or "unit_of_measurement" in c):
        out.append("an enum sensor needs options and no unit")
    if component == "number" and not c.get("min", 0) < c.get("max", 0):
        out.append("number min must be below max")
    return out


def retained(peer: Peer, prefix: str) -> dict[str, Got]:
    return {g.topic: g for g in peer.got if g.retain and g.topic.startswith(prefix)}


async def test_retained_state_and_discovery_for_each_evse(
    tmp_path: Path, mosquitto_broker: Broker
) -> None:
    async with (
        live_site(tmp_path, mosquitto_broker) as live,
        Peer(mosquitto_broker) as ha,
    ):
        await ha.subscribe(f"{PREFIX}/#", "homeassistant/+/+/config")
        for uid in UIDS:  # the controller has left STARTING and read its meters
            await ha.state(uid, "status", lambda d: d["status"] == "AVAILABLE")
            await ha.state(uid, "energy", lambda d: d["energy_wh"] is not None)
        # A client that connects now gets everything from the broker's retained
        # messages (nothing is re-sent for it).
        async with Peer(mosquitto_broker) as late:
            await late.subscribe(f"{PREFIX}/#", "homeassistant/+/+/config")
            await late.wait_for(
                "every retained topic",
                lambda _g: len(retained(late, "")) == 1 + 5 * len(UIDS) + 8 * len(UIDS),
            )
            assert all(g.retain for g in late.got)
            assert late.last(f"{PREFIX}/status") == Got(
                f"{PREFIX}/status", b"online", True
            )
            for uid in UIDS:
                state = {w: late.last(f"{PREFIX}/evse/{uid}/{w}") for w in STATE}
                assert state["status"].json() == {  # type: ignore[union-attr]
                    "status": "AVAILABLE",
                    "phase": "AVAILABLE",
                    "fault": None,
                }
                assert state["current_limit"].json() == {  # type: ignore[union-attr]
                    "current_limit_a": 16.0,
                    "max_current_a": 16.0,
                }
                assert state["session"].json()["active"] is False  # type: ignore[union-attr,index]
                energy = state["energy"].json()["energy_wh"]  # type: ignore[union-attr,index]
                assert energy == live.site.controllers[uid].state.meter_wh
                assert state["power"].json() == {"power_w": 0.0}  # type: ignore[union-attr]
            configs = retained(late, "homeassistant/")
        problems = {t: p for t, g in configs.items() if (p := ha_problems(g))}
        assert problems == {}
        found = set()
        devices: dict[str, set[str]] = {}
        for topic, got in configs.items():
            component = topic.split("/")[1]
            c = got.json()
            assert isinstance(c, dict)
            uid = next(u for u in UIDS if f"_{u}_" in c["unique_id"])
            key = c["unique_id"].split(f"_{uid}_", 1)[1]
            found.add((uid, component, key))
            devices.setdefault(uid, set()).update(c["device"]["identifiers"])
        assert found == {(u, *e) for u in UIDS for e in ENTITIES}
        # one device per EVSE, distinct
        assert all(len(ids) == 1 for ids in devices.values())
        assert len({next(iter(ids)) for ids in devices.values()}) == len(UIDS)

        # A driver charges at E1 with a card: the session shows, token redacted
        live.plug_in("E1")
        await live.world.readers["E1"].present("04A23B1C00", 0.3)
        session = await ha.state("E1", "session", lambda d: d["active"])
        assert session["token"] == "****1C00"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", session["start"])
        sid = session["session_id"]
        assert sid == live.site.controllers["E1"].state.session.id  # type: ignore[union-attr]
        await ha.state("E1", "status", lambda d: d["status"] == "CHARGING")
        await ha.state("E1", "power", lambda d: (d["power_w"] or 0) > 1000)
        await ha.state("E1", "session", lambda d: d["active"] and d["energy_wh"] > 0)
        # the token never appears in clear anywhere on the broker
        assert not [g for g in ha.got if b"04A23B1C00" in g.payload]
        assert ha.last(f"{PREFIX}/evse/E2/session").json()["active"] is False  # type: ignore[union-attr,index]
    # a clean stop says offline itself (the will is for a dead connection)
    async with Peer(mosquitto_broker) as after:
        await after.subscribe(f"{PREFIX}/status")
        got = await after.wait_for("offline", lambda g: g.topic == f"{PREFIX}/status")
        assert (got.payload, got.retain) == (b"offline", True)


async def test_power_and_energy_are_rate_limited_and_status_is_not(
    tmp_path: Path, mosquitto_broker: Broker
) -> None:
    # power_interval_s = 60 site seconds; the meter is polled every site second,
    # and while an EV charges its energy register moves at nearly every poll.
    extra = "power_interval_s = 60\n"
    async with (
        live_site(tmp_path, mosquitto_broker, extra) as live,
        Peer(mosquitto_broker) as ha,
    ):
        await ha.subscribe(f"{PREFIX}/evse/E1/#")
        await ha.wait_for("E1 energy", lambda g: g.topic.endswith("E1/energy"))
        live.plug_in("E1")
        await live.world.readers["E1"].present("04A23B1C00", 0.3)
        # the status changes at once, not after an interval
        await ha.state("E1", "status", lambda d: d["status"] == "CHARGING")
        first = await ha.state("E1", "energy", lambda d: d["energy_wh"] is not None)
        start = live.clock.monotonic()
        mark = len(ha.got)
        await live.clock.sleep(200)
        elapsed = live.clock.monotonic() - start
        energies = [g for g in ha.got[mark:] if g.topic.endswith("/E1/energy")]
        # about one per interval (and the meter moved far more often)
        assert 2 <= len(energies) <= elapsed / 60 + 1
        last = energies[-1].json()["energy_wh"]  # type: ignore[index]
        assert last - first["energy_wh"] > 100  # the EV did charge meanwhile
        meter = live.site.controllers["E1"].state.meter_wh
        assert meter is not None
        assert meter - last < 11_100 * 60 / 3600 * 1.5  # ~1 interval at 11 kW
