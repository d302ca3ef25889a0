"""Our OCPP 1.6J commands to a charger, typed: what we ask and what it answered.

Each call goes through the charger's :class:`~edge.ocpp.calls.outgoing.
OutgoingCalls` (one in flight, its own timeout, a late answer dropped) and
returns the answer as a typed value, or the :data:`Failure` that happened
instead (a CALLERROR, an answer breaking its schema, no answer in time, or no
connection). None raises for what the charger did; a request we cannot build
within the 1.6 schema (an idTag over 20 characters) is refused before it is
sent, as :class:`NotSendable`.

* Remote control: RemoteStartTransaction, RemoteStopTransaction, UnlockConnector.
* Operation: ChangeAvailability, Reset, TriggerMessage.
* Configuration: GetConfiguration, ChangeConfiguration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from edge.ocpp.calls.outgoing import (
    Answered,
    BadAnswer,
    CallFailed,
    NotConnected,
    OutgoingCalls,
    TimedOut,
)

S = TypeVar("S", bound=StrEnum)

ID_TAG_MAX = 20
"""OCPP 1.6 idToken: CiString20Type."""
CONFIG_KEY_MAX = 50
CONFIG_VALUE_MAX = 500


@dataclass(frozen=True)
class NotSendable:
    """We could not put the request into the 1.6 schema; nothing was sent."""

    reason: str


Failure = CallFailed | BadAnswer | TimedOut | NotConnected | NotSendable
"""Why a call has no answer to give."""


class RemoteStartStopStatus(StrEnum):
    """RemoteStartTransaction's and RemoteStopTransaction's answer."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class UnlockStatus(StrEnum):
    """UnlockConnector's answer."""

    UNLOCKED = "Unlocked"
    UNLOCK_FAILED = "UnlockFailed"
    NOT_SUPPORTED = "NotSupported"


class AvailabilityType(StrEnum):
    """What ChangeAvailability asks for."""

    INOPERATIVE = "Inoperative"
    OPERATIVE = "Operative"


class AvailabilityStatus(StrEnum):
    """ChangeAvailability's answer (Scheduled: after the running transaction)."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    SCHEDULED = "Scheduled"


class ResetType(StrEnum):
    """What Reset asks for."""

    HARD = "Hard"
    SOFT = "Soft"


class ResetStatus(StrEnum):
    """Reset's answer."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ConfigurationStatus(StrEnum):
    """ChangeConfiguration's answer."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


class MessageTrigger(StrEnum):
    """What TriggerMessage may ask a charger to send."""

    BOOT_NOTIFICATION = "BootNotification"
    DIAGNOSTICS_STATUS_NOTIFICATION = "DiagnosticsStatusNotification"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    STATUS_NOTIFICATION = "StatusNotification"


class TriggerStatus(StrEnum):
    """TriggerMessage's answer."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_IMPLEMENTED = "NotImplemented"


@dataclass(frozen=True)
class ConfigurationKey:
    """One key of a charger's configuration, as GetConfiguration reports it."""

    key: str
    readonly: bool
    value: str | None


@dataclass(frozen=True)
class Configuration:
    """GetConfiguration's answer: the keys known, and those asked for but unknown."""

    keys: tuple[ConfigurationKey, ...]
    unknown: tuple[str, ...]

    def value(self, key: str) -> str | None:
        """The value of ``key`` (None: not reported, or reported without a value)."""
        found = next((k for k in self.keys if k.key == key), None)
        return None if found is None else found.value


