"""An installer's operations on one OCPP charger, whichever version it speaks.

:class:`ChargerOperations` is the one interface the local API drives
(:mod:`edge.web.api.chargers`); each operation is the charger's own call in its
version (:mod:`edge.ocpp.calls.v16`, :mod:`edge.ocpp.calls.v201`):

==================  =============================  ===============================
operation           1.6J                           2.0.1
==================  =============================  ===============================
reset Soft / Hard   Reset Soft / Hard              Reset OnIdle / Immediate
availability        ChangeAvailability of          ChangeAvailability of
                    connector ``evse`` (0: all)    EVSE ``evse`` (None: station)
trigger             TriggerMessage                 TriggerMessage (connector 1)
configuration       GetConfiguration (all keys,    GetVariables of each key
                    or the keys named)             ``Component.Variable``
set configuration   ChangeConfiguration            SetVariables of one key
==================  =============================  ===============================

``evse`` is the charger's own number, as the site file declares its
connectors (1.6: the connectorId; 2.0.1: the evseId). An accepted (or
Scheduled) ChangeAvailability is told to the charger's
:class:`~edge.ocpp.status.ChargerStatus`: its EVSEs show INOPERATIVE (and so
reach the OCPI uplink) without waiting for the charger's StatusNotification.
Each answers a
:class:`Reply`: the charger's own status word and what it means as a command
outcome (Accepted, Scheduled and RebootRequired: ACCEPTED; Rejected:
REJECTED; NotSupported, NotImplemented, an unknown component or variable:
NOT_SUPPORTED; no answer in time: TIMEOUT; not connected, a CALLERROR or an
answer breaking its schema: FAILED, as :func:`edge.ocpp.evse.command_result`
says); never an exception. A 2.0.1 station has no "all keys" (that is
GetBaseReport, answered by NotifyReport), so its configuration is asked
for named keys only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from edge.config.ocpp import OcppCharger
from edge.model.commands import CommandOutcome
from edge.ocpp.calls import v16, v201
from edge.ocpp.calls.outgoing import NotConnected
from edge.ocpp.central import CentralSystem
from edge.ocpp.evse import command_result

ANSWER_S = 30.0
"""Site seconds a charger has to answer an operation."""


class ResetKind(StrEnum):
    """Soft: when idle, gracefully; Hard: at once."""

    SOFT = "Soft"
    HARD = "Hard"


class Trigger(StrEnum):
    """The messages both versions can be asked to send now."""

    BOOT_NOTIFICATION = "BootNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    STATUS_NOTIFICATION = "StatusNotification"


@dataclass(frozen=True)
class Reply:
    """What the charger answered, and what that means as a command's outcome."""

    outcome: CommandOutcome
    status: str | None = None
    """The charger's own word (``Accepted``, ``Scheduled``, ...); None: no answer."""
    message: str = ""


@dataclass(frozen=True)
class Setting:
    """One configuration key (1.6) or variable ``Component.Variable`` (2.0.1)."""

    key: str
    value: str | None
    readonly: bool | None = None
    """1.6 says; a 2.0.1 GetVariables does not (None)."""


@dataclass(frozen=True)
class Settings:
    """The configuration the charger reported: known keys and unknown ones."""

    keys: tuple[Setting, ...]
    unknown: tuple[str, ...]


_OUTCOMES = {
    "Accepted": CommandOutcome.ACCEPTED,
    "Scheduled": CommandOutcome.ACCEPTED,
    "RebootRequired": CommandOutcome.ACCEPTED,
    "Rejected": CommandOutcome.REJECTED,
}


def _reply(identity: str, action: str, answer: object) -> Reply:
    if isinstance(answer, StrEnum):
        outcome = _OUTCOMES.get(answer.value, CommandOutcome.NOT_SUPPORTED)
        why = (
            ""
            if outcome is CommandOutcome.ACCEPTED
            else (f"charger {identity} answered {action} {answer.value}")
        )
        return Reply(outcome, answer.value, why)
    result = command_result(identity, action, answer)
    return Reply(result.outcome, None, result.message)


def _variable(key: str) -> v201.Variable | None:
    component, dot, variable = key.partition(".")
    return (
        v201.Variable(component, variable) if dot and component and variable else None
    )


