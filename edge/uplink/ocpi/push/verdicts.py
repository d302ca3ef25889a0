"""What every OCPI status code and transport failure means for a pushed object.

OCPI 2.2.1 *Status codes*: 1xxx success, 2xxx client errors (the receiver cannot
use what we sent), 3xxx server errors, 4xxx hub errors. Each standard code is
listed once below with its meaning and our action; the custom ranges 19xx, 29xx,
39xx and 49xx follow their range.

Actions:

* ``DELIVERED``: the receiver has the object (a duplicate CDR counts too).
* ``REJECTED``: the object itself was refused: keep it as a dead letter with the
  receiver's reason; retrying the same content cannot help.
* ``RETRY``: nothing wrong with the object: back off and send it again. ``link``
  says the failure concerns the connection as a whole (outage, 5xx, bad
  credentials, malformed answers), so the sender slows down for every object,
  not only this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from edge.uplink.ocpi.client import (
    HttpStatusError,
    MalformedResponse,
    NotRegistered,
    OcpiError,
    OcpiStatusError,
    RequestTimeout,
    TransportError,
)


class Action(StrEnum):
    """What the sender does with the object."""

    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    RETRY = "RETRY"


@dataclass(frozen=True)
class Verdict:
    """The sender's decision about one attempt."""

    action: Action
    reason: str
    link: bool = False
    retry_after_s: float | None = None


_R, _X = Action.REJECTED, Action.RETRY
STATUS_CODES: dict[int, tuple[str, Action]] = {
    1000: ("generic success", Action.DELIVERED),
    2000: ("generic client error", _R),
    2001: ("invalid or missing parameters", _R),
    2002: ("not enough information", _R),
    2003: ("unknown location", _R),
    2004: ("unknown token", _R),
    3000: ("generic server error", _X),
    3001: ("unable to use the client's API", _X),
    3002: ("unsupported version", _X),
    3003: ("no matching endpoints", _X),
    4000: ("generic hub error", _X),
    4001: ("hub: unknown receiver", _X),
    4002: ("hub: timeout on forwarded request", _X),
    4003: ("hub: receiving party not connected", _X),
}
"""Every standard code: (meaning, action). 3002, 3003 and 4001 are about the
connection (version, endpoints, hub routing), not about the object: they are
retried with the link's backoff and shown to the operator, never dead-lettered."""

_RANGES = {
    1: ("custom success", Action.DELIVERED),
    2: ("custom client error", _R),
    3: ("custom server error", _X),
    4: ("custom hub error", _X),
}

_DUPLICATE = re.compile(r"already|exist|duplicate", re.IGNORECASE)


def describe(code: int) -> tuple[str, Action]:
    """Meaning and action of an OCPI status code (unknown codes by range)."""
    if code in STATUS_CODES:
        return STATUS_CODES[code]
    meaning, action = _RANGES.get(code // 1000, ("unknown status code", _X))
    return meaning, action


def _ocpi_reason(code: int, message: str | None) -> str:
    meaning, _ = describe(code)
    return f"OCPI {code} ({meaning})" + (f": {message}" if message else "")


def is_duplicate(exc: OcpiError) -> bool:
    """Whether a refused CDR POST means "I already have this CDR".

    HTTP 409 Conflict, or a 2xxx status whose message says it already exists:
    OCPI defines no code for it, so receivers word it in the message.
    """
    if isinstance(exc, HttpStatusError):
        if exc.http_status == 409:
            return True
        return bool(exc.ocpi_message and _DUPLICATE.search(exc.ocpi_message))
    if isinstance(exc, OcpiStatusError) and 2000 <= exc.status_code < 3000:
        return bool(exc.status_message and _DUPLICATE.search(exc.status_message))
    return False


def _http_verdict(exc: HttpStatusError) -> Verdict:
    status = exc.http_status
    detail = exc.reason
    if exc.ocpi_status is not None:
        detail += f" [{_ocpi_reason(exc.ocpi_status, exc.ocpi_message)}]"
    if status in (401, 403):
        return Verdict(
            _X, f"{detail}: credentials refused (check token C or re-register)", True
        )
    if status < 400 or status in (408, 425, 429) or status >= 500:
        return Verdict(_X, detail, True, exc.retry_after_s)
    return Verdict(_R, detail)


def verdict(exc: OcpiError) -> Verdict:
    """Decide about a failed attempt from the exception the client raised."""
    if isinstance(exc, RequestTimeout):
        return Verdict(_X, f"timeout: {exc.reason}", True)
    if isinstance(exc, TransportError):
        return Verdict(_X, f"connection failed: {exc.reason}", True)
    if isinstance(exc, MalformedResponse):
        return Verdict(_X, f"malformed answer: {exc.reason}", True)
    if isinstance(exc, HttpStatusError):
        return _http_verdict(exc)
    if isinstance(exc, OcpiStatusError):
        _, action = describe(exc.status_code)
        reason = _ocpi_reason(exc.status_code, exc.status_message)
        reason = f"{exc.where}: {reason}" if exc.where else reason
        return Verdict(action, reason, action is _X)
    if isinstance(exc, NotRegistered):
        return Verdict(_X, f"not registered: {exc.reason}", True)
    return Verdict(_X, exc.reason, True)