class V16Calls:
    """The typed 1.6J commands to one connected charger."""

    def __init__(self, calls: OutgoingCalls) -> None:
        self._calls = calls

    @property
    def identity(self) -> str:
        """The charger's identity."""
        return self._calls.identity

    async def _call(
        self, action: str, payload: dict[str, Any], timeout_s: float
    ) -> Answered | Failure:
        if self._calls.protocol != "ocpp1.6":
            return NotSendable(
                f"{action} is OCPP 1.6; charger {self.identity} speaks "
                f"{self._calls.protocol}"
            )
        return await self._calls.call(action, payload, timeout_s)

    async def _status(
        self, kind: type[S], action: str, payload: dict[str, Any], timeout_s: float
    ) -> S | Failure:
        outcome = await self._call(action, payload, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return kind(outcome.payload["status"])

    async def remote_start(
        self, id_tag: str, connector_id: int | None, timeout_s: float
    ) -> RemoteStartStopStatus | Failure:
        """Ask the charger to start a transaction for ``id_tag`` (on a connector)."""
        if not 1 <= len(id_tag) <= ID_TAG_MAX:
            return NotSendable(
                f"the token uid has {len(id_tag)} characters; an OCPP 1.6 idTag "
                f"has 1 to {ID_TAG_MAX}"
            )
        payload: dict[str, Any] = {"idTag": id_tag}
        if connector_id is not None:
            payload["connectorId"] = connector_id
        return await self._status(
            RemoteStartStopStatus, "RemoteStartTransaction", payload, timeout_s
        )

    async def remote_stop(
        self, transaction_id: int, timeout_s: float
    ) -> RemoteStartStopStatus | Failure:
        """Ask the charger to stop its transaction ``transaction_id``."""
        return await self._status(
            RemoteStartStopStatus,
            "RemoteStopTransaction",
            {"transactionId": transaction_id},
            timeout_s,
        )

    async def unlock_connector(
        self, connector_id: int, timeout_s: float
    ) -> UnlockStatus | Failure:
        """Ask the charger to release the cable of ``connector_id``."""
        return await self._status(
            UnlockStatus, "UnlockConnector", {"connectorId": connector_id}, timeout_s
        )

    async def change_availability(
        self, connector_id: int, kind: AvailabilityType, timeout_s: float
    ) -> AvailabilityStatus | Failure:
        """Make a connector (0: the whole charger) operative or inoperative."""
        return await self._status(
            AvailabilityStatus,
            "ChangeAvailability",
            {"connectorId": connector_id, "type": kind.value},
            timeout_s,
        )

    async def reset(self, kind: ResetType, timeout_s: float) -> ResetStatus | Failure:
        """Ask the charger to restart (Soft: gracefully; Hard: at once)."""
        return await self._status(ResetStatus, "Reset", {"type": kind.value}, timeout_s)

    async def trigger_message(
        self, message: MessageTrigger, connector_id: int | None, timeout_s: float
    ) -> TriggerStatus | Failure:
        """Ask the charger to send ``message`` now (for a connector, or all)."""
        payload: dict[str, Any] = {"requestedMessage": message.value}
        if connector_id is not None:
            payload["connectorId"] = connector_id
        return await self._status(TriggerStatus, "TriggerMessage", payload, timeout_s)

    async def get_configuration(
        self, keys: Sequence[str] | None, timeout_s: float
    ) -> Configuration | Failure:
        """The charger's configuration: ``keys`` only, or all (None)."""
        payload: dict[str, Any] = {}
        if keys is not None:
            too_long = [k for k in keys if not 1 <= len(k) <= CONFIG_KEY_MAX]
            if too_long:
                return NotSendable(
                    f"configuration key {too_long[0][:60]!r} is not 1 to "
                    f"{CONFIG_KEY_MAX} characters"
                )
            payload["key"] = list(keys)
        outcome = await self._call("GetConfiguration", payload, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        known = outcome.payload.get("configurationKey", [])
        return Configuration(
            tuple(
                ConfigurationKey(k["key"], k["readonly"], k.get("value")) for k in known
            ),
            tuple(outcome.payload.get("unknownKey", [])),
        )

    async def change_configuration(
        self, key: str, value: str, timeout_s: float
    ) -> ConfigurationStatus | Failure:
        """Set one configuration key of the charger."""
        if not 1 <= len(key) <= CONFIG_KEY_MAX or len(value) > CONFIG_VALUE_MAX:
            return NotSendable(
                f"a configuration key has 1 to {CONFIG_KEY_MAX} characters and its "
                f"value at most {CONFIG_VALUE_MAX}"
            )
        return await self._status(
            ConfigurationStatus,
            "ChangeConfiguration",
            {"key": key, "value": value},
            timeout_s,
        )
