"""OCPP-J frames and schemas: the only module that imports ``ocpp`` (and jsonschema).

What the ``ocpp`` package gives us: frame parsing (``unpack``), the frame classes
that write CALL, CALLRESULT and CALLERROR, the OCPP JSON schemas and their
draft-04 validators, and the 1.6 enums. What we add, because the package does
not do it (``ocpp/messages.py``):

* formats: the package validates with no format checker, so a ``date-time``
  such as ``"yesterday"`` passes. We check ``date-time`` as RFC 3339 (with a
  time offset, fractions allowed), the form OCPP-J requires;
* error codes in the version's own words: 1.6 says ``FormationViolation``
  and ``OccurenceConstraintViolation`` (sic), where the package answers with
  2.0.1's ``FormatViolation``. OCPP-J 2.0.1 (Part 4, section 4.3) spells them
  ``FormatViolation`` and ``OccurrenceConstraintViolation`` and splits 1.6's
  meanings: a payload that is not the PDU's structure (an unknown field) is a
  ``ProtocolError``, a required field missing an
  ``OccurrenceConstraintViolation``, a frame that is no RPC message a
  ``RpcFrameworkError`` and an unknown message type number
  ``MessageTypeNotSupported`` (section 4.4: answered when its id can be read;
  1.6 ignores it);
* a frame that is not a CALL, CALLRESULT or CALLERROR still yields its unique
  id when it has one, so that the charger gets a CALLERROR it can match;
* one error per message, the schema error that best explains it, described
  by its field path without the value (an idTag is a card uid, never logged).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema.validators
from ocpp import exceptions as ocpp_exceptions
from ocpp import messages
from ocpp.v16 import enums as v16_enums
from ocpp.v201 import enums as v201_enums

from edge.config.ocpp import OcppProtocol
from edge.ocpp.times import is_date_time

_LIBRARY_VERSION: dict[OcppProtocol, str] = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}

MAX_UNIQUE_ID = 36


class ErrorCode(StrEnum):
    """OCPP-J CALLERROR codes, spelled as each version spells them.

    Shared by 1.6 and 2.0.1 unless said; which one a fault gets is the
    version's (:func:`check`, :func:`parse`).
    """

    NOT_IMPLEMENTED = "NotImplemented"
    """The action is not known to us."""
    NOT_SUPPORTED = "NotSupported"
    """The action is known to the version but we do not support it."""
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    """The payload is incomplete (a required field is missing)."""
    SECURITY_ERROR = "SecurityError"
    FORMATION_VIOLATION = "FormationViolation"
    """Not a well-formed frame or payload (1.6's spelling)."""
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    """A field has a value it may not have (enum, format, range, pattern)."""
    OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
    """Too few or too many items (1.6's spelling, one "r")."""
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    """A field has the wrong type, or a string is longer than its type allows."""
    GENERIC_ERROR = "GenericError"
    FORMAT_VIOLATION = "FormatViolation"
    """2.0.1: the payload is syntactically incorrect (not an object)."""
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    """2.0.1: a required field is missing, too few or too many items."""
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
    """2.0.1: the frame is not a valid RPC message."""
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    """2.0.1: a message type number we do not know."""


@dataclass(frozen=True)
class IncomingCall:
    """A CALL: ``[2, uniqueId, action, payload]`` (payload not yet validated)."""

    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncomingResult:
    """A CALLRESULT: ``[3, uniqueId, payload]``."""

    unique_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncomingError:
    """A CALLERROR: ``[4, uniqueId, errorCode, errorDescription, errorDetails]``."""

    unique_id: str
    code: str
    description: str


@dataclass(frozen=True)
class Garbled:
    """A text frame we cannot take; answered if it had a unique id."""

    unique_id: str | None
    """None: no id to answer to (not JSON, not an array, unknown type number)."""
    code: ErrorCode
    reason: str


Frame = IncomingCall | IncomingResult | IncomingError | Garbled


@dataclass(frozen=True)
class Violation:
    """Why a payload breaks its schema, as the CALLERROR we answer with."""

    code: ErrorCode
    reason: str


_PLAIN = re.compile(r"[A-Za-z0-9_.:*+=|@\-]{1,64}")


def shown(text: str) -> str:
    """A charger's string as we log and echo it: plain, or repr'd and cut short.

    A name with a newline or an escape in it would forge log lines; a long one
    would flood them.
    """
    return text if _PLAIN.fullmatch(text) else repr(text[:64])


def _unique_id_of(text: str) -> str | None:
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    if isinstance(raw, list) and len(raw) >= 2 and isinstance(raw[1], str):
        return raw[1] if 0 < len(raw[1]) <= MAX_UNIQUE_ID else None
    return None


def parse(text: str, protocol: OcppProtocol = "ocpp1.6") -> Frame:
    """The frame ``text`` is, or why it is none (in ``protocol``'s error codes)."""
    v201 = protocol == "ocpp2.0.1"
    framing = ErrorCode.RPC_FRAMEWORK_ERROR if v201 else ErrorCode.FORMATION_VIOLATION
    payload = ErrorCode.FORMAT_VIOLATION if v201 else ErrorCode.FORMATION_VIOLATION
    try:
        msg = messages.unpack(text)
    except ocpp_exceptions.FormatViolationError:
        return Garbled(None, framing, "not valid JSON")
    except ocpp_exceptions.PropertyConstraintViolationError:
        if v201:
            return Garbled(
                _unique_id_of(text),
                ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED,
                "unknown message type",
            )
        return Garbled(None, framing, "unknown message type")
    except ocpp_exceptions.OCPPError:
        return Garbled(
            _unique_id_of(text),
            framing,
            "not an OCPP-J frame [type, uniqueId, ...] with its elements",
        )
    uid = msg.unique_id
    if not isinstance(uid, str) or not 0 < len(uid) <= MAX_UNIQUE_ID:
        return Garbled(None, framing, "uniqueId is not a string of 1-36")
    if isinstance(msg, messages.Call):
        if not isinstance(msg.action, str):
            return Garbled(uid, framing, "action is no string")
        if not isinstance(msg.payload, dict):
            return Garbled(uid, payload, "the payload is not an object")
        return IncomingCall(uid, msg.action, msg.payload)
    if isinstance(msg, messages.CallResult):
        if not isinstance(msg.payload, dict):
            return Garbled(uid, payload, "the payload is not an object")
        return IncomingResult(uid, msg.payload)
    return IncomingError(uid, str(msg.error_code), str(msg.error_description))


def _date_time(value: object) -> bool:
    """RFC 3339 date-time (what OCPP-J's ``date-time`` means); non-strings pass."""
    return not isinstance(value, str) or is_date_time(value)


_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("date-time", raises=ValueError)(_date_time)

_CODES: dict[str, ErrorCode] = {
    "type": ErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "maxLength": ErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "required": ErrorCode.PROTOCOL_ERROR,
    "additionalProperties": ErrorCode.FORMATION_VIOLATION,
    "minItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "maxItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "uniqueItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "enum": ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
    "format": ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
    "minimum": ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
    "maximum": ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
    "pattern": ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
    "multipleOf": ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
}
_CODES_BY_VERSION: dict[OcppProtocol, dict[str, ErrorCode]] = {
    "ocpp1.6": _CODES,
    "ocpp2.0.1": _CODES
    | {
        "required": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
        "additionalProperties": ErrorCode.PROTOCOL_ERROR,
        "minItems": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
        "maxItems": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
        "uniqueItems": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    },
}
_OTHER: dict[OcppProtocol, ErrorCode] = {
    "ocpp1.6": ErrorCode.FORMATION_VIOLATION,
    "ocpp2.0.1": ErrorCode.FORMAT_VIOLATION,
}


def _describe(error: jsonschema.exceptions.ValidationError) -> str:
    where = "/".join(shown(str(p)) for p in error.absolute_path) or "payload"
    rule, bound = error.validator, error.validator_value
    match rule:
        case "required":
            missing = [k for k in bound if k not in error.instance]
            return f"{where}: {', '.join(missing)} missing"
        case "additionalProperties":
            extra = sorted(
                set(error.instance) - set(error.schema.get("properties", {}))
            )
            return f"{where}: unknown field {', '.join(map(shown, extra[:5]))}"
        case "format":
            return f"{where}: not a {bound} (RFC 3339, with an offset or Z)"
        case "enum":
            return f"{where}: not one of {', '.join(map(str, bound))}"
        case "type" | "maxLength" | "minimum" | "maximum" | "minItems" | "maxItems":
            return f"{where}: {rule} is {bound}"
        case _:
            return f"{where}: breaks the schema's {rule}"


def _multiple_of(
    validator: Any, step: object, instance: object, _schema: object
) -> Any:
    """``multipleOf`` in decimal: 21.4 is a multiple of 0.1 (as a float it is not).

    The package parses these schemas with Decimal only in its own validation,
    and caches one validator per action whichever way it was parsed first, so
    the schema's step may be a float or a Decimal here; the instance's too.
    """
    if not validator.is_type(instance, "number") or isinstance(instance, bool):
        return
    try:
        quotient = Decimal(str(instance)) / Decimal(str(step))
    except (InvalidOperation, ArithmeticError):
        quotient = Decimal("0.5")
    if quotient != quotient.to_integral_value():
        yield jsonschema.exceptions.ValidationError(
            f"{instance!r} is not a multiple of {step}"
        )


_Draft4 = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"multipleOf": _multiple_of}
)


