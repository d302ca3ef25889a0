"""The MQTT link: retained EVSE state, HA discovery, commands (the aiomqtt importer).

One task (:meth:`MqttPublisher.run`, owned by :class:`~edge.app.Site`). It
connects with the last will ``<prefix>/status`` = ``offline`` (retained), then
publishes ``online``, the discovery configs (or their removal when discovery is
off) and every EVSE's state, subscribes to the commands and to Home
Assistant's ``<discovery_prefix>/status``, and from then on publishes what
changed (:mod:`edge.mqtt.state`). A lost broker is tried again with a backoff
doubling from 0.5 s to ``reconnect_max_s`` (wall seconds); each new connection
republishes everything, so a broker that restarted without its retained
messages has them back. A clean stop publishes ``offline`` itself (the broker
sends the will only when the connection dies).

Commands run as tasks of their own that outlive a reconnect; their results
wait (at most :data:`MAX_RESULTS`) until they can be published. Nothing here
can stop the controller: every broker or config problem is logged and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections import deque

import aiomqtt

from edge.logthrottle import Throttle as LogThrottle
from edge.model.clock import Clock
from edge.model.commands import CommandOutcome, CommandResult
from edge.mqtt import commands as cmd
from edge.mqtt.discovery import (
    Announcement,
    announcements,
    removals,
    software_version,
)
from edge.mqtt.settings import MqttConfigError, MqttSettings
from edge.mqtt.source import SiteSource
from edge.mqtt.state import Throttle, readings
from edge.mqtt.topics import OFFLINE, ONLINE, CommandTopic

log = logging.getLogger(__name__)
RECONNECT_MIN_S = 0.5
MAX_RESULTS = 256
"""Command results kept while the broker is away (the oldest go first)."""
MAX_IN_FLIGHT = 32
"""Commands carried out at once; more are answered REJECTED at once."""
POLL_S = 0.5
"""Site seconds between looks at the EVSEs (at least 0.1 wall seconds)."""
GOODBYE_S = 2.0
"""Wall seconds a clean stop waits to publish ``offline``."""
ACK_S = 10.0
"""Wall seconds a publish or subscribe waits for the broker's acknowledgement."""


class MqttPublisher:
    """The site on an MQTT broker."""

    def __init__(
        self,
        settings: MqttSettings,
        source: SiteSource,
        commands: cmd.MqttCommands,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.topics = settings.topics
        self._source = source
        self._commands = commands
        self._clock = clock
        self._throttle = Throttle(settings.power_interval_s)
        self._results: deque[tuple[str, bytes]] = deque(maxlen=MAX_RESULTS)
        self._results_ready = asyncio.Event()
        self._in_flight = 0
        self._log = LogThrottle(log, 60.0)
        self._sw = software_version()
        self.connected = asyncio.Event()
        """Set while connected, once everything was (re)published."""
        self.connections = 0
        """Connections made so far (a reconnect counts one more)."""

    # ---- the connection ---------------------------------------------------------
    async def run(self) -> None:
        """Stay connected until cancelled."""
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            delay = RECONNECT_MIN_S
            while True:
                try:
                    client = self._client()
                    before = _cancel_requests()
                    async with client:  # CONNACK awaited with asyncio.wait_for
                        _honour_cancel(before)
                        delay = RECONNECT_MIN_S
                        await self._serve(client)
                except MqttConfigError as exc:
                    self._log.log(logging.ERROR, "config", "MQTT: %s", exc)
                except aiomqtt.MqttError as exc:
                    self._log.log(
                        logging.WARNING,
                        "lost",
                        "MQTT broker %s:%s: %s; trying again in %.1f s",
                        self.settings.host,
                        self.settings.port,
                        exc,
                        delay,
                    )
                except Exception:  # a bug here must not stop the controller
                    log.exception("MQTT link failed; starting it again")
                finally:
                    self.connected.clear()
                await self._clock.sleep(self._clock.from_wall(delay))
                delay = min(delay * 2, self.settings.reconnect_max_s)

    def _client(self) -> aiomqtt.Client:
        s = self.settings
        return aiomqtt.Client(
            s.host,
            s.port,
            username=s.username,
            password=s.password(),
            identifier=s.client_id,
            will=aiomqtt.Will(self.topics.availability, OFFLINE, qos=1, retain=True),
            keepalive=s.keepalive_s,
            tls_context=s.tls_context(),
            clean_session=True,  # commands sent while we were away are not run late
            timeout=10,
            logger=logging.getLogger("edge.mqtt.paho"),
        )

    async def _serve(self, client: aiomqtt.Client) -> None:
        """One connection: announce, then publish and listen until it fails."""
        await _subscribe(client, self.topics.commands)
        await _subscribe(client, self.topics.ha_status)
        await _publish(client, self.topics.availability, ONLINE, retain=True)
        await self._announce(client)
        self._throttle.forget()
        await self._publish_state(client)
        self.connections += 1
        self.connected.set()
        log.info(
            "MQTT connected to %s:%s as %s (topics %s/...)",
            self.settings.host,
            self.settings.port,
            self.settings.client_id,
            self.topics.prefix,
        )
        try:
            lost = await self._until_lost(client)
        except asyncio.CancelledError:
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                async with asyncio.timeout(GOODBYE_S):
                    await _publish(
                        client, self.topics.availability, OFFLINE, retain=True
                    )
            raise
        raise lost

    async def _until_lost(self, client: aiomqtt.Client) -> aiomqtt.MqttError:
        lost = aiomqtt.MqttError("the connection ended")
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._state_loop(client), name="mqtt state")
                tg.create_task(self._receive(client), name="mqtt receive")
                tg.create_task(self._send_results(client), name="mqtt results")
        except* aiomqtt.MqttError as group:
            lost = _first(group)
        return lost

    # ---- publishing -------------------------------------------------------------
    async def _announce(self, client: aiomqtt.Client) -> None:
        """Discovery configs (or, with discovery off, their removal)."""
        made = announcements(
            self.topics, self._source.evses(), self.settings.site_name, self._sw
        )
        for a in made if self.settings.discovery else removals(made):
            await _publish(client, a.topic, _config(a), retain=True)

    async def _publish_state(self, client: aiomqtt.Client) -> None:
        now = self._clock.monotonic()
        for ident in self._source.evses():
            shown = await self._source.shown(ident.uid)
            for which, reading in readings(ident, shown).items():
                topic = self.topics.state(ident.uid, which)
                if self._throttle.due(topic, reading, now):
                    await _publish(client, topic, reading.payload, retain=True)
                    self._throttle.sent(topic, reading, now)

    async def _state_loop(self, client: aiomqtt.Client) -> None:
        pause = max(POLL_S, self._clock.from_wall(0.1))
        while True:
            await self._clock.sleep(pause)
            await self._publish_state(client)

    async def _send_results(self, client: aiomqtt.Client) -> None:
        while True:
            await self._results_ready.wait()
            while self._results:
                topic, payload = self._results[0]
                await _publish(client, topic, payload)
                self._results.popleft()
            self._results_ready.clear()

    # ---- listening --------------------------------------------------------------
    async def _receive(self, client: aiomqtt.Client) -> None:
        known = {e.uid for e in self._source.evses()}
        async for message in client.messages:
            topic = message.topic.value
            payload = _bytes(message.payload)
            if topic == self.topics.ha_status:
                if payload.strip() == ONLINE and not message.retain:
                    log.info("Home Assistant is online: discovery published again")
                    await self._announce(client)
                    self._throttle.forget()
                continue
            parsed = self.topics.parse_command(topic)
            if parsed is None:
                continue
            uid, kind = parsed
            if uid not in known:
                self._log.log(
                    logging.WARNING, "unknown", "MQTT command for no EVSE: %s", topic
                )
                continue
            if message.retain:
                self._log.log(
                    logging.WARNING,
                    "retained",
                    "MQTT: ignored a retained command on %s (clear it: publish an "
                    "empty retained message there)",
                    topic,
                )
                continue
            command = cmd.parse(kind, payload)
            if self._in_flight >= MAX_IN_FLIGHT:
                busy = CommandResult(CommandOutcome.REJECTED, "too many commands")
                self._answer(uid, kind, command, busy)
                continue
            self._in_flight += 1
            self._tg.create_task(self._carry_out(uid, kind, command), name="mqtt cmd")

    async def _carry_out(
        self, uid: str, kind: CommandTopic, command: cmd.MqttCommand
    ) -> None:
        try:
            result = await self._commands.run(uid, command)
        except Exception as exc:  # a command must never take the link down
            log.exception("MQTT command %s at %s failed", kind.value, uid)
            result = CommandResult(CommandOutcome.FAILED, type(exc).__name__)
        finally:
            self._in_flight -= 1
        log.info(
            "MQTT command %s at %s: %s %s",
            kind.value,
            uid,
            result.outcome.value,
            result.message,
        )
        self._answer(uid, kind, command, result)

    def _answer(
        self,
        uid: str,
        kind: CommandTopic,
        command: cmd.MqttCommand,
        result: CommandResult,
    ) -> None:
        payload = cmd.result_payload(kind, command, result)
        self._results.append((self.topics.result(uid), payload))
        self._results_ready.set()


