"""The MQTT link over its life: HA restarts, discovery off, broker restarts, kill -9.

Real mosquitto processes (killed with SIGKILL and started again on the same
port), a real Site on a simulated site, and a real ``edge sim`` process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path

import pytest
import trustme

from edge.config.schema import MqttSection, SiteConfig, SiteSection
from edge.model.clock import SystemClock
from edge.mqtt.commands import MqttCommands, local_token
from edge.mqtt.publisher import MqttPublisher
from edge.mqtt.settings import MqttSettings
from edge.mqtt.source import EvseDevice, EvseShown
from tests.integration import mqtt_rig
from tests.integration.mqtt_rig import (
    PREFIX,
    USERS,
    Broker,
    Got,
    Peer,
    live_site,
    until,
)
from tests.integration.processes import start, stop
from tests.integration.sites import site_file

mosquitto_broker = mqtt_rig.mosquitto_broker
CONFIGS = "homeassistant/+/+/config"
PER_SITE = 16  # 8 entities x 2 EVSEs


def configs(peer: Peer, after: int = 0, retain: bool | None = None) -> dict[str, Got]:
    return {
        g.topic: g
        for g in peer.got[after:]
        if g.topic.startswith("homeassistant/")
        and (retain is None or g.retain is retain)
    }


async def test_discovery_again_when_home_assistant_comes_online(
    tmp_path: Path, mosquitto_broker: Broker
) -> None:
    async with (
        live_site(tmp_path, mosquitto_broker),
        Peer(mosquitto_broker) as ha,
    ):
        await ha.subscribe(CONFIGS)
        await ha.wait_for(
            "retained configs", lambda _g: len(configs(ha, retain=True)) == PER_SITE
        )
        first = configs(ha)
        mark = len(ha.got)
        # Home Assistant restarted (its retained state may be gone): its birth
        # message makes edge publish every config again
        await ha.publish("homeassistant/status", "online")
        await ha.wait_for(
            "configs published again",
            lambda _g: len(configs(ha, mark, retain=False)) == PER_SITE,
            after=mark,
        )
        again = configs(ha, mark)
        assert again.keys() == first.keys()
        assert [again[t].payload for t in sorted(again)] == [
            first[t].payload for t in sorted(first)
        ]
        # "offline" (its last will) is no reason to publish anything
        await ha.subscribe(f"{PREFIX}/evse/E1/result")
        mark = len(ha.got)
        await ha.publish("homeassistant/status", "offline")
        await ha.publish("homeassistant/status", "online")
        # a barrier: edge handles messages in order, and answers this one after
        await ha.publish(f"{PREFIX}/evse/E1/set/current_limit", '{"request_id": "b"}')
        await ha.wait_for("the barrier", lambda g: g.topic.endswith("/result"), mark)
        assert len([g for g in ha.got[mark:] if "/config" in g.topic]) == PER_SITE


async def test_discovery_off_removes_what_was_announced(
    tmp_path: Path, mosquitto_broker: Broker
) -> None:
    async with (
        live_site(tmp_path, mosquitto_broker),
        Peer(mosquitto_broker) as ha,
    ):
        await ha.subscribe(CONFIGS)
        await ha.wait_for("configs", lambda _g: len(configs(ha)) == PER_SITE)
    second = tmp_path / "off"
    second.mkdir()
    async with (
        live_site(second, mosquitto_broker, "discovery = false\n"),
        Peer(mosquitto_broker) as late,
    ):
        # retained messages come in the order of the subscriptions: once the
        # availability is here, any config left would have come first
        await late.subscribe(CONFIGS, f"{PREFIX}/status")
        got = await late.wait_for(
            "availability", lambda g: g.topic == f"{PREFIX}/status"
        )
        assert got.payload == b"online"
        assert configs(late) == {}
        assert late.got[0].topic == f"{PREFIX}/status"
        # the state is still there, only Home Assistant's entities went
        await late.subscribe(f"{PREFIX}/evse/+/status")
        await late.wait_for("state", lambda g: g.topic.endswith("E2/status"))


async def test_a_broker_restart_gets_everything_back(
    tmp_path: Path, mosquitto_broker: Broker
) -> None:
    async with live_site(tmp_path, mosquitto_broker) as live:
        mqtt = live.site.mqtt
        assert mqtt is not None
        async with Peer(mosquitto_broker) as ha:
            await ha.subscribe(f"{PREFIX}/#")
            live.plug_in("E1")
            await live.card("E1")
            session = await ha.state("E1", "session", lambda d: d["active"])
        assert mqtt.connections == 1
        # a power cut at the broker: SIGKILL, no persistence, retained state gone
        mosquitto_broker.kill()
        await until("the link knows", lambda: not mqtt.connected.is_set())
        mosquitto_broker.start()  # the same port
        await until("reconnected", lambda: mqtt.connections == 2)
        await until("republished", mqtt.connected.is_set)
        async with Peer(mosquitto_broker) as late:
            await late.subscribe(f"{PREFIX}/#", CONFIGS)
            await late.wait_for(
                "everything retained again",
                lambda _g: (
                    len({g.topic for g in late.got if g.retain}) >= 1 + 5 * 2 + PER_SITE
                ),
            )
            assert late.last(f"{PREFIX}/status") == Got(
                f"{PREFIX}/status", b"online", True
            )
            back = late.last(f"{PREFIX}/evse/E1/session")
            assert back is not None
            data = back.json()
            assert isinstance(data, dict)
            assert data["active"] is True
            assert data["session_id"] == session["session_id"]  # not a new one
            assert data["start"] == session["start"]
            status = late.last(f"{PREFIX}/evse/E1/status")
            assert status is not None
            assert status.json()["status"] == "CHARGING"  # type: ignore[index]
        # and the charge went on through it all
        assert live.channel("E1").board.offered_a() == 16


async def test_the_last_will_says_offline_when_edge_sim_is_killed(
    tmp_path: Path, mosquitto_broker: Broker
) -> None:
    site = site_file(tmp_path, "", evses=2)
    password = tmp_path / "mqtt-password"
    password.write_text(USERS["edge"] + "\n")
    password.chmod(0o600)
    args = ["edge", "sim", "--config", str(site), "--db", str(tmp_path / "x.db")]
    args += ["--quiet", "--no-ocpi", "--speed", "10", "--duration", "1d"]
    args += ["--mqtt-host", "127.0.0.1", "--mqtt-port", str(mosquitto_broker.port)]
    args += ["--mqtt-username", "edge", "--mqtt-password-file", str(password)]
    async with Peer(mosquitto_broker) as ha:
        await ha.subscribe(f"{PREFIX}/status", f"{PREFIX}/evse/E1/status")
        proc = start(args, tmp_path / "sim.log")
        try:
            await ha.wait_for(
                "edge sim online",
                lambda g: g.topic == f"{PREFIX}/status" and g.payload == b"online",
            )
            await ha.wait_for("E1 state", lambda g: g.topic.endswith("E1/status"))
            mark = len(ha.got)
            os.killpg(proc.pid, signal.SIGKILL)  # no goodbye: only the will
            proc.wait()
        finally:
            stop(proc)
        got = await ha.wait_for(
            "the last will", lambda g: g.topic == f"{PREFIX}/status", after=mark
        )
        assert got.payload == b"offline"
    async with Peer(mosquitto_broker) as late:
        await late.subscribe(f"{PREFIX}/status")
        kept = await late.wait_for("retained", lambda g: g.topic.endswith("status"))
        assert (kept.payload, kept.retain) == (b"offline", True)
    assert "Traceback" not in (tmp_path / "sim.log").read_text()


async def test_tls_to_the_broker_with_the_sites_own_ca(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ca = trustme.CA(organization_name="edge test broker CA")
    cert = ca.issue_cert("127.0.0.1")
    d = tmp_path / "broker"
    d.mkdir()
    files = [d / "ca.pem", d / "cert.pem", d / "key.pem"]
    ca.cert_pem.write_to_path(str(files[0]))
    cert.private_key_and_cert_chain_pem.write_to_path(str(files[1]))
    cert.private_key_pem.write_to_path(str(files[2]))
    broker = Broker(d, tls=(files[1], files[2]))
    broker.start()
    try:
        tls = f'port = {broker.tls_port}\ntls = true\ntls_ca_file = "{files[0]}"\n'
        async with (
            live_site(tmp_path, broker, tls) as live,
            Peer(broker) as ha,  # on the plain listener: the same broker
        ):
            assert live.site.mqtt is not None
            assert live.site.mqtt.settings.port == broker.tls_port
            await ha.subscribe(f"{PREFIX}/status")
            got = await ha.wait_for("online", lambda g: g.topic.endswith("status"))
            assert got.payload == b"online"
        # a site that trusts another CA does not talk to this broker
        other = trustme.CA(organization_name="someone else")
        wrong = tmp_path / "wrong"
        wrong.mkdir()
        other.cert_pem.write_to_path(str(wrong / "ca.pem"))
        caplog.set_level(logging.WARNING, logger="edge.mqtt.publisher")
        tls = f'port = {broker.tls_port}\ntls = true\ntls_ca_file = "{wrong}/ca.pem"\n'
        async with live_site(wrong, broker, tls, connects=False) as live:
            await until(
                "the refusal logged",
                lambda: any("CERTIFICATE_VERIFY_FAILED" in r.getMessage()
                            for r in caplog.records),
            )  # fmt: skip
            assert live.site.mqtt is not None
            assert not live.site.mqtt.connected.is_set()
    finally:
        broker.kill()


class BrokenSource:
    """A site view that fails: the link must log it and start again, not die."""

    def __init__(self) -> None:
        self.calls = 0

    def evses(self) -> list[EvseDevice]:
        return [EvseDevice("E1", None, 16.0, "meter", "board")]

    async def shown(self, evse_uid: str) -> EvseShown:
        self.calls += 1
        raise RuntimeError(f"no view of {evse_uid}")


async def test_a_failure_inside_the_link_is_logged_and_the_link_starts_again(
    tmp_path: Path, mosquitto_broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    password = tmp_path / "pw"
    password.write_text(USERS["edge"] + "\n")
    password.chmod(0o600)
    config = SiteConfig(
        site=SiteSection(name="t", location_id="LOC1"),
        mqtt=MqttSection(
            port=mosquitto_broker.port, username="edge", password_file=str(password)
        ),
    )
    source = BrokenSource()
    commands = MqttCommands({}, local_token("NL", "EXA"), 1)
    link = MqttPublisher(
        MqttSettings.from_config(config), source, commands, SystemClock()
    )
    task = asyncio.create_task(link.run())
    try:
        await until("two attempts", lambda: source.calls >= 2)
        assert not task.done()
        assert any("MQTT link failed" in r.getMessage() for r in caplog.records)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