@cache
def _validator(protocol: OcppProtocol, action: str, result: bool) -> Any | None:
    kind = messages.MessageType.CallResult if result else messages.MessageType.Call
    try:
        base = messages.get_validator(kind, action, _LIBRARY_VERSION[protocol])
    except OSError:
        return None
    return _Draft4(base.schema, format_checker=_FORMATS)


def has_schema(protocol: OcppProtocol, action: str) -> bool:
    """Whether ``action`` is a request of this version (it has a schema)."""
    return re.fullmatch(r"[A-Za-z0-9]{1,64}", action) is not None and (
        _validator(protocol, action, False) is not None
    )


def check(
    protocol: OcppProtocol, action: str, payload: dict[str, Any], *, result: bool
) -> Violation | None:
    """Why ``payload`` breaks the request (or result) schema of ``action``, if so."""
    if not has_schema(protocol, action):
        return Violation(ErrorCode.NOT_IMPLEMENTED, f"{shown(action)} is not an action")
    validator = _validator(protocol, action, result)
    if validator is None:  # a request schema without its result's: none we know
        return Violation(ErrorCode.NOT_IMPLEMENTED, f"{action} has no result schema")
    best = jsonschema.exceptions.best_match(validator.iter_errors(payload))
    if best is None:
        return None
    code = _CODES_BY_VERSION[protocol].get(best.validator, _OTHER[protocol])
    return Violation(code, _describe(best))