class ChargerOperations:
    """Reset, availability, triggers and configuration of one declared charger."""

    def __init__(self, central: CentralSystem, charger: OcppCharger) -> None:
        self._central = central
        self.charger = charger

    @property
    def identity(self) -> str:
        """The charger's identity."""
        return self.charger.identity

    @property
    def is_201(self) -> bool:
        """Whether it speaks OCPP 2.0.1."""
        return self.charger.protocol == "ocpp2.0.1"

    def evses(self) -> tuple[int, ...]:
        """Its connector (1.6) or EVSE (2.0.1) numbers, as the site file declares."""
        return tuple(c.id for c in self.charger.connector)

    def _calls16(self) -> v16.V16Calls | None:
        connection = self._central.connections.get(self.identity)
        return None if connection is None else v16.V16Calls(connection.calls)

    def _calls201(self) -> v201.V201Calls | None:
        connection = self._central.connections.get(self.identity)
        return None if connection is None else v201.V201Calls(connection.calls)

    async def reset(self, kind: ResetKind, timeout_s: float = ANSWER_S) -> Reply:
        """Restart the charger (Soft: gracefully; Hard: at once)."""
        answer: object
        if self.is_201:
            calls201 = self._calls201()
            way = (
                v201.ResetKind.ON_IDLE
                if kind is ResetKind.SOFT
                else v201.ResetKind.IMMEDIATE
            )
            answer = (
                NotConnected()
                if calls201 is None
                else await calls201.reset(way, None, timeout_s)
            )
        else:
            calls = self._calls16()
            answer = (
                NotConnected()
                if calls is None
                else await calls.reset(v16.ResetType(kind.value), timeout_s)
            )
        return _reply(self.identity, "Reset", answer)

    async def change_availability(
        self, evse: int | None, operative: bool, timeout_s: float = ANSWER_S
    ) -> Reply:
        """Make ``evse`` (None or 0: the whole charger) operative or not."""
        answer: object
        if self.is_201:
            calls201 = self._calls201()
            status = (
                v201.OperationalStatus.OPERATIVE
                if operative
                else v201.OperationalStatus.INOPERATIVE
            )
            answer = (
                NotConnected()
                if calls201 is None
                else await calls201.change_availability(evse or None, status, timeout_s)
            )
        else:
            calls = self._calls16()
            kind = (
                v16.AvailabilityType.OPERATIVE
                if operative
                else v16.AvailabilityType.INOPERATIVE
            )
            answer = (
                NotConnected()
                if calls is None
                else await calls.change_availability(evse or 0, kind, timeout_s)
            )
        reply = _reply(self.identity, "ChangeAvailability", answer)
        if reply.outcome is CommandOutcome.ACCEPTED:  # Accepted or Scheduled
            self._central.status[self.identity].set_availability(evse or 0, operative)
        return reply

    async def trigger(
        self, message: Trigger, evse: int | None, timeout_s: float = ANSWER_S
    ) -> Reply:
        """Ask the charger to send ``message`` now (of ``evse``, or all)."""
        answer: object
        if self.is_201:
            calls201 = self._calls201()
            wanted = v201.MessageTrigger(message.value)
            answer = (
                NotConnected()
                if calls201 is None
                else await calls201.trigger_message(wanted, evse or None, timeout_s)
            )
        else:
            calls = self._calls16()
            asked = v16.MessageTrigger(message.value)
            answer = (
                NotConnected()
                if calls is None
                else await calls.trigger_message(asked, evse or None, timeout_s)
            )
        return _reply(self.identity, "TriggerMessage", answer)

    async def configuration(
        self, keys: Sequence[str] | None, timeout_s: float = ANSWER_S
    ) -> Settings | Reply:
        """The charger's configuration: ``keys``, or (1.6 only) all of it."""
        if self.is_201:
            return await self._variables(keys, timeout_s)
        calls = self._calls16()
        answer = (
            NotConnected()
            if calls is None
            else await calls.get_configuration(keys or None, timeout_s)
        )
        if not isinstance(answer, v16.Configuration):
            return _reply(self.identity, "GetConfiguration", answer)
        return Settings(
            tuple(Setting(k.key, k.value, k.readonly) for k in answer.keys),
            answer.unknown,
        )

    async def _variables(
        self, keys: Sequence[str] | None, timeout_s: float
    ) -> Settings | Reply:
        wanted = [] if keys is None else [_variable(k) for k in keys]
        if not wanted or None in wanted:
            return Reply(
                CommandOutcome.REJECTED,
                None,
                f"station {self.identity} speaks OCPP 2.0.1: name each key as "
                "Component.Variable (e.g. OCPPCommCtrlr.HeartbeatInterval)",
            )
        calls = self._calls201()
        variables = [v for v in wanted if v is not None]
        answer = (
            NotConnected()
            if calls is None
            else await calls.get_variables(variables, timeout_s)
        )
        if not isinstance(answer, tuple):
            return _reply(self.identity, "GetVariables", answer)
        known, unknown = [], []
        for got in answer:
            key = f"{got.variable.component}.{got.variable.variable}"
            if got.status is v201.GetVariableStatus.ACCEPTED:
                known.append(Setting(key, got.value))
            else:
                unknown.append(key)
        return Settings(tuple(known), tuple(unknown))

    async def set_configuration(
        self, key: str, value: str, timeout_s: float = ANSWER_S
    ) -> Reply:
        """Set one key (1.6) or variable ``Component.Variable`` (2.0.1)."""
        answer: object
        if self.is_201:
            variable = _variable(key)
            if variable is None:
                return Reply(
                    CommandOutcome.REJECTED,
                    None,
                    f"station {self.identity} speaks OCPP 2.0.1: the key is "
                    "Component.Variable",
                )
            calls201 = self._calls201()
            results = (
                NotConnected()
                if calls201 is None
                else await calls201.set_variables([(variable, value)], timeout_s)
            )
            if isinstance(results, tuple):
                if not results:
                    why = (
                        f"station {self.identity} answered SetVariables with no result"
                    )
                    return Reply(CommandOutcome.FAILED, None, why)
                return _reply(self.identity, "SetVariables", results[0].status)
            return _reply(self.identity, "SetVariables", results)
        calls = self._calls16()
        answer = (
            NotConnected()
            if calls is None
            else await calls.change_configuration(key, value, timeout_s)
        )
        return _reply(self.identity, "ChangeConfiguration", answer)


def charger_operations(central: CentralSystem) -> dict[str, ChargerOperations]:
    """Every declared charger's operations, by identity."""
    return {c.identity: ChargerOperations(central, c) for c in central.section.charger}
