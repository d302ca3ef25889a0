"""Our OCPP 2.0.1 commands to a charging station, typed.

The 2.0.1 counterpart of :mod:`edge.ocpp.calls.v16`, through the same
:class:`~edge.ocpp.calls.outgoing.OutgoingCalls` of the station's connection
(one in flight, its own timeout, a late answer dropped): each returns the
answer as a typed value or the :data:`~edge.ocpp.calls.v16.Failure` that
happened instead, and refuses a request that cannot fit the 2.0.1 schema
before sending it (:class:`~edge.ocpp.calls.v16.NotSendable`).

* Device model: GetVariables, SetVariables (2.0.1's GetConfiguration and
  ChangeConfiguration: a variable of a component, optionally of one EVSE).
* Remote control: RequestStartTransaction (with the ``remoteStartId`` the
  station's TransactionEvent will carry back), RequestStopTransaction (by the
  station's own ``transactionId``), UnlockConnector (of an EVSE's connector).
* Operation: Reset, ChangeAvailability, TriggerMessage (of the station, or
  of one EVSE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from edge.ocpp.calls.outgoing import Answered, OutgoingCalls
from edge.ocpp.calls.v16 import Failure, NotSendable

S = TypeVar("S", bound=StrEnum)

ID_TOKEN_MAX = 36
"""OCPP 2.0.1 ``IdTokenType.idToken``: at most 36 characters."""
NAME_MAX = 50
"""A component's or variable's name (and instance): at most 50 characters."""
VALUE_MAX = 1000
"""SetVariableData's attributeValue: at most 1000 characters."""
TRANSACTION_ID_MAX = 36


class GetVariableStatus(StrEnum):
    """GetVariableResult's ``attributeStatus``."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED_ATTRIBUTE_TYPE = "NotSupportedAttributeType"


class SetVariableStatus(StrEnum):
    """SetVariableResult's ``attributeStatus``."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED_ATTRIBUTE_TYPE = "NotSupportedAttributeType"
    REBOOT_REQUIRED = "RebootRequired"


class RequestStartStopStatus(StrEnum):
    """RequestStartTransaction's and RequestStopTransaction's answer."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class UnlockStatus(StrEnum):
    """UnlockConnector's answer (2.0.1's ``UnlockStatusEnumType``)."""

    UNLOCKED = "Unlocked"
    UNLOCK_FAILED = "UnlockFailed"
    ONGOING_AUTHORIZED_TRANSACTION = "OngoingAuthorizedTransaction"
    UNKNOWN_CONNECTOR = "UnknownConnector"


class IdTokenKind(StrEnum):
    """The 2.0.1 ``IdTokenEnumType`` values we send in a remote start."""

    CENTRAL = "Central"
    """A token the backoffice starts with (an app user, a remote start)."""
    ISO14443 = "ISO14443"
    """An RFID card's uid."""
    EMAID = "eMAID"


class ResetKind(StrEnum):
    """What Reset asks for (``ResetEnumType``)."""

    IMMEDIATE = "Immediate"
    ON_IDLE = "OnIdle"


class OperationStatus(StrEnum):
    """Reset's and ChangeAvailability's answer (Scheduled: after a transaction)."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    SCHEDULED = "Scheduled"


class OperationalStatus(StrEnum):
    """What ChangeAvailability asks for."""

    INOPERATIVE = "Inoperative"
    OPERATIVE = "Operative"


class MessageTrigger(StrEnum):
    """What TriggerMessage may ask a station to send (the ones we ask for)."""

    BOOT_NOTIFICATION = "BootNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    STATUS_NOTIFICATION = "StatusNotification"
    TRANSACTION_EVENT = "TransactionEvent"


class TriggerStatus(StrEnum):
    """TriggerMessage's answer."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_IMPLEMENTED = "NotImplemented"


@dataclass(frozen=True)
class Variable:
    """A variable of a component of the station's device model."""

    component: str
    variable: str
    evse_id: int | None = None
    """The EVSE the component belongs to (None: the station's)."""
    component_instance: str | None = None
    variable_instance: str | None = None

    def too_long(self) -> str | None:
        """Which name breaks the 2.0.1 limit, if one does."""
        for name in (
            self.component,
            self.variable,
            self.component_instance,
            self.variable_instance,
        ):
            if name is not None and not 1 <= len(name) <= NAME_MAX:
                return f"{name[:60]!r} is not 1 to {NAME_MAX} characters"
        return None

    def wire(self) -> dict[str, Any]:
        """Its ``component`` and ``variable`` objects."""
        component: dict[str, Any] = {"name": self.component}
        if self.component_instance is not None:
            component["instance"] = self.component_instance
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
        variable: dict[str, Any] = {"name": self.variable}
        if self.variable_instance is not None:
            variable["instance"] = self.variable_instance
        return {"component": component, "variable": variable}

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Variable:
        """The variable a result names."""
        component, variable = raw["component"], raw["variable"]
        evse = component.get("evse")
        return cls(
            component["name"],
            variable["name"],
            None if evse is None else evse["id"],
            component.get("instance"),
            variable.get("instance"),
        )


@dataclass(frozen=True)
class GotVariable:
    """One GetVariableResult."""

    variable: Variable
    status: GetVariableStatus
    value: str | None


@dataclass(frozen=True)
class SetResult:
    """One SetVariableResult."""

    variable: Variable
    status: SetVariableStatus


@dataclass(frozen=True)
class StartAnswer:
    """RequestStartTransaction's answer."""

    status: RequestStartStopStatus
    transaction_id: str | None
    """The station's transaction already running on the EVSE, if it says."""