@dataclass(frozen=True)
class SchemaFault:
    """One way a payload breaks its schema, where and by which rule.

    What a charger model's known deviations (:mod:`edge.ocpp.deviations`)
    are matched against: ``path`` is the field's (array indexes as ints),
    ``rule`` the JSON-schema keyword (``enum``, ``maxLength``, ``format``),
    ``value`` what the charger sent there and ``bound`` the schema's value of
    the rule (the enum's members, the length, the format's name).
    """

    path: tuple[str | int, ...]
    rule: str
    value: object
    bound: object


def faults(
    protocol: OcppProtocol, action: str, payload: dict[str, Any]
) -> list[SchemaFault]:
    """Every way a request ``payload`` breaks the schema of ``action`` (none: [])."""
    validator = (
        _validator(protocol, action, False) if has_schema(protocol, action) else None
    )
    if validator is None:
        return []
    return [
        SchemaFault(
            tuple(e.absolute_path), str(e.validator), e.instance, e.validator_value
        )
        for e in validator.iter_errors(payload)
    ]


def call_frame(unique_id: str, action: str, payload: dict[str, Any]) -> str:
    """``[2, uniqueId, action, payload]`` as text."""
    return str(messages.Call(unique_id, action, payload).to_json())


def result_frame(unique_id: str, payload: dict[str, Any]) -> str:
    """``[3, uniqueId, payload]`` as text."""
    return str(messages.CallResult(unique_id, payload).to_json())


def error_frame(unique_id: str, code: ErrorCode, description: str) -> str:
    """``[4, uniqueId, errorCode, errorDescription, {}]`` as text."""
    return str(messages.CallError(unique_id, code.value, description, {}).to_json())


V16_CHARGE_POINT_STATUSES = frozenset(s.value for s in v16_enums.ChargePointStatus)
V16_ERROR_CODES = frozenset(s.value for s in v16_enums.ChargePointErrorCode)
V16_REGISTRATION_STATUSES = frozenset(s.value for s in v16_enums.RegistrationStatus)
V201_CONNECTOR_STATUSES = frozenset(s.value for s in v201_enums.ConnectorStatusEnumType)
V201_AUTHORIZATION_STATUSES = frozenset(
    s.value for s in v201_enums.AuthorizationStatusEnumType
)
V201_ID_TOKEN_TYPES = frozenset(s.value for s in v201_enums.IdTokenEnumType)
