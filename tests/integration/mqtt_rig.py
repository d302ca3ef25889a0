"""A real mosquitto per test, and a real MQTT client (aiomqtt) on the test side.

:func:`mosquitto_broker` (a fixture) starts ``mosquitto`` on a free loopback
port with a temporary config: no anonymous clients, a password file made with
``mosquitto_passwd`` (the password on its stdin, not in argv) and the ACL this
project ships (``config/mosquitto/edge.acl``). ``./dev test`` installs the
``mosquitto`` package; without it these tests fail, loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import aiomqtt  # noqa: TID251 (the test side's own client)
import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.app import Site
from edge.config.loader import load_config
from edge.model.clock import ScaledClock
from hal_sim.schedule import Visit
from hal_sim.site import SimChannel
from hal_sim.world import SimWorld
from tests.integration.sim_site import simulated
from tests.integration.sites import free_port, site_file

ROOT = Path(__file__).resolve().parents[2]
ACL = ROOT / "config" / "mosquitto" / "edge.acl"
USERS = {"edge": "edge-secret-1", "homeassistant": "ha-secret-2", "guest": "guest-3"}
GUARD_S = 30.0
"""Wall seconds a test waits for something that should happen (a guard only)."""
PREFIX = "edge/LOC1"


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail(
            f"{name} is not installed: the MQTT tests need a real broker; run "
            "./dev test (it installs the Debian package mosquitto) or "
            "`apt-get install mosquitto`"
        )
    return found


@dataclass
class Broker:
    """One mosquitto process; :meth:`restart` brings it back on the same port."""

    dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    tls: tuple[Path, Path] | None = None
    """(certificate chain, key) for a second, TLS listener on :attr:`tls_port`."""
    tls_port: int = field(default_factory=free_port)

    @property
    def log(self) -> Path:
        return self.dir / "mosquitto.log"

    def write_config(self) -> Path:
        passwd = self.dir / "passwd"
        passwd.unlink(missing_ok=True)
        tool = _program("mosquitto_passwd")
        for n, (user, password) in enumerate(USERS.items()):
            args = [tool, *(["-c"] if n == 0 else []), str(passwd), user]
            subprocess.run(
                args, input=f"{password}\n{password}\n".encode(), check=True,
                capture_output=True,
            )  # fmt: skip
        conf = self.dir / "mosquitto.conf"
        text = (
            "allow_anonymous false\n"
            f"password_file {passwd}\n"
            f"acl_file {ACL}\n"
            "persistence false\n"
            f"user {getpass.getuser()}\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            f"listener {self.port} 127.0.0.1\n"
        )
        if self.tls is not None:
            cert, key = self.tls
            text += (
                f"listener {self.tls_port} 127.0.0.1\ncertfile {cert}\nkeyfile {key}\n"
            )
        conf.write_text(text)
        return conf

    def start(self) -> None:
        conf = self.dir / "mosquitto.conf"
        if not conf.exists():
            self.write_config()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [_program("mosquitto"), "-c", str(conf)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + GUARD_S
        while True:  # listening yet? (a guard against a broker that never comes up)
            if self.proc.poll() is not None:
                raise AssertionError(f"mosquitto exited: {self.log.read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise AssertionError("mosquitto did not listen")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: the broker dies as in a power cut (its retained state with it)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture
def mosquitto_broker(tmp_path: Path) -> Iterator[Broker]:
    """A running mosquitto with users edge, homeassistant and guest (no ACL lines)."""
    d = tmp_path / "broker"
    d.mkdir()
    broker = Broker(d)
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@dataclass(frozen=True)
class Got:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> object:
        return json.loads(self.payload)


class Peer:
    """A client of the broker that keeps every message it receives."""

    def __init__(self, broker: Broker, user: str = "homeassistant") -> None:
        self.client = aiomqtt.Client(
            "127.0.0.1", broker.port, username=user, password=USERS[user]
        )
        self.got: list[Got] = []
        self._new = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Peer:
        await self.client.__aenter__()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await self._task
        with contextlib.suppress(aiomqtt.MqttError):
            await self.client.__aexit__(None, None, None)

    async def _read(self) -> None:
        async for m in self.client.messages:
            payload = m.payload if isinstance(m.payload, bytes) else b""
            self.got.append(Got(m.topic.value, payload, bool(m.retain)))
            self._new.set()

    async def subscribe(self, *topics: str) -> None:
        for topic in topics:
            await self.client.subscribe(topic, qos=1)

    async def publish(self, topic: str, payload: str | bytes, retain: bool = False):
        await self.client.publish(topic, payload, qos=1, retain=retain)

    def last(self, topic: str) -> Got | None:
        found = [g for g in self.got if g.topic == topic]
        return found[-1] if found else None

    async def wait_for(
        self, what: str, check: Callable[[Got], bool], after: int = 0
    ) -> Got:
        """The first message from index ``after`` on that passes ``check``."""
        deadline = time.monotonic() + GUARD_S
        seen = after
        while True:
            for g in self.got[seen:]:
                if check(g):
                    return g
            seen = len(self.got)
            self._new.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no MQTT message: {what}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._new.wait()

    async def state(self, uid: str, which: str, check: Callable[[dict], bool]):
        """Wait until the EVSE's ``which`` topic carries a payload passing ``check``."""
        topic = f"{PREFIX}/evse/{uid}/{which}"
        got = await self.wait_for(
            f"{topic} as expected", lambda g: g.topic == topic and check(g.json())
        )
        data = got.json()
        assert isinstance(data, dict)
        return data