# aiomqtt waits for every acknowledgement with asyncio.wait_for, which on Python
# 3.11 swallows a cancellation that lands just as the acknowledgement arrives: the
# task then runs on (a loop that never stops, a TaskGroup that never ends, a site
# that cannot shut down). So aiomqtt is told to wait without its limit and the
# limit is an asyncio.timeout here, which passes the cancellation on.
async def _publish(
    client: aiomqtt.Client, topic: str, payload: bytes, *, retain: bool = False
) -> None:
    """Publish at QoS 1; :class:`aiomqtt.MqttError` if no PUBACK within ACK_S."""
    try:
        async with asyncio.timeout(ACK_S):
            await client.publish(topic, payload, qos=1, retain=retain, timeout=math.inf)
    except TimeoutError:
        raise aiomqtt.MqttError(f"no PUBACK for {topic} in {ACK_S:.0f} s") from None


async def _subscribe(client: aiomqtt.Client, topic: str) -> None:
    """Subscribe at QoS 1; :class:`aiomqtt.MqttError` if no SUBACK within ACK_S."""
    try:
        async with asyncio.timeout(ACK_S):
            await client.subscribe(topic, qos=1, timeout=math.inf)
    except TimeoutError:
        raise aiomqtt.MqttError(f"no SUBACK for {topic} in {ACK_S:.0f} s") from None


def _cancel_requests() -> int:
    task = asyncio.current_task()
    return 0 if task is None else task.cancelling()


def _honour_cancel(before: int) -> None:
    """Raise a cancellation requested since ``before`` that aiomqtt swallowed.

    Counted against ``before``, not zero: on 3.11 a TaskGroup whose child failed
    while it waited for its children leaves one request counted on its parent
    (``_until_lost`` after a lost connection).
    """
    if _cancel_requests() > before:
        raise asyncio.CancelledError


def _config(a: Announcement) -> bytes:
    if a.config is None:
        return b""
    return json.dumps(a.config, separators=(",", ":")).encode()


def _bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()


def _first(group: BaseExceptionGroup[aiomqtt.MqttError]) -> aiomqtt.MqttError:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first(exc)
        return exc
    return aiomqtt.MqttError("connection lost")
