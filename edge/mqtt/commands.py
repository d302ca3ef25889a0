"""Commands over MQTT: parsing (pure), execution through the site's ports.

Topics ``<prefix>/evse/<uid>/set/start``, ``.../set/stop`` and
``.../set/current_limit``. A payload is plain text (``START``, ``STOP``, ``10``:
what Home Assistant's buttons and number send) or a JSON object that may carry
a ``request_id`` to find its answer by (and ``current_limit_a`` for the limit,
``null`` lifting it). Every command is answered on ``<prefix>/evse/<uid>/result``.

MQTT has no per-message authentication: a command is whatever a client the
broker let in published on a topic its ACL allows. So the broker's
authentication and ACL are the whole of it (``config/mosquitto/edge.acl``);
retained commands are ignored (they would run again at every reconnect).

Start, stop and the current limit go to the EVSE's port
(:class:`~edge.evse.port.EvsePort`) through
:class:`~edge.evse.local_commands.LocalCommands`, as the local API's do. A start
over MQTT is recorded with the token :func:`local_token` (auth method COMMAND):
the site's operator authorised it by letting the client in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from edge.evse.local_commands import LocalCommands, site_token
from edge.evse.port import EvsePort
from edge.model.commands import CommandOutcome, CommandResult, CommandToken
from edge.mqtt.topics import CommandTopic

MAX_PAYLOAD_BYTES = 1024
MAX_REQUEST_ID = 64
LOCAL_UID = "MQTT"


@dataclass(frozen=True)
class Start:
    """Start charging (once an EV is plugged in, within the plug window)."""

    request_id: str | None


@dataclass(frozen=True)
class Stop:
    """Stop the EVSE's active session."""

    request_id: str | None


@dataclass(frozen=True)
class SetLimit:
    """Offer at most ``current_a`` (None: the EVSE's max_current_a)."""

    request_id: str | None
    current_a: float | None


@dataclass(frozen=True)
class Malformed:
    """A payload that is not a command; ``why`` says what is wrong."""

    request_id: str | None
    why: str


MqttCommand = Start | Stop | SetLimit | Malformed


def local_token(country_code: str, party_id: str) -> CommandToken:
    """The token a start over MQTT is recorded with (the site's own)."""
    return site_token(country_code, party_id, LOCAL_UID)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _amps(value: object) -> float | None:
    """A current in A, or raise ValueError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"current_limit_a must be a number of amps, not {value!r}")
    amps = float(value)
    if not math.isfinite(amps):
        raise ValueError("current_limit_a must be finite")
    return amps


def parse(kind: CommandTopic, payload: bytes) -> MqttCommand:
    """The command a message carries (:class:`Malformed` says why not)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Malformed(None, f"payload over {MAX_PAYLOAD_BYTES} bytes")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return Malformed(None, "payload is not UTF-8 text")
    data: object = text
    if text.startswith("{"):
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            return Malformed(None, f"payload is not JSON: {exc}")
    request_id = None
    if isinstance(data, dict):
        rid = data.get("request_id")
        if rid is not None and (not isinstance(rid, str) or len(rid) > MAX_REQUEST_ID):
            why = f"request_id must be text of at most {MAX_REQUEST_ID} characters"
            return Malformed(None, why)
        request_id = rid
    match kind:
        case CommandTopic.START:
            return Start(request_id)
        case CommandTopic.STOP:
            return Stop(request_id)
        case CommandTopic.CURRENT_LIMIT:
            try:
                if isinstance(data, dict):
                    if "current_limit_a" not in data:
                        raise ValueError("give current_limit_a (amps, or null)")
                    return SetLimit(request_id, _amps(data["current_limit_a"]))
                return SetLimit(None, _amps(float(text)))
            except ValueError as exc:
                why = str(exc) if isinstance(data, dict) else f"{text!r} is not amps"
                return Malformed(request_id, why)


class MqttCommands:
    """Carries out parsed commands through the site's ports."""

    def __init__(
        self,
        evses: Mapping[str, EvsePort],
        token: CommandToken,
        start_timeout_s: float,
    ) -> None:
        self._local = LocalCommands(evses, token, start_timeout_s)

    async def run(self, evse_uid: str, command: MqttCommand) -> CommandResult:
        """Carry out ``command`` at ``evse_uid``; its outcome."""
        if not self._local.has_evse(evse_uid):
            return CommandResult(CommandOutcome.REJECTED, f"no EVSE {evse_uid}")
        match command:
            case Malformed(why=why):
                return CommandResult(CommandOutcome.REJECTED, why)
            case Start():
                return await self._local.start(evse_uid)
            case Stop():
                return await self._local.stop(evse_uid)
            case SetLimit(current_a=amps):
                return await self._local.set_limit(evse_uid, amps)


def result_payload(
    kind: CommandTopic, command: MqttCommand, result: CommandResult
) -> bytes:
    """The answer published on the EVSE's result topic."""
    data: dict[str, object] = {
        "command": kind.value,
        "request_id": command.request_id,
        "outcome": result.outcome.value,
        "message": result.message,
    }
    if isinstance(command, SetLimit):
        data["current_limit_a"] = command.current_a
    return json.dumps(data, separators=(",", ":")).encode()