async def refused(broker: Broker, user: str, password: str) -> str:
    """Why the broker refuses this login (AssertionError if it lets it in)."""
    client = aiomqtt.Client("127.0.0.1", broker.port, username=user, password=password)
    try:
        async with client:
            pass
    except aiomqtt.MqttError as exc:
        return str(exc)
    raise AssertionError(f"the broker let {user} in with a wrong password")


async def until(what: str, cond: Callable[[], bool]) -> None:
    """Wait (wall time, as a guard) until ``cond()`` holds."""
    deadline = time.monotonic() + GUARD_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Live:
    """A running simulated site publishing to the broker."""

    site: Site
    world: SimWorld
    clock: ScaledClock

    def channel(self, uid: str) -> SimChannel:
        return self.world.site.channels[uid]

    def plug_in(self, uid: str) -> None:
        visit = Visit(f"ev-{uid}", uid, None, 0, 1e9, 30_000, 60_000, 0.3, 16, 3)
        self.world.site.plug_in(visit)

    async def card(self, uid: str, card: str = "04A23B1C00") -> None:
        await self.world.readers[uid].present(card, 0.3)

    def energy_wh(self, uid: str) -> float:
        ev = self.channel(uid).board.ev
        return 0.0 if ev is None else ev.energy_taken_wh


def mqtt_table(
    broker: Broker, password_file: Path, extra: str = "", password: str | None = None
) -> str:
    password_file.write_text((password or USERS["edge"]) + "\n")
    password_file.chmod(0o600)
    port = "" if "port =" in extra else f"port = {broker.port}\n"
    return (
        f"[mqtt]\n{port}username = \"edge\"\n"
        f"password_file = \"{password_file}\"\nreconnect_max_s = 1.0\n"
        + ("" if "power_interval_s" in extra else "power_interval_s = 5\n")
        + extra
    )  # fmt: skip


@contextlib.asynccontextmanager
async def live_site(
    tmp_path: Path,
    broker: Broker,
    extra: str = "",
    speed: float = 20.0,
    password: str | None = None,
    connects: bool = True,
) -> AsyncIterator[Live]:
    """A two-EVSE simulated site (no OCPI) connected to the broker as ``edge``.

    With a wrong ``password`` (or ``connects`` false) it is only READY.
    """
    table = mqtt_table(broker, tmp_path / "mqtt-password", extra, password)
    path = site_file(tmp_path, "", evses=2, extra=table)
    config = load_config(path, ProfileLibrary().ids())
    assert config.sim is not None
    assert config.sim.start is not None
    clock = ScaledClock(speed, config.sim.start.astimezone(UTC))
    async with simulated(config, clock, tmp_path / "edge.db") as sim:
        site = sim.site
        assert site.mqtt is not None
        async with asyncio.timeout(GUARD_S):
            await site.ready.wait()
            if password is None and connects:
                await site.mqtt.connected.wait()
        yield Live(site, sim.world, clock)