class V201Calls:
    """The typed 2.0.1 commands to one connected station."""

    def __init__(self, calls: OutgoingCalls) -> None:
        self._calls = calls

    @property
    def identity(self) -> str:
        """The station's identity."""
        return self._calls.identity

    async def get_variables(
        self, variables: Sequence[Variable], timeout_s: float
    ) -> tuple[GotVariable, ...] | Failure:
        """The Actual values of ``variables`` (at least one)."""
        bad = _bad_names(variables)
        if bad is not None:
            return bad
        payload = {"getVariableData": [v.wire() for v in variables]}
        outcome = await self._calls.call("GetVariables", payload, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return tuple(
            GotVariable(
                Variable.of(r),
                GetVariableStatus(r["attributeStatus"]),
                r.get("attributeValue"),
            )
            for r in outcome.payload["getVariableResult"]
        )

    async def set_variables(
        self, values: Sequence[tuple[Variable, str]], timeout_s: float
    ) -> tuple[SetResult, ...] | Failure:
        """Set the Actual value of each variable (at least one)."""
        bad = _bad_names([v for v, _ in values])
        if bad is not None:
            return bad
        long = [v for v, text in values if len(text) > VALUE_MAX]
        if long:
            return NotSendable(
                f"the value of {long[0].component}.{long[0].variable} is longer "
                f"than {VALUE_MAX} characters"
            )
        payload = {
            "setVariableData": [
                {**v.wire(), "attributeValue": text} for v, text in values
            ]
        }
        outcome = await self._calls.call("SetVariables", payload, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return tuple(
            SetResult(Variable.of(r), SetVariableStatus(r["attributeStatus"]))
            for r in outcome.payload["setVariableResult"]
        )

    async def request_start(
        self,
        id_token: str,
        kind: IdTokenKind,
        remote_start_id: int,
        evse_id: int | None,
        timeout_s: float,
    ) -> StartAnswer | Failure:
        """Ask the station to start a transaction for ``id_token`` (on an EVSE).

        Its TransactionEvent for that start carries ``remote_start_id`` back
        (``transactionInfo.remoteStartId``).
        """
        if not 1 <= len(id_token) <= ID_TOKEN_MAX:
            return NotSendable(
                f"the token uid has {len(id_token)} characters; an OCPP 2.0.1 "
                f"idToken has 1 to {ID_TOKEN_MAX}"
            )
        payload: dict[str, Any] = {
            "idToken": {"idToken": id_token, "type": kind.value},
            "remoteStartId": remote_start_id,
        }
        if evse_id is not None:
            payload["evseId"] = evse_id
        outcome = await self._calls.call("RequestStartTransaction", payload, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return StartAnswer(
            RequestStartStopStatus(outcome.payload["status"]),
            outcome.payload.get("transactionId"),
        )

    async def request_stop(
        self, transaction_id: str, timeout_s: float
    ) -> RequestStartStopStatus | Failure:
        """Ask the station to stop its transaction ``transaction_id``."""
        if not 1 <= len(transaction_id) <= TRANSACTION_ID_MAX:
            return NotSendable(
                f"a 2.0.1 transactionId has 1 to {TRANSACTION_ID_MAX} characters"
            )
        outcome = await self._calls.call(
            "RequestStopTransaction", {"transactionId": transaction_id}, timeout_s
        )
        if not isinstance(outcome, Answered):
            return outcome
        return RequestStartStopStatus(outcome.payload["status"])

    async def unlock(
        self, evse_id: int, connector_id: int, timeout_s: float
    ) -> UnlockStatus | Failure:
        """Ask the station to release the cable of a connector of an EVSE."""
        outcome = await self._calls.call(
            "UnlockConnector",
            {"evseId": evse_id, "connectorId": connector_id},
            timeout_s,
        )
        if not isinstance(outcome, Answered):
            return outcome
        return UnlockStatus(outcome.payload["status"])

    async def _status(
        self, kind: type[S], action: str, payload: dict[str, Any], timeout_s: float
    ) -> S | Failure:
        outcome = await self._calls.call(action, payload, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return kind(outcome.payload["status"])

    async def reset(
        self, kind: ResetKind, evse_id: int | None, timeout_s: float
    ) -> OperationStatus | Failure:
        """Ask the station (or one EVSE) to restart: at once, or when idle."""
        payload: dict[str, Any] = {"type": kind.value}
        if evse_id is not None:
            payload["evseId"] = evse_id
        return await self._status(OperationStatus, "Reset", payload, timeout_s)

    async def change_availability(
        self, evse_id: int | None, status: OperationalStatus, timeout_s: float
    ) -> OperationStatus | Failure:
        """Make an EVSE (None: the whole station) operative or inoperative."""
        payload: dict[str, Any] = {"operationalStatus": status.value}
        if evse_id is not None:
            payload["evse"] = {"id": evse_id}
        return await self._status(
            OperationStatus, "ChangeAvailability", payload, timeout_s
        )

    async def trigger_message(
        self, message: MessageTrigger, evse_id: int | None, timeout_s: float
    ) -> TriggerStatus | Failure:
        """Ask the station to send ``message`` now (of an EVSE's connector 1)."""
        payload: dict[str, Any] = {"requestedMessage": message.value}
        if evse_id is not None:
            payload["evse"] = {"id": evse_id, "connectorId": 1}
        return await self._status(TriggerStatus, "TriggerMessage", payload, timeout_s)


def _bad_names(variables: Sequence[Variable]) -> NotSendable | None:
    if not variables:
        return NotSendable("ask for at least one variable")
    for v in variables:
        why = v.too_long()
        if why is not None:
            return NotSendable(f"a component or variable name {why}")
    return None
