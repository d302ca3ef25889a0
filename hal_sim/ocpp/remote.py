"""How a simulated charge point answers the central system's commands.

:class:`RemoteControl` holds the answers (Accepted unless a test sets another)
and the configuration keys of the simulated charger, and records every call it
got. Plain data, no ``ocpp`` import: :mod:`hal_sim.ocpp.charge_point` routes
the actions of :data:`REMOTE_ACTIONS` here and wraps the answers in the
package's ``call_result`` types. A listener (``on_call``) sees each call after
its answer is decided, e.g. to start a transaction after an accepted
RemoteStartTransaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REMOTE_ACTIONS = (
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "UnlockConnector",
    "Reset",
    "GetConfiguration",
    "ChangeConfiguration",
    "TriggerMessage",
)
"""The central system's 1.6 calls that :class:`RemoteControl` answers."""

_DEFAULTS = {
    "RemoteStartTransaction": "Accepted",
    "RemoteStopTransaction": "Accepted",
    "UnlockConnector": "Unlocked",
    "Reset": "Accepted",
    "TriggerMessage": "Accepted",
}


@dataclass(frozen=True)
class Received:
    """One call of the central system, its payload as the package passes it."""

    action: str
    payload: dict[str, Any]
    """snake_case keys (``id_tag``, ``connector_id``)."""
    status: str
    """What the simulated charger answered."""


@dataclass
class ConfigValue:
    """One configuration key of the simulated charger."""

    value: str
    readonly: bool = False


def _configuration() -> dict[str, ConfigValue]:
    return {
        "HeartbeatInterval": ConfigValue("300"),
        "MeterValueSampleInterval": ConfigValue("60"),
        "AuthorizeRemoteTxRequests": ConfigValue("false"),
        "LocalAuthListEnabled": ConfigValue("true"),
        "NumberOfConnectors": ConfigValue("1", readonly=True),
    }


@dataclass
class RemoteControl:
    """The answers of one simulated charger to commands, and what it received."""

    statuses: dict[str, str] = field(default_factory=lambda: dict(_DEFAULTS))
    """Action -> the status it answers (e.g. ``"Rejected"`` for a test)."""
    configuration: dict[str, ConfigValue] = field(default_factory=_configuration)
    received: list[Received] = field(default_factory=list)
    on_call: list[Callable[[Received], None]] = field(default_factory=list)

    def answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The answer to ``action`` (snake_case keys), recorded."""
        reply: dict[str, Any]
        if action == "GetConfiguration":
            reply = self._get(payload.get("key"))
            status = "Accepted"
        elif action == "ChangeConfiguration":
            status = self._change(payload["key"], payload["value"])
            reply = {"status": status}
        else:
            status = self.statuses.get(action, "Rejected")
            reply = {"status": status}
        received = Received(action, dict(payload), status)
        self.received.append(received)
        for listener in self.on_call:
            listener(received)
        return reply

    def calls(self, action: str) -> list[Received]:
        """Every call of ``action`` received, in order."""
        return [r for r in self.received if r.action == action]

    def _get(self, keys: list[str] | None) -> dict[str, Any]:
        wanted = list(self.configuration) if keys is None else keys
        known = [k for k in wanted if k in self.configuration]
        return {
            "configuration_key": [
                {
                    "key": k,
                    "readonly": self.configuration[k].readonly,
                    "value": self.configuration[k].value,
                }
                for k in known
            ],
            "unknown_key": [k for k in wanted if k not in self.configuration],
        }

    def _change(self, key: str, value: str) -> str:
        current = self.configuration.get(key)
        if current is None:
            return "NotSupported"
        if current.readonly:
            return "Rejected"
        current.value = value
        return "Accepted"
